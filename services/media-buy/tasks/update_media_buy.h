// update_media_buy keeps the ad server and the database in agreement, as
// create_media_buy does for a half-placed buy, by writing first and telling
// the ad server after:
//
// 1. One transaction validates the change, writes the new state (buy,
//    packages, assignments, audit row, the idempotent answer) and records
//    in adapter_state.pending_update what the ad server still has to be
//    told (which fields and packages changed, under the request's
//    idempotency_key), and commits. A failing database write rolls all of
//    it back before the ad server has heard anything.
// 2. Outside any transaction (a slow ad server holds no database
//    connection), the change is sent: absolute values read from the stored
//    buy, so that sending it again is harmless.
// 3. A second transaction clears the record once the ad server took the
//    change, or stores its error (get_media_buys shows it as
//    ad_server_error) and the task fails naming the request id.
//
// Whatever fails between 1 and 3 (the ad server refusing halfway, the
// process dying, the database going away) leaves the record, so nothing
// disagrees unknowingly, and the same request again (same idempotency_key)
// replays the stored answer and sends the recorded change again until the
// ad server confirms it. Meanwhile other changes are refused (INVALID_STATE)
// except cancelling, which sends the recorded change with its own. A dry
// run and a buy the ad server does not have yet keep the single
// transaction.
#pragma once

#include "absl/status/status.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "services/media-buy/tasks/task_context.h"

namespace adcp::media_buy::tasks {

Task<v1::UpdateMediaBuyRequest, v1::UpdateMediaBuyResponse> UpdateMediaBuy;

}  // namespace adcp::media_buy::tasks
