// Signing keys at rest (webhook signing: one Ed25519 key per tenant). A
// private key is stored only sealed, by envelope encryption: a fresh data
// key encrypts it (AES-256-GCM), and the deployment's key-encryption key
// (KEK, a Kubernetes Secret) wraps the data key (AES-256-GCM). The sealed
// text names its KEK, so KEKs rotate: the first KEK seals, every KEK
// listed opens. A context (tenant and key id) is bound to both layers as
// associated data: a sealed key copied to another tenant's row does not
// open.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/httpsig/jwk.h"

namespace adcp::httpsig {

class KeyVault {
 public:
  // "id:<base64url 32 bytes>[,id:<...>]": the first seals. INVALID_ARGUMENT
  // naming the entry for a bad one.
  static absl::StatusOr<KeyVault> Parse(std::string_view keks);

  absl::StatusOr<std::string> Seal(std::string_view secret,
                                   std::string_view context) const;
  // INVALID_ARGUMENT for text that is not a sealed key; NOT_FOUND for an
  // unknown KEK; PERMISSION_DENIED when it does not open (another context,
  // altered, another KEK of the same id).
  absl::StatusOr<std::string> Open(std::string_view sealed,
                                   std::string_view context) const;
  // The id of the KEK that seals now (the first listed). A KEK rotates by
  // listing the new one first: what another KEK sealed (the second part of
  // the text, v1.<kek id>.) is opened and sealed again (Reseal), then the
  // old one may be dropped.
  const std::string& sealing_kek() const { return keks_.front().id; }
  // `sealed` under the sealing KEK, with the same context: unchanged when
  // that KEK sealed it already; the errors of Open otherwise.
  absl::StatusOr<std::string> Reseal(std::string_view sealed,
                                     std::string_view context) const;

 private:
  struct Kek {
    std::string id, key;
  };
  std::vector<Kek> keks_;
};

// A new Ed25519 key: the public JWK (use sig, key_ops verify, adcp_use
// `purpose`) and the private scalar d (base64url).
struct SigningKeyPair {
  Jwk public_key;
  std::string d;
};
SigningKeyPair GenerateSigningKey(std::string kid, std::string purpose);

// The JWK's public members, as published in a JWKS.
nlohmann::json PublicJwk(const Jwk& key);

}  // namespace adcp::httpsig
