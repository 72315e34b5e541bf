// Google service-account authentication (OAuth 2.0 JWT bearer flow): a JWT
// with the key's client_email as issuer, the scope and the token endpoint as
// audience, signed RS256 with the key's private key (OpenSSL), exchanged at
// the token endpoint for an access token.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace adcp::media_buy {

inline constexpr char kAdManagerScope[] = "https://www.googleapis.com/auth/dfp";
inline constexpr char kGoogleTokenUrl[] = "https://oauth2.googleapis.com/token";

struct ServiceAccountKey {
  std::string client_email;
  std::string private_key_id;
  std::string private_key;  // PEM
  std::string token_uri;
};

// The JSON key file Google issues; INVALID_ARGUMENT naming the missing field
// (never echoing the key).
absl::StatusOr<ServiceAccountKey> ParseServiceAccountKey(std::string_view json);

std::string Base64Url(std::string_view bytes);

// header.claims.signature, RS256.
absl::StatusOr<std::string> SignJwt(const ServiceAccountKey& key,
                                    const nlohmann::json& claims);

// The assertion for `audience` (the token endpoint), valid for an hour.
absl::StatusOr<std::string> ServiceAccountAssertion(
    const ServiceAccountKey& key, const std::string& scope,
    const std::string& audience, absl::Time now);

// Access tokens by service account, reused until a minute before they expire.
// Thread-safe.
class AccessTokenCache {
 public:
  // The cached token for `account`, empty when none is fresh at `now`.
  std::string Get(const std::string& account, absl::Time now) const;
  void Put(const std::string& account, std::string token, absl::Time expires);

 private:
  struct Entry {
    std::string token;
    absl::Time expires;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace adcp::media_buy
