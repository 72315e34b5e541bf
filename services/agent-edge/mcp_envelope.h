// The MCP JSON-RPC envelope and task arguments, read from untrusted bytes:
// pure functions (no I/O), shared by the edge and its fuzz targets.
#pragma once

#include <google/protobuf/message.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/status.h"

namespace adcp::agent_edge {

// One JSON-RPC 2.0 request or notification.
struct McpMessage {
  std::string method;
  nlohmann::json id;          // null for a notification
  bool notification = false;  // no "id": nothing is answered
  nlohmann::json params = nlohmann::json::object();
};

// Why a body is not one: the JSON-RPC error to answer, and whether the
// answer is an HTTP 400 (the envelope itself is bad) or 200 (a JSON-RPC
// error about a well-formed request).
struct McpEnvelopeError {
  int code = -32600;
  std::string message;
  nlohmann::json id;  // null when the request's id is unknown
  bool bad_request = true;
};

// Reads a POST /mcp body: one JSON-RPC 2.0 object (batches are refused),
// parsed within the JSON limits (ParseJsonBounded), with a string or integer
// id and object params.
std::variant<McpMessage, McpEnvelopeError> ParseMcpEnvelope(
    std::string_view body);

// The tools/call parameters: the tool's name and its arguments object.
struct ToolCall {
  std::string name;
  const nlohmann::json* arguments = nullptr;  // points into params
};
std::variant<ToolCall, McpEnvelopeError> ParseToolCall(
    const nlohmann::json& params, const nlohmann::json& id);

// Most items of any list in a task's arguments (AdCP's own maxItems, where
// smaller, are media-buy's to enforce).
inline constexpr size_t kMaxArgumentItems = 1000;

// Whether every member of `arguments` that names a field of `descriptor`
// (by its name or JSON name; others are ignored) has that field's JSON type,
// down the whole document, and no list is longer than kMaxArgumentItems.
// INVALID_ARGUMENT naming the member's path ("arguments.packages[0].paused:
// expected true or false") otherwise.
absl::Status CheckArgumentTypes(const nlohmann::json& arguments,
                                const google::protobuf::Descriptor& descriptor);

// A task's arguments (a JSON object) into its request message: AdCP fields
// this seller does not use are ignored; a wrong type is INVALID_ARGUMENT
// starting with "arguments".
absl::Status ParseTaskArguments(const nlohmann::json& arguments,
                                google::protobuf::Message* request);

}  // namespace adcp::agent_edge
