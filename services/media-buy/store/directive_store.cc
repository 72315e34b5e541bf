#include "services/media-buy/store/directive_store.h"

#include "services/media-buy/store/internal/columns.h"

namespace adcp::media_buy {

PgPool::Statements DirectiveStore::Statements() {
  return {
      {"mb_directive_put",
       "INSERT INTO sandbox_directives (tenant_id, principal_id, arm, "
       "task_id, message) VALUES ($1, $2, $3, $4, $5) ON CONFLICT "
       "(tenant_id, principal_id) DO UPDATE SET arm = EXCLUDED.arm, task_id "
       "= EXCLUDED.task_id, message = EXCLUDED.message, created_at = now()"},
      {"mb_directive_take",
       "DELETE FROM sandbox_directives WHERE tenant_id = $1 AND principal_id "
       "= $2 RETURNING arm, task_id, message"},
  };
}

void DirectiveStore::Put(TenantTxn& txn, const std::string& principal_id,
                         const Directive& directive) {
  txn.Exec0("mb_directive_put", principal_id, directive.arm, directive.task_id,
            directive.message);
}

std::optional<Directive> DirectiveStore::Take(TenantTxn& txn,
                                              const std::string& principal_id) {
  pqxx::result rows = txn.Exec("mb_directive_take", principal_id);
  if (rows.empty()) return std::nullopt;
  return Directive{.arm = rows[0][0].as<std::string>(),
                   .task_id = rows[0][1].as<std::string>(),
                   .message = rows[0][2].as<std::string>()};
}

}  // namespace adcp::media_buy
