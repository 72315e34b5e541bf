// get_products' buying_mode refine: applies each change request to the
// products of a wholesale selection and says, per request, what was done.
#pragma once

#include <google/protobuf/struct.pb.h>

#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy::tasks {

// Request-level asks are read for the delivery types and channels they
// name; product asks include, omit or widen ("more_like_this": same
// channel); proposals do not exist here. `selected` is narrowed or widened
// in place; `applied` gains one result per entry of `refine`.
absl::Status Refine(
    const google::protobuf::RepeatedPtrField<google::protobuf::Struct>& refine,
    std::vector<const ProductRow*>& selected,
    std::vector<nlohmann::json>& applied);

}  // namespace adcp::media_buy::tasks
