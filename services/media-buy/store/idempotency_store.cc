#include "services/media-buy/store/idempotency_store.h"

#include "services/media-buy/store/internal/columns.h"

namespace adcp::media_buy {

namespace {

using store_internal::NullIfEmpty;
using store_internal::TimeOf;

}  // namespace

PgPool::Statements IdempotencyStore::Statements() {
  return {
      {"mb_idem_claim",
       "INSERT INTO idempotency_keys (tenant_id, principal_id, "
       "idempotency_key, operation, request_hash, response, expires_at) "
       "VALUES ($1, $2, $3, $4, decode($5, 'hex'), ''::bytea, now() + "
       "make_interval(secs => $6)) ON CONFLICT (tenant_id, principal_id, "
       "idempotency_key) DO NOTHING RETURNING true"},
      {"mb_idem_get",
       "SELECT encode(request_hash, 'hex'), operation, response, " EPOCH_US(
           "expires_at") ", expires_at < now() FROM idempotency_keys WHERE "
                         "tenant_id = $1 AND "
                         "principal_id = $2 AND idempotency_key = $3"},
      {"mb_idem_store",
       "UPDATE idempotency_keys SET response = $4 WHERE tenant_id = $1 AND "
       "principal_id = $2 AND idempotency_key = $3"},
      {"mb_idem_store_audited",
       "WITH audit AS (INSERT INTO audit_log (tenant_id, operation, "
       "principal_id, adapter_id, success, details) VALUES ($1, $5, $2, $6, "
       "true, $7::jsonb)) UPDATE idempotency_keys SET response = $4 WHERE "
       "tenant_id = $1 AND principal_id = $2 AND idempotency_key = $3"},
  };
}

std::optional<IdempotencyRecord> IdempotencyStore::Claim(
    TenantTxn& txn, const std::string& principal_id, const std::string& key,
    const std::string& operation, const std::string& request_hash_hex,
    absl::Duration ttl) {
  pqxx::result claimed = txn.Exec("mb_idem_claim", principal_id, key, operation,
                                  request_hash_hex, absl::ToDoubleSeconds(ttl));
  if (!claimed.empty()) return std::nullopt;
  pqxx::result rows = txn.Exec("mb_idem_get", principal_id, key);
  IdempotencyRecord record;
  // The hash covers the operation too: a key reused for another task is a
  // different payload.
  record.request_hash =
      rows[0][0].as<std::string>() + ":" + rows[0][1].as<std::string>();
  pqxx::binarystring response(rows[0][2]);
  record.response = response.str();
  record.expires_at = TimeOf(rows[0][3]);
  record.expired = rows[0][4].as<bool>();
  return record;
}

void IdempotencyStore::StoreResponse(TenantTxn& txn,
                                     const std::string& principal_id,
                                     const std::string& key,
                                     const std::string& response,
                                     const AuditEntry* audit) {
  pqxx::binarystring bytes(response.data(), response.size());
  if (audit == nullptr) {
    txn.Exec0("mb_idem_store", principal_id, key, bytes);
  } else {
    txn.Exec0("mb_idem_store_audited", principal_id, key, bytes,
              audit->operation, NullIfEmpty(audit->adapter),
              audit->details.dump());
  }
}

}  // namespace adcp::media_buy
