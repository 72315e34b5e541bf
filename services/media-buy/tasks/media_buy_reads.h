// Reading media buys: get_media_buys and get_media_buy_delivery, and the
// state of a buy the other tasks derive from its creatives.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "libs/db/pg_pool.h"
#include "services/media-buy/domain/records.h"
#include "services/media-buy/tasks/task_context.h"

namespace adcp::media_buy::tasks {

Task<v1::GetMediaBuysRequest, v1::GetMediaBuysResponse> GetMediaBuys;
// The ad server's delivery of the caller's buys (outside any transaction),
// plus the simulated delivery of a sandbox tenant.
Task<v1::GetMediaBuyDeliveryRequest, v1::GetMediaBuyDeliveryResponse>
    GetMediaBuyDelivery;

// Whether the buy has an approved creative assigned to one of its packages.
bool HasLiveCreatives(TenantTxn& txn, const BuyRow& buy);

}  // namespace adcp::media_buy::tasks
