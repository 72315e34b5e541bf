// Protobuf messages as AdCP JSON: the same document protobuf's JSON printer
// makes with preserve_proto_field_names (and the default field presence),
// written straight from the message by reflection. ./dev bench measured
// protobuf's printer (which serializes the message and transcodes the bytes)
// as the largest part of the edge's CPU per MCP call, and of media-buy's per
// create (the tenant config); then the edge's JSON tree and its dump.
// Struct, Value and ListValue are written as JSON; a message of another
// well-known type goes through protobuf's printer. Both functions below share
// one mapping (proto_json.cc's Writer).
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace adcp {

// Appends the message's JSON text to *out. Fields come in field-number order
// (JSON objects are unordered; protobuf's printer uses the same order).
void AppendProtoJson(const google::protobuf::Message& message,
                     std::string* out);

// The message as a JSON tree (for a caller that reads or edits it).
nlohmann::json ProtoToJson(const google::protobuf::Message& message);

// Appends text as a JSON string literal: quotes, backslashes and control
// characters escaped, everything else (UTF-8 included) as it is.
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace adcp
