#include "services/media-buy/placement/ad_server_errors.h"

#include "absl/strings/str_cat.h"
#include "libs/base/log.h"
#include "libs/tenancy/call_context.h"
#include "services/media-buy/adapters/upstream.h"
#include "services/media-buy/domain/adcp_error.h"

namespace adcp::media_buy {

std::string BuyerSafeAdapterMessage(const absl::Status& failure) {
  std::string summary = UpstreamSummary(failure);
  return summary.empty() ? std::string(failure.message()) : summary;
}

std::string FailureNote(const absl::Status& failure,
                        const std::string& request_id) {
  return absl::StrCat(BuyerSafeAdapterMessage(failure), " (request id ",
                      request_id, ")");
}

namespace {

std::string CurrentRequestId() {
  const CallContext* call = CurrentCallContext();
  return call == nullptr ? std::string() : call->request_id;
}

}  // namespace

absl::Status AdServerFailure(const absl::Status& failure,
                             std::string_view doing,
                             std::string_view suggestion) {
  // Ours already (the tenant's bulkhead, the fan-out limit).
  if (HasAdcpError(failure)) return failure;
  log::Warn("ad server call failed",
            {{"doing", std::string(doing)},
             {"code", absl::StatusCodeToString(failure.code())},
             {"error", std::string(failure.message())}});
  const std::string message = absl::StrCat(
      std::string(doing), ": ", FailureNote(failure, CurrentRequestId()));
  switch (failure.code()) {
    case absl::StatusCode::kInvalidArgument:
      return AdcpError("INVALID_REQUEST", "", message, suggestion);
    case absl::StatusCode::kResourceExhausted:
      return AdcpError("RATE_LIMITED", "", message, suggestion);
    default:
      return AdcpError("SERVICE_UNAVAILABLE", "", message, suggestion);
  }
}

absl::Status AdServerError(const absl::Status& status, const std::string& step,
                           const std::string& media_buy_id) {
  return AdServerFailure(
      status,
      absl::StrCat("media buy ", media_buy_id,
                   ": the ad server did not take step ", step),
      "the media buy keeps what the ad server created; send the same request "
      "again (same idempotency_key) to resume");
}

}  // namespace adcp::media_buy
