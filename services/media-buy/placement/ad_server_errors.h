// What a buyer hears of an ad server's failure: never the ad server's own
// text (which may carry anything: markup, other advertisers, internal ids),
// which is logged under the request id instead.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace adcp::media_buy {

// What a buyer may read of an adapter's failure, without the ad server's
// own words: for a call UpstreamClient made, its summary (server, operation,
// HTTP status); otherwise the adapter's own message, which never quotes the
// ad server (an adapter that does attaches a summary instead).
std::string BuyerSafeAdapterMessage(const absl::Status& failure);

// The note a buy keeps of a failure (adapter_state's error, shown as
// get_media_buys' ad_server_error): the buyer-safe message and the request
// id under which the rest is logged.
std::string FailureNote(const absl::Status& failure,
                        const std::string& request_id);

// An ad server's failure as the buyer hears it: what we were doing, the
// buyer-safe part of the failure and the request id; the ad server's own
// text is logged under that id with the tenant, never answered. A failure
// that is an AdCP error already (the tenant's bulkhead, the fan-out limit)
// is returned as it is.
absl::Status AdServerFailure(const absl::Status& failure,
                             std::string_view doing,
                             std::string_view suggestion);

// The AdCP error for an ad server that did not take step `step` of a buy:
// what it refused and how to go on.
absl::Status AdServerError(const absl::Status& status, const std::string& step,
                           const std::string& media_buy_id);

}  // namespace adcp::media_buy
