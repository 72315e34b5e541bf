// Idempotency keys (table idempotency_keys): a principal's key claimed by
// one request, with that request's answer.
#pragma once

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "libs/db/pg_pool.h"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

class IdempotencyStore {
 public:
  static PgPool::Statements Statements();

  // Claims the key for this request, or returns the record already there
  // (committed with its answer, as claims commit with the task; possibly
  // expired: keys are not reused).
  static std::optional<IdempotencyRecord> Claim(
      TenantTxn& txn, const std::string& principal_id, const std::string& key,
      const std::string& operation, const std::string& request_hash_hex,
      absl::Duration ttl);
  // The key's answer; with `audit`, also the task's audit row (of the key's
  // principal), in one statement: one round trip fewer per create.
  static void StoreResponse(TenantTxn& txn, const std::string& principal_id,
                            const std::string& key, const std::string& response,
                            const AuditEntry* audit = nullptr);
};

}  // namespace adcp::media_buy
