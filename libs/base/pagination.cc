#include "libs/base/pagination.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace adcp {

absl::StatusOr<int> PageSize(int requested) {
  if (requested < 0 || requested > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: expected 0 to ", kMaxPageSize));
  }
  return requested == 0 ? kDefaultPageSize : requested;
}

std::string EncodePageToken(const std::string& last_key) {
  return absl::WebSafeBase64Escape(last_key);
}

absl::StatusOr<std::string> DecodePageToken(
    const std::string& token, bool (*valid_key)(const std::string&)) {
  std::string key;
  if (!token.empty() &&
      (!absl::WebSafeBase64Unescape(token, &key) || !valid_key(key))) {
    return absl::InvalidArgumentError(
        "page_token: not a token from a previous response");
  }
  return key;
}

}  // namespace adcp
