// create_media_buy: validate the request, resolve the buyer's account,
// price the packages against the products' pricing options, place the buy
// with the tenant's ad server (or open an approval task when a person
// approves each buy), persist it, answer.
//
// The ad server hears of the buy once everything that could still refuse
// it has been checked, and the buy is written once, with what the ad
// server created (or the step that failed). A failure of the ad server is
// committed with the buy: the buyer hears the error, and the same request
// again (same idempotency_key) resumes the placement from that step.
#pragma once

#include "absl/status/status.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "services/media-buy/tasks/task_context.h"

namespace adcp::media_buy::tasks {

Task<v1::CreateMediaBuyRequest, v1::CreateMediaBuyResponse> CreateMediaBuy;

}  // namespace adcp::media_buy::tasks
