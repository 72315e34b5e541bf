// The buyer's creative library: sync_creatives (creatives.cc: upload,
// review state, assignments to packages, pushing approved creatives to the
// ad servers of live buys) and list_creatives (creative_library.cc).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "services/media-buy/domain/records.h"
#include "services/media-buy/tasks/task_context.h"

namespace adcp::media_buy::tasks {

Task<v1::SyncCreativesRequest, v1::SyncCreativesResponse> SyncCreatives;
Task<v1::ListCreativesRequest, v1::ListCreativesResponse> ListCreatives;

// The creative's tags (extra.tags), in order.
std::vector<std::string> TagsOf(const CreativeRow& row);

}  // namespace adcp::media_buy::tasks
