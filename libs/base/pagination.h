// Keyset pagination shared by the List* RPCs: a page token is the opaque
// (base64url) key of the last item of the previous page.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace adcp {

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

// 0 -> kDefaultPageSize; outside [0, kMaxPageSize] is INVALID_ARGUMENT
// naming page_size.
absl::StatusOr<int> PageSize(int requested);

std::string EncodePageToken(const std::string& last_key);
// "" -> "" (first page). A token that does not decode, or whose key fails
// `valid_key`, is INVALID_ARGUMENT naming page_token.
absl::StatusOr<std::string> DecodePageToken(
    const std::string& token, bool (*valid_key)(const std::string&));

}  // namespace adcp
