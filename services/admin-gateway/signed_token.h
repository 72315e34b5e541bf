// Values the admin UI hands to a browser and must get back unaltered (the
// session cookie, the device cookie, the sign-in form's CSRF token): a
// payload and its HMAC-SHA256 under the server's secret,
//
//   <payload, as is or in URL-safe base64> "." <hex HMAC(purpose + payload)>
//
// The purpose ("device|", "login|", ...) is part of what is signed, so a
// token made for one use does not open as another. Expiry and the payload's
// fields are the caller's: this only signs and checks.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "libs/base/secrets.h"  // HmacSha256Hex

namespace adcp::admin_gateway {

// Equal bytes, compared in time that depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

class SignedToken {
 public:
  enum class Encoding {
    // The payload in clear: it must be cookie-safe text (no ';', ',', space).
    kPlain,
    // URL-safe base64 without padding: any bytes.
    kBase64Url,
  };

  // `key` is the server's secret; `max_token_bytes` bounds what Open reads.
  SignedToken(std::string key, std::string purpose, Encoding encoding,
              size_t max_token_bytes = std::string::npos);

  std::string Sign(std::string_view payload) const;

  // The payload of a token Sign made with this key and purpose; nullopt for
  // anything else (malformed, too long, altered, signed for another purpose).
  std::optional<std::string> Open(std::string_view token) const;

  // The hex HMAC of purpose + payload alone, for a value that is only a
  // signature (the session's form CSRF token).
  std::string Mac(std::string_view payload) const;

 private:
  const std::string key_;
  const std::string purpose_;
  const Encoding encoding_;
  const size_t max_token_bytes_;
};

}  // namespace adcp::admin_gateway
