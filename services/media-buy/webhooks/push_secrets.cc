#include "services/media-buy/webhooks/push_secrets.h"

#include <openssl/crypto.h>

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/base/log.h"
#include "services/media-buy/store/human_task_store.h"
#include "services/media-buy/store/webhook_store.h"
#include "services/media-buy/webhooks/webhook_keys.h"

namespace adcp::media_buy {

namespace {

std::string ContextOf(const std::string& tenant_id, const std::string& url) {
  return absl::StrCat("push-secret|", tenant_id, "|", url);
}

// What `secret` should hold now: sealed under the sealing KEK, or empty
// when it is no longer needed. Nullopt when it is right as it is or does
// not open (counted).
std::optional<std::string> Resealed(const httpsig::KeyVault& vault,
                                    const std::string& context,
                                    StoredSecret& secret,
                                    SealedAtRest& counts) {
  if (!secret.needed) {
    ++counts.dropped;
    return std::string();
  }
  if (!secret.plaintext.empty()) {
    absl::StatusOr<std::string> sealed = vault.Seal(secret.plaintext, context);
    OPENSSL_cleanse(secret.plaintext.data(), secret.plaintext.size());
    if (!sealed.ok()) return std::nullopt;
    ++counts.sealed;
    return *std::move(sealed);
  }
  absl::StatusOr<std::string> resealed = vault.Reseal(secret.sealed, context);
  if (!resealed.ok()) {
    ++counts.unopened;
    return std::nullopt;
  }
  if (*resealed == secret.sealed) return std::nullopt;
  ++counts.resealed;
  return *std::move(resealed);
}

}  // namespace

absl::StatusOr<std::string> SealPushSecret(const httpsig::KeyVault& vault,
                                           const std::string& tenant_id,
                                           const std::string& url,
                                           const std::string& secret) {
  return vault.Seal(secret, ContextOf(tenant_id, url));
}

absl::StatusOr<std::string> OpenPushSecret(const httpsig::KeyVault& vault,
                                           const std::string& tenant_id,
                                           const std::string& url,
                                           const std::string& sealed) {
  return vault.Open(sealed, ContextOf(tenant_id, url));
}

absl::StatusOr<SealedAtRest> SealAtRest(PgPool& pool,
                                        const httpsig::KeyVault& vault,
                                        const std::string& tenant_id) {
  SealedAtRest counts;
  absl::Status status = pool.WithTenantTransaction(
      tenant_id, [&](TenantTxn& txn) -> absl::Status {
        counts = SealedAtRest();
        for (StoredSecret& secret : WebhookOutboxStore::Secrets(txn)) {
          if (auto now = Resealed(vault, ContextOf(tenant_id, secret.url),
                                  secret, counts))
            WebhookOutboxStore::SetSecret(txn, secret.row, *now);
        }
        for (StoredSecret& secret : HumanTaskStore::PushSecrets(txn)) {
          if (auto now = Resealed(vault, ContextOf(tenant_id, secret.url),
                                  secret, counts))
            HumanTaskStore::SetPushSecret(txn, secret.row, *now);
        }
        for (StoredSecret& key :
             SigningKeyStore::SealedByOtherKek(txn, vault.sealing_kek())) {
          if (auto now = Resealed(
                  vault, WebhookKeys::SealingContext(tenant_id, key.row), key,
                  counts))
            SigningKeyStore::SetSealed(txn, key.row, *now);
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  if (counts.unopened > 0)
    log::Warn("webhook secrets that do not open with the configured KEKs",
              {{"tenant_id", tenant_id}, {"count", counts.unopened}});
  return counts;
}

}  // namespace adcp::media_buy
