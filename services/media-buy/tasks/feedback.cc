#include "services/media-buy/tasks/feedback.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "libs/base/status.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/buy_status.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/store/audit_store.h"
#include "services/media-buy/store/buy_store.h"
#include "services/media-buy/store/creative_store.h"
#include "services/media-buy/store/feedback_store.h"
#include "services/media-buy/tasks/idempotency.h"

namespace adcp::media_buy::tasks {

namespace pb = ::adcp::media_buy::v1;

namespace {

// The feedback as it is stored, checked.
struct Feedback {
  absl::Time start, end;
  double index = 0;
  std::string metric, source;
};

absl::Status CheckOneOf(const char* field, const std::string& value,
                        const std::set<std::string>& allowed) {
  if (allowed.count(value)) return absl::OkStatus();
  return InvalidField(
      field, absl::StrCat("must be one of ", absl::StrJoin(allowed, ", ")));
}

absl::StatusOr<Feedback> CheckFeedback(
    const pb::ProvidePerformanceFeedbackRequest& request) {
  RETURN_IF_ERROR(CheckMajorVersion(request));
  RETURN_IF_ERROR(ValidateIdempotencyKey(request.idempotency_key()));
  RETURN_IF_ERROR(ValidateId("media_buy_id", request.media_buy_id()));
  if (!request.has_measurement_period())
    return InvalidField("measurement_period", "is required");
  Feedback out;
  ASSIGN_OR_RETURN(out.start, ParseTime("measurement_period.start",
                                        request.measurement_period().start()));
  ASSIGN_OR_RETURN(out.end, ParseTime("measurement_period.end",
                                      request.measurement_period().end()));
  if (out.end < out.start)
    return InvalidField("measurement_period.end", "must not be before start");
  out.index = request.performance_index();
  if (!std::isfinite(out.index) || out.index < 0 || out.index >= 1e6)
    return InvalidField("performance_index",
                        "must be a number from 0 to below 1000000");
  static const std::set<std::string> kMetrics = {
      "overall_performance", "conversion_rate", "brand_lift",
      "click_through_rate",  "completion_rate", "viewability",
      "brand_safety",        "cost_efficiency"};
  static const std::set<std::string> kSources = {
      "buyer_attribution", "third_party_measurement", "platform_analytics",
      "verification_partner"};
  out.metric = request.metric_type().empty() ? "overall_performance"
                                             : request.metric_type();
  out.source = request.feedback_source().empty() ? "buyer_attribution"
                                                 : request.feedback_source();
  RETURN_IF_ERROR(CheckOneOf("metric_type", out.metric, kMetrics));
  RETURN_IF_ERROR(CheckOneOf("feedback_source", out.source, kSources));
  if (!request.package_id().empty())
    RETURN_IF_ERROR(ValidateId("package_id", request.package_id()));
  if (!request.creative_id().empty())
    RETURN_IF_ERROR(ValidateId("creative_id", request.creative_id()));
  return out;
}

}  // namespace

absl::Status ProvidePerformanceFeedback(
    const TaskContext& context, const Call& call,
    const pb::ProvidePerformanceFeedbackRequest& request,
    pb::ProvidePerformanceFeedbackResponse* response) {
  ASSIGN_OR_RETURN(const Feedback feedback, CheckFeedback(request));
  return Idempotently(
      context, call, "provide_performance_feedback", request, response,
      [&](TenantTxn& txn) -> absl::Status {
        auto buy =
            BuyStore::Find(txn, request.media_buy_id(), call.buyer(), false);
        if (!buy) return MediaBuyNotFound("media_buy_id");
        if (!request.package_id().empty() &&
            std::none_of(buy->packages.begin(), buy->packages.end(),
                         [&](const PackageRow& p) {
                           return p.package_id == request.package_id();
                         })) {
          return AdcpError(
              "PACKAGE_NOT_FOUND", "package_id",
              absl::StrCat("package_id: no package '", request.package_id(),
                           "' in this media buy"));
        }
        if (!request.creative_id().empty() &&
            !CreativeStore::Find(txn, call.ctx.principal_id,
                                 request.creative_id())) {
          return AdcpError("CREATIVE_NOT_FOUND", "creative_id",
                           absl::StrCat("creative_id: no creative '",
                                        request.creative_id(), "'"));
        }
        FeedbackStore::Insert(
            txn, buy->media_buy_id, call.ctx.principal_id, request.package_id(),
            request.creative_id(), absl::StrFormat("%.6f", feedback.index),
            feedback.metric, feedback.source, feedback.start, feedback.end);
        AuditStore::Insert(txn, "provide_performance_feedback",
                           call.ctx.principal_id, buy->adapter,
                           {{"media_buy_id", buy->media_buy_id},
                            {"performance_index", feedback.index},
                            {"metric_type", feedback.metric},
                            {"feedback_source", feedback.source}});
        response->set_success(true);
        return absl::OkStatus();
      });
}

}  // namespace adcp::media_buy::tasks
