// Paged lists and lists of ids as the tasks read them from a request.
#pragma once

#include <google/protobuf/repeated_ptr_field.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "adcp/media_buy/v1/media_buy.pb.h"

namespace adcp::media_buy {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 100;

// pagination.max_results: kDefaultPageSize when unset, 1-kMaxPageSize.
absl::StatusOr<int> PageSize(const v1::PaginationRequest& pagination);
// The page_size of our own list RPCs: 0 for kDefaultPageSize, else
// 1-kMaxPageSize.
absl::StatusOr<int> ListPageSize(int32_t page_size);
// The offset a cursor of ours stands for (pagination.cursor).
absl::StatusOr<size_t> ParseOffsetCursor(const std::string& cursor);
// The offset of pagination.cursor; 0 without one.
absl::StatusOr<size_t> PageOffset(const v1::PaginationRequest& pagination);

// A list of ids as a task reads it: at most `max`, each valid, each once
// (a repeated id is read once).
absl::StatusOr<std::vector<std::string>> DistinctIds(
    std::string_view field,
    const google::protobuf::RepeatedPtrField<std::string>& ids, int max);

}  // namespace adcp::media_buy
