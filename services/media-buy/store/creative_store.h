// The buyers' creatives and their assignments to packages (tables creatives
// and creative_assignments).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libs/db/pg_pool.h"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

class CreativeStore {
 public:
  static PgPool::Statements Statements();

  static std::optional<CreativeRow> Find(TenantTxn& txn,
                                         const std::string& principal_id,
                                         const std::string& creative_id);
  static void Upsert(TenantTxn& txn, const CreativeRow& creative);
  // The principal's creatives by creative_id, after the cursor (an id).
  static std::vector<CreativeRow> List(TenantTxn& txn,
                                       const std::string& principal_id,
                                       int limit, const std::string& after_id);

  // Returns false when the assignment already existed.
  static bool Assign(TenantTxn& txn, const std::string& principal_id,
                     const std::string& creative_id,
                     const std::string& package_id);
  // Assignments held for a creative not yet uploaded (create_media_buy's
  // packages[].extra.held_creative_ids of the principal's buys) become real
  // ones; returns (package_id, media_buy_id) of each.
  static std::vector<std::pair<std::string, std::string>> BindHeldAssignments(
      TenantTxn& txn, const std::string& principal_id,
      const std::string& creative_id);
  static std::vector<AssignmentRow> AssignmentsOfBuy(
      TenantTxn& txn, const std::string& media_buy_id);
  static std::vector<AssignmentRow> AssignmentsOfCreative(
      TenantTxn& txn, const std::string& principal_id,
      const std::string& creative_id);
};

}  // namespace adcp::media_buy
