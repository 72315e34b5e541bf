// The secrets of AdCP's legacy webhook schemes (push_notification_config.
// authentication.credentials: a Bearer token or an HMAC secret), which a
// buyer gives us to use: stored only sealed, by the deployment's KeyVault
// (the envelope encryption of the signing keys), with the tenant and the
// URL the secret was given for bound as associated data. A sealed secret
// copied to another tenant's row, or to an event for another URL, does
// not open: a database writer cannot have a buyer's token sent elsewhere.
// The tasks seal (MediaBuyOptions::seal_push_secret); only the dispatcher
// opens, as it sends.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "libs/db/pg_pool.h"
#include "libs/httpsig/key_vault.h"

namespace adcp::media_buy {

absl::StatusOr<std::string> SealPushSecret(const httpsig::KeyVault& vault,
                                           const std::string& tenant_id,
                                           const std::string& url,
                                           const std::string& secret);
absl::StatusOr<std::string> OpenPushSecret(const httpsig::KeyVault& vault,
                                           const std::string& tenant_id,
                                           const std::string& url,
                                           const std::string& sealed);

// What SealAtRest changed in one tenant.
struct SealedAtRest {
  int sealed = 0;    // plaintext secrets written before migration 0020
  int resealed = 0;  // sealed by another KEK than the sealing one
  int dropped = 0;   // secrets no longer needed (event final, task resolved)
  int unopened = 0;  // sealed by a KEK not configured, or altered: left
};

// Media-buy's start-up sweep of a tenant, in one tenant transaction (the
// KEK is known to media-buy alone, so no migration can do it): seals the
// legacy plaintext secrets of pending events and tasks, drops those of
// delivered or expired events and resolved tasks, and seals again under
// the sealing KEK what another KEK sealed, buyers' secrets and the
// tenant's signing keys alike, so that an old KEK can be dropped after a
// rotation. Idempotent; rows are locked, so replicas starting together do
// each row once.
absl::StatusOr<SealedAtRest> SealAtRest(PgPool& pool,
                                        const httpsig::KeyVault& vault,
                                        const std::string& tenant_id);

}  // namespace adcp::media_buy
