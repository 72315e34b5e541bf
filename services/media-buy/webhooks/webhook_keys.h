// Each tenant's webhook-signing key (AdCP's RFC 9421 webhook profile): an
// Ed25519 key made on first use, its private scalar stored only sealed by
// the deployment's KeyVault (context "<tenant_id>/<kid>"). Rotation makes
// a new key sign at once and keeps the old one published for an overlap,
// so receivers that cached the JWKS still verify what was signed before.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "libs/db/pg_pool.h"
#include "libs/httpsig/jwk.h"
#include "libs/httpsig/key_vault.h"
#include "nlohmann/json.hpp"

namespace adcp::media_buy {

struct WebhookSigningKey {
  httpsig::Jwk public_key;
  std::string d;  // base64url private scalar: never logged, never stored
};

class WebhookKeys {
 public:
  // Without a vault (no KEK configured) nothing can be signed:
  // FAILED_PRECONDITION, naming the setting.
  WebhookKeys(PgPool& pool, std::optional<httpsig::KeyVault> vault,
              absl::Duration overlap);

  // The tenant's current key, made (and stored sealed) when it has none.
  absl::StatusOr<WebhookSigningKey> ForSigning(const std::string& tenant_id);
  // {"keys": [...]}: the public JWKs a buyer verifies with.
  absl::StatusOr<nlohmann::json> Jwks(const std::string& tenant_id);
  // Jwks, after making the tenant's first key when it has none and a vault
  // is configured: a key is published before it signs anything.
  absl::StatusOr<nlohmann::json> Published(const std::string& tenant_id);
  // A new key signs from now; the old one stays published for the overlap.
  absl::Status Rotate(const std::string& tenant_id);

  // The vault that seals the keys (and the buyers' push secrets).
  const std::optional<httpsig::KeyVault>& vault() const { return vault_; }
  // What a key's private scalar is sealed under: "<tenant_id>/<kid>".
  static std::string SealingContext(const std::string& tenant_id,
                                    const std::string& kid);

 private:
  absl::StatusOr<WebhookSigningKey> Open(const std::string& tenant_id,
                                         const nlohmann::json& jwk,
                                         const std::string& sealed) const;

  PgPool& pool_;
  const std::optional<httpsig::KeyVault> vault_;
  const absl::Duration overlap_;
  std::mutex mutex_;
  std::map<std::string, WebhookSigningKey> opened_;  // by tenant
};

}  // namespace adcp::media_buy
