#include "services/media-buy/domain/paging.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/base/status.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/validation.h"

namespace adcp::media_buy {

absl::StatusOr<int> PageSize(const v1::PaginationRequest& pagination) {
  if (!pagination.has_max_results()) return kDefaultPageSize;
  if (pagination.max_results() < 1 || pagination.max_results() > kMaxPageSize)
    return InvalidField("pagination.max_results",
                        absl::StrCat("must be 1-", kMaxPageSize));
  return pagination.max_results();
}

absl::StatusOr<int> ListPageSize(int32_t page_size) {
  if (page_size < 0 || page_size > kMaxPageSize)
    return InvalidField("page_size", absl::StrCat("must be 0-", kMaxPageSize));
  return page_size == 0 ? kDefaultPageSize : page_size;
}

absl::StatusOr<size_t> ParseOffsetCursor(const std::string& cursor) {
  size_t offset = 0;
  if (!absl::SimpleAtoi(cursor, &offset) || offset > 1'000'000)
    return InvalidField("pagination.cursor",
                        "is not a cursor this seller issued");
  return offset;
}

absl::StatusOr<size_t> PageOffset(const v1::PaginationRequest& pagination) {
  if (pagination.cursor().empty()) return 0;
  return ParseOffsetCursor(pagination.cursor());
}

absl::StatusOr<std::vector<std::string>> DistinctIds(
    std::string_view field,
    const google::protobuf::RepeatedPtrField<std::string>& ids, int max) {
  if (ids.size() > max)
    return InvalidField(field, absl::StrCat("must name at most ", max, " ids (",
                                            ids.size(), " given)"));
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (int i = 0; i < ids.size(); ++i) {
    RETURN_IF_ERROR(
        ValidateId(absl::StrCat(std::string(field), "[", i, "]"), ids[i]));
    if (seen.insert(ids[i]).second) out.push_back(ids[i]);
  }
  return out;
}

}  // namespace adcp::media_buy
