// google.protobuf.Value as nlohmann::json, converted directly (no text in
// between). StructToJson (tenant_config.h) is built on it.
#pragma once

#include <google/protobuf/struct.pb.h>

#include "nlohmann/json.hpp"

namespace adcp {

// A JSON number as protobuf's JSON printer writes it: integral values
// without a fraction, non-finite ones as the strings NaN, Infinity.
nlohmann::json JsonNumber(double value);

nlohmann::json ValueToJson(const google::protobuf::Value& value);

}  // namespace adcp
