// Values as AdCP writes them on the wire: RFC 3339 times and dates,
// and google.protobuf.Struct from JSON.
#pragma once

#include <google/protobuf/struct.pb.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace adcp::media_buy {

google::protobuf::Struct JsonToStruct(const nlohmann::json& value);

// RFC 3339 UTC with a Z ("2026-12-01T00:00:00Z").
std::string Rfc3339(absl::Time time);
absl::StatusOr<absl::Time> ParseTime(std::string_view field,
                                     const std::string& value);
// YYYY-MM-DD (UTC midnight).
absl::StatusOr<absl::Time> ParseDate(std::string_view field,
                                     const std::string& value);

}  // namespace adcp::media_buy
