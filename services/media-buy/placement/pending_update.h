// The record of an update_media_buy the ad server has not confirmed yet:
// adapter_state.pending_update of the buy (the flags of what changed, the
// request's idempotency_key, the revision it made, and after a failure the
// error and failed_at). tasks/update_media_buy.h tells the whole protocol.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/adapters/adapter.h"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

// How long an update recorded without an outcome counts as being sent (its
// request still running: concurrent changes are asked to retry) rather
// than interrupted (they are refused until it is completed).
inline constexpr absl::Duration kPendingUpdateInFlight = absl::Minutes(5);

// The buy's pending update, or null.
const nlohmann::json* PendingUpdate(const BuyRow& buy);
// The idempotency_key of the buy's pending update, empty when none.
std::string PendingUpdateKey(const BuyRow& buy);

// What of a buy an update changed, as recorded: the values themselves are
// the buy's stored ones. Merged with an earlier record the ad server has not
// confirmed (a cancel on top of it sends both).
nlohmann::json RecordOfChange(const AdapterUpdate& change,
                              const nlohmann::json* earlier);
// The change a record stands for, with the buy's stored values.
AdapterUpdate ChangeOfRecord(const nlohmann::json& record, const BuyRow& buy);

}  // namespace adcp::media_buy
