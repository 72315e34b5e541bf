// MCP: POST /mcp, JSON-RPC 2.0 over streamable HTTP (initialize, ping,
// tools/list, tools/call); a task's answer is the tools/call result.
#include "absl/strings/str_cat.h"
#include "libs/json/proto_json.h"
#include "services/agent-edge/agent_edge.h"
#include "services/agent-edge/edge_request.h"
#include "services/agent-edge/mcp_envelope.h"

namespace adcp::agent_edge {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

constexpr char kServerName[] = "adcp-sales-agent";

// The tools/call result {content: [{type: text, text}], structuredContent,
// isError} written from the payload's JSON text: the payload is serialized
// once, and escaped once for the text block.
std::string ToolResultText(const json& id, const std::string& payload,
                           bool is_error) {
  std::string out;
  out.reserve(2 * payload.size() + 160);
  out += R"({"jsonrpc":"2.0","id":)";
  out += id.dump();
  out += R"(,"result":{"content":[{"type":"text","text":)";
  AppendJsonString(payload, &out);
  out += R"(}],"structuredContent":)";
  out += payload;
  out += R"(,"isError":)";
  out += is_error ? "true" : "false";
  out += "}}";
  return out;
}

}  // namespace

const std::vector<std::string>& McpProtocolVersions() {
  static const std::vector<std::string> versions = {"2025-06-18", "2025-03-26",
                                                    "2024-11-05"};
  return versions;
}

http::Response AgentEdge::Mcp(const Request& call) {
  const http::Request& request = call.http;
  McpMessage message;
  if (std::optional<http::Response> answer = ReadJsonRpc(request, &message))
    return *std::move(answer);
  const std::string& method = message.method;
  const json& id = message.id;
  const json& params = message.params;

  if (method == "initialize" || method == "ping" || method == "tools/list")
    call.tool = method;
  if (method == "initialize") {
    std::string version = McpProtocolVersions().front();
    const std::string asked = params.value("protocolVersion", "");
    for (const std::string& supported : McpProtocolVersions())
      if (asked == supported) version = asked;
    return Json(
        request, bhttp::status::ok,
        RpcResult(id, {{"protocolVersion", version},
                       {"capabilities", {{"tools", {{"listChanged", false}}}}},
                       {"serverInfo",
                        {{"name", kServerName}, {"version", kAgentVersion}}}}));
  }
  if (method == "ping")
    return Json(request, bhttp::status::ok, RpcResult(id, json::object()));
  if (method == "tools/list") {
    json tools = json::array();
    for (const AgentTask& task : TaskCatalog::Get().tasks()) {
      if (!task.OfferedTo(call.tenant)) continue;
      tools.push_back({{"name", task.name},
                       {"description", task.description},
                       {"inputSchema", task.input_schema}});
    }
    return Json(request, bhttp::status::ok, RpcResult(id, {{"tools", tools}}));
  }
  if (method == "tools/call") {
    auto tool = ParseToolCall(params, id);
    if (auto* error = std::get_if<McpEnvelopeError>(&tool))
      return Json(request, bhttp::status::ok,
                  RpcError(error->id, error->code, error->message));
    const ToolCall& tool_call = std::get<ToolCall>(tool);
    const AgentTask* task = TaskCatalog::Get().ByName(tool_call.name);
    if (task == nullptr || !task->OfferedTo(call.tenant))
      return Json(
          request, bhttp::status::ok,
          RpcError(id, -32602, absl::StrCat("Unknown tool: ", tool_call.name)));
    const json& arguments = *tool_call.arguments;
    // The v3 envelope's task status beside the payload (a payload's own
    // status, e.g. a media buy's or "submitted", stays as it is).
    Outcome outcome = RunTask(call, *task, arguments, /*task_status=*/true);
    http::Response response =
        http::JsonResponse(request,
                           outcome.code == grpc::StatusCode::UNAUTHENTICATED
                               ? bhttp::status::unauthorized
                               : bhttp::status::ok,
                           ToolResultText(id, outcome.body, !outcome.ok));
    if (outcome.code == grpc::StatusCode::UNAUTHENTICATED)
      Challenge(response, call);
    return response;
  }
  return Json(
      request, bhttp::status::ok,
      RpcError(id, -32601, "Method not found: " + method.substr(0, 128)));
}

}  // namespace adcp::agent_edge
