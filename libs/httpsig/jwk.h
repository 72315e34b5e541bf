// Public keys published as JWKs (RFC 7517) and the two signature algorithms
// AdCP's signing profiles allow: ed25519 (JWK alg EdDSA, crv Ed25519) and
// ecdsa-p256-sha256 (JWK alg ES256, crv P-256; signatures are r||s, 64
// bytes, as RFC 9421 section 3.3.4 says).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace adcp::httpsig {

struct Jwk {
  std::string kid, kty, crv, alg, use, adcp_use;
  std::vector<std::string> key_ops;
  std::string x, y;  // base64url coordinates

  // The JWK's members; INVALID_ARGUMENT naming a member of the wrong type.
  static absl::StatusOr<Jwk> FromJson(const nlohmann::json& jwk);
  // The RFC 9421 algorithm name the JWK's alg maps to ("" for another).
  std::string SignatureAlgorithm() const;
  // Whether kty, crv and alg describe one of the two allowed key types.
  bool Consistent() const;
};

// Verifies `signature` over `base` with `key` under `algorithm` (RFC 9421
// name). INVALID_ARGUMENT for an unusable key, PERMISSION_DENIED for a
// signature that does not verify.
absl::Status VerifySignature(const Jwk& key, std::string_view algorithm,
                             std::string_view base, std::string_view signature);

// A private key for signing (webhooks, tests): the JWK's public members plus
// the base64url private scalar `d`.
absl::StatusOr<std::string> Sign(const Jwk& key, std::string_view d,
                                 std::string_view algorithm,
                                 std::string_view base);

}  // namespace adcp::httpsig
