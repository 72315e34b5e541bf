// A stored media buy as AdCP states it: its media-buy-status, the actions
// valid in that status, and its packages. No I/O.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

// AdCP's media-buy lifecycle (enums/media-buy-status.json, as @adcp/sdk's
// status.monotonic check reads it): from each status, the statuses it may
// move to. completed, rejected and canceled are final. Every change of a
// buy's status, the sandbox controller's included, follows it.
const std::map<std::string, std::set<std::string>>& MediaBuyMoves();
// Whether `from` may move to `to` (a status staying what it is is no move).
bool IsMediaBuyMove(const std::string& from, const std::string& to);

// The AdCP media-buy-status of a stored buy at `now`.
std::string AdcpStatus(const BuyRow& buy, bool has_live_creatives,
                       absl::Time now);
std::vector<std::string> ValidActions(const std::string& adcp_status);
// The same for a stored buy: one awaiting approval cannot be paused.
std::vector<std::string> ValidActionsFor(const BuyRow& buy,
                                         const std::string& adcp_status);
v1::Package PackageToProto(const PackageRow& row, const std::string& currency);
// Whether one of a buy's assignments is of an approved creative (the buy
// has something to show).
bool AnyApproved(const std::vector<AssignmentRow>& assignments);
// MEDIA_BUY_NOT_FOUND naming `field`.
absl::Status MediaBuyNotFound(std::string_view field);

}  // namespace adcp::media_buy
