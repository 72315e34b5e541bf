// Buyers' performance feedback (table performance_feedback).
#pragma once

#include <string>

#include "absl/time/time.h"
#include "libs/db/pg_pool.h"

namespace adcp::media_buy {

class FeedbackStore {
 public:
  static PgPool::Statements Statements();

  // package_id and creative_id are optional (empty: none).
  static void Insert(TenantTxn& txn, const std::string& media_buy_id,
                     const std::string& principal_id,
                     const std::string& package_id,
                     const std::string& creative_id,
                     const std::string& performance_index,
                     const std::string& metric_type,
                     const std::string& feedback_source, absl::Time start,
                     absl::Time end);
};

}  // namespace adcp::media_buy
