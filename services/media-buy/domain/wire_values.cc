#include "services/media-buy/domain/wire_values.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "services/media-buy/domain/adcp_error.h"

namespace adcp::media_buy {

google::protobuf::Struct JsonToStruct(const nlohmann::json& value) {
  google::protobuf::Struct out;
  (void)google::protobuf::util::JsonStringToMessage(value.dump(), &out);
  return out;
}

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseTime(std::string_view field,
                                     const std::string& value) {
  absl::Time time;
  std::string error;
  if (value.empty()) return InvalidField(field, "is required");
  if (!absl::ParseTime(absl::RFC3339_full, value, &time, &error)) {
    return InvalidField(
        field, absl::StrCat("must be an ISO 8601 date-time with a zone "
                            "(e.g. 2026-12-01T00:00:00Z), got '",
                            value.substr(0, 64), "'"));
  }
  return time;
}

absl::StatusOr<absl::Time> ParseDate(std::string_view field,
                                     const std::string& value) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%d", value, absl::UTCTimeZone(), &time, &error)) {
    return InvalidField(field, "must be a date YYYY-MM-DD");
  }
  return time;
}

}  // namespace adcp::media_buy
