// Protobuf messages as AdCP JSON, straight into nlohmann::json: the same
// document protobuf's JSON printer makes with preserve_proto_field_names (and
// the default field presence), without printing text and parsing it again.
// ./dev bench measured that round trip as the largest part of the edge's CPU
// per MCP call, and of media-buy's per create (the tenant config). Struct,
// Value and ListValue are written as JSON; a message type of another well-known
// kind goes through protobuf's printer.
#pragma once

#include <google/protobuf/message.h>

#include "nlohmann/json.hpp"

namespace adcp {

nlohmann::json ProtoToJson(const google::protobuf::Message& message);

}  // namespace adcp
