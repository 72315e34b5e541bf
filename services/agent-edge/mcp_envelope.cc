#include "mcp_envelope.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "adcp/common/json_limits.h"

namespace adcp::agent_edge {

using nlohmann::json;

std::variant<McpMessage, McpEnvelopeError> ParseMcpEnvelope(
    std::string_view body) {
  absl::StatusOr<json> parsed = ParseJsonBounded(body, "body");
  if (!parsed.ok())
    return McpEnvelopeError{
        .code = -32700,
        .message = absl::StrCat("Parse error: ", parsed.status().message())};
  json& message = *parsed;
  if (message.is_array())
    return McpEnvelopeError{
        .message = "Invalid Request: JSON-RPC batches are not supported; "
                   "send one request per POST"};
  if (!message.is_object() || message.value("jsonrpc", json()) != "2.0" ||
      !message.contains("method") || !message["method"].is_string()) {
    return McpEnvelopeError{.message =
                                "Invalid Request: expected one JSON-RPC 2.0 "
                                "object with a method"};
  }
  McpMessage out;
  out.method = message["method"].get<std::string>();
  if (!message.contains("id")) {
    out.notification = true;
    return out;
  }
  const json& id = message["id"];
  if (!id.is_string() && !id.is_number_integer())
    return McpEnvelopeError{
        .message = "Invalid Request: id must be a string or an integer"};
  if (id.is_string() && id.get_ref<const std::string&>().size() > 256)
    return McpEnvelopeError{.message =
                                "Invalid Request: id longer than 256 "
                                "characters"};
  out.id = id;
  if (auto params = message.find("params"); params != message.end()) {
    if (!params->is_object())
      return McpEnvelopeError{.code = -32602,
                              .message = "Invalid params: expected an object",
                              .id = out.id,
                              .bad_request = false};
    out.params = std::move(*params);
  }
  return out;
}

std::variant<ToolCall, McpEnvelopeError> ParseToolCall(const json& params,
                                                       const json& id) {
  auto name = params.find("name");
  if (name == params.end() || !name->is_string())
    return McpEnvelopeError{.code = -32602,
                            .message = "Invalid params: name is required",
                            .id = id,
                            .bad_request = false};
  ToolCall call;
  call.name = name->get<std::string>();
  if (call.name.size() > 128)
    return McpEnvelopeError{.code = -32602,
                            .message = "Invalid params: name longer than 128 "
                                       "characters",
                            .id = id,
                            .bad_request = false};
  static const json kNoMembers = json::object();
  auto arguments = params.find("arguments");
  call.arguments = arguments == params.end() ? &kNoMembers : &*arguments;
  if (!call.arguments->is_object())
    return McpEnvelopeError{
        .code = -32602,
        .message = "Invalid params: arguments must be an object",
        .id = id,
        .bad_request = false};
  return call;
}

absl::Status ParseTaskArguments(const json& arguments,
                                google::protobuf::Message* request) {
  if (!arguments.is_object())
    return absl::InvalidArgumentError("arguments: expected a JSON object");
  // Within the edge's JSON limits already (depth 64), so neither the dump
  // nor protobuf's parser (depth 100) meets an untrusted depth.
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // AdCP fields this seller does not use
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      arguments.dump(), request, options);
  if (!parsed.ok())
    return absl::InvalidArgumentError(
        absl::StrCat("arguments: ", std::string(parsed.message())));
  return absl::OkStatus();
}

}  // namespace adcp::agent_edge
