#include "services/media-buy/store/audit_store.h"

#include "services/media-buy/store/internal/columns.h"

namespace adcp::media_buy {

namespace {

using store_internal::NullIfEmpty;

}  // namespace

PgPool::Statements AuditStore::Statements() {
  return {
      {"mb_audit",
       "INSERT INTO audit_log (tenant_id, operation, principal_id, "
       "adapter_id, success, details) VALUES ($1, $2, $3, $4, true, "
       "$5::jsonb)"},
  };
}

void AuditStore::Insert(TenantTxn& txn, const std::string& operation,
                        const std::string& principal_id,
                        const std::string& adapter,
                        const nlohmann::json& details) {
  txn.Exec0("mb_audit", operation, principal_id, NullIfEmpty(adapter),
            details.dump());
}

}  // namespace adcp::media_buy
