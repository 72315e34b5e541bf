// Audit rows written in the task's own transaction (table audit_log).
#pragma once

#include <string>

#include "libs/db/pg_pool.h"
#include "nlohmann/json.hpp"

namespace adcp::media_buy {

class AuditStore {
 public:
  static PgPool::Statements Statements();

  // A success row of the task (a failed task's row goes through the async
  // AuditLog instead); `adapter` is optional (empty: none).
  static void Insert(TenantTxn& txn, const std::string& operation,
                     const std::string& principal_id,
                     const std::string& adapter, const nlohmann::json& details);
};

}  // namespace adcp::media_buy
