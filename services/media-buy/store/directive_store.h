// Sandbox directives (table sandbox_directives): one per principal,
// replaced by the next, consumed by its next create_media_buy.
#pragma once

#include <optional>
#include <string>

#include "libs/db/pg_pool.h"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

class DirectiveStore {
 public:
  static PgPool::Statements Statements();

  static void Put(TenantTxn& txn, const std::string& principal_id,
                  const Directive& directive);
  // Deletes and returns the principal's directive.
  static std::optional<Directive> Take(TenantTxn& txn,
                                       const std::string& principal_id);
};

}  // namespace adcp::media_buy
