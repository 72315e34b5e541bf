#include "services/media-buy/store/feedback_store.h"

#include "services/media-buy/store/internal/columns.h"

namespace adcp::media_buy {

namespace {

using store_internal::NullIfEmpty;
using store_internal::Us;

}  // namespace

PgPool::Statements FeedbackStore::Statements() {
  return {
      {"mb_feedback_insert",
       "INSERT INTO performance_feedback (tenant_id, media_buy_id, "
       "principal_id, package_id, creative_id, performance_index, "
       "metric_type, feedback_source, period_start, period_end) VALUES ($1, "
       "$2, $3, $4, $5, $6::numeric, $7, $8, " FROM_US(9) ", " FROM_US(10) ")"},
  };
}

void FeedbackStore::Insert(TenantTxn& txn, const std::string& media_buy_id,
                           const std::string& principal_id,
                           const std::string& package_id,
                           const std::string& creative_id,
                           const std::string& performance_index,
                           const std::string& metric_type,
                           const std::string& feedback_source, absl::Time start,
                           absl::Time end) {
  txn.Exec0("mb_feedback_insert", media_buy_id, principal_id,
            NullIfEmpty(package_id), NullIfEmpty(creative_id),
            performance_index, metric_type, feedback_source, Us(start),
            Us(end));
}

}  // namespace adcp::media_buy
