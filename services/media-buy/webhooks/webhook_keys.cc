#include "services/media-buy/webhooks/webhook_keys.h"

#include "absl/strings/str_cat.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "services/media-buy/store/webhook_store.h"

namespace adcp::media_buy {

std::string WebhookKeys::SealingContext(const std::string& tenant_id,
                                        const std::string& kid) {
  return absl::StrCat(tenant_id, "/", kid);
}

WebhookKeys::WebhookKeys(PgPool& pool, std::optional<httpsig::KeyVault> vault,
                         absl::Duration overlap)
    : pool_(pool), vault_(std::move(vault)), overlap_(overlap) {}

absl::StatusOr<WebhookSigningKey> WebhookKeys::Open(
    const std::string& tenant_id, const nlohmann::json& jwk,
    const std::string& sealed) const {
  ASSIGN_OR_RETURN(httpsig::Jwk key, httpsig::Jwk::FromJson(jwk));
  ASSIGN_OR_RETURN(std::string d,
                   vault_->Open(sealed, SealingContext(tenant_id, key.kid)));
  return WebhookSigningKey{.public_key = std::move(key), .d = std::move(d)};
}

absl::StatusOr<WebhookSigningKey> WebhookKeys::ForSigning(
    const std::string& tenant_id) {
  if (!vault_)
    return absl::FailedPreconditionError(
        "webhook signing needs WEBHOOK_SIGNING_KEKS (the key-encryption "
        "keys)");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = opened_.find(tenant_id);
    if (it != opened_.end()) return it->second;
  }
  std::optional<SigningKeyRow> row;
  RETURN_IF_ERROR(pool_.WithTenantTransaction(
      tenant_id, [&](TenantTxn& txn) -> absl::Status {
        row = SigningKeyStore::Current(txn);
        if (row) return absl::OkStatus();
        httpsig::SigningKeyPair pair = httpsig::GenerateSigningKey(
            absl::StrCat("adcp-webhook-", tenant_id, "-", RandomHex(6)),
            "webhook-signing");
        ASSIGN_OR_RETURN(
            std::string sealed,
            vault_->Seal(pair.d,
                         SealingContext(tenant_id, pair.public_key.kid)));
        SigningKeyRow fresh{.kid = pair.public_key.kid,
                            .public_jwk = httpsig::PublicJwk(pair.public_key),
                            .sealed_d = std::move(sealed)};
        // Another replica may have made one meanwhile: use whichever is there.
        SigningKeyStore::Insert(txn, fresh);
        row = SigningKeyStore::Current(txn);
        return row ? absl::OkStatus()
                   : absl::InternalError("no webhook signing key after insert");
      }));
  ASSIGN_OR_RETURN(WebhookSigningKey key,
                   Open(tenant_id, row->public_jwk, row->sealed_d));
  std::lock_guard<std::mutex> lock(mutex_);
  opened_[tenant_id] = key;
  return key;
}

absl::StatusOr<nlohmann::json> WebhookKeys::Jwks(const std::string& tenant_id) {
  nlohmann::json keys = nlohmann::json::array();
  RETURN_IF_ERROR(pool_.WithTenantTransaction(
      tenant_id, [&](TenantTxn& txn) -> absl::Status {
        for (nlohmann::json& jwk : SigningKeyStore::Published(txn))
          keys.push_back(std::move(jwk));
        return absl::OkStatus();
      }));
  return nlohmann::json{{"keys", std::move(keys)}};
}

absl::StatusOr<nlohmann::json> WebhookKeys::Published(
    const std::string& tenant_id) {
  if (vault_) RETURN_IF_ERROR(ForSigning(tenant_id).status());
  return Jwks(tenant_id);
}

absl::Status WebhookKeys::Rotate(const std::string& tenant_id) {
  RETURN_IF_ERROR(pool_.WithTenantTransaction(
      tenant_id, [&](TenantTxn& txn) -> absl::Status {
        SigningKeyStore::RetireCurrent(txn, overlap_);
        return absl::OkStatus();
      }));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    opened_.erase(tenant_id);
  }
  return ForSigning(tenant_id).status();
}

}  // namespace adcp::media_buy
