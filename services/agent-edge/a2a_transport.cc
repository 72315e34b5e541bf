// A2A: the tenant's agent card (GET /.well-known/agent-card.json, the older
// /.well-known/agent.json, and both under /a2a/) and its JSON-RPC endpoint
// (POST /a2a), by Host or under /tenants/{subdomain}. An AdCP task is invoked
// by a message whose one DataPart is {skill, input} (the AdCP A2A profile
// extension v3); its answer is an A2A Task, completed (or failed, with the
// adcp_error) in the message/send answer itself: the AdCP payload, a submitted
// one included, is the Task's artifact. The A2A versions, the task ids and why
// the edge keeps no task store: docs/architecture.md ("A2A").
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "libs/base/secrets.h"
#include "libs/json/proto_json.h"
#include "services/agent-edge/a2a_envelope.h"
#include "services/agent-edge/agent_edge.h"
#include "services/agent-edge/edge_request.h"
#include "services/agent-edge/mcp_envelope.h"

namespace adcp::agent_edge {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

// A2A task ids the edge gives out. A submitted AdCP operation's is this
// prefix and its AdCP task_id (media-buy's human task): tasks/get reads it
// back from media-buy. Any other invocation's is random: it completed in
// its answer, and no replica keeps it.
constexpr char kAdcpTaskPrefix[] = "adcp-task-";
constexpr char kInvocationPrefix[] = "a2a-";

// The tenant's A2A endpoint as the agent reached it: the Host it used (or
// the path prefix /tenants/{subdomain}), https when the proxy in front says
// so. Empty when the Host is not a host name.
std::string EndpointUrl(const http::Request& request,
                        const tenant::v1::Tenant& tenant) {
  const std::string base = TenantBaseUrl(request, tenant);
  return base.empty() ? "" : base + "/a2a";
}

json AgentCardOf(const tenant::v1::Tenant& tenant, const std::string& url) {
  json skills = json::array();
  for (const AgentTask& task : TaskCatalog::Get().tasks()) {
    // tasks/get is A2A's own method (A2aTask), not a skill.
    if (!task.OfferedTo(tenant) || task.name == "tasks/get") continue;
    skills.push_back({{"id", task.name},
                      {"name", task.name},
                      {"description", task.description},
                      {"tags", {"adcp"}},
                      {"inputModes", {"application/json"}},
                      {"outputModes", {"application/json"}}});
  }
  const std::string& name =
      tenant.name().empty() ? tenant.subdomain() : tenant.name();
  return {
      {"name", name},
      {"description",
       absl::StrCat("AdCP sales agent of ", name,
                    ": send an AdCP task as a message whose DataPart is "
                    "{skill, input}")},
      {"url", url},
      {"version", kAgentVersion},
      {"protocolVersion", "0.3.0"},
      {"preferredTransport", "JSONRPC"},
      {"supportedInterfaces",
       {{{"url", url},
         {"protocolBinding", "JSONRPC"},
         {"protocolVersion", "1.0"}}}},
      {"capabilities",
       {{"streaming", false},
        {"pushNotifications", false},
        {"stateTransitionHistory", false},
        {"extensions",
         {{{"uri", kAdcpA2aExtension},
           {"description", "AdCP structured task invocation profile"},
           // 0.3 clients (@a2a-js/sdk 0.3) do not activate extensions:
           // marked required, the profile would refuse them.
           {"required", false}}}}}},
      {"defaultInputModes", {"application/json"}},
      {"defaultOutputModes", {"application/json"}},
      {"skills", std::move(skills)},
      {"securitySchemes",
       {{"bearer",
         {{"type", "http"},
          {"scheme", "bearer"},
          {"description", "the principal's AdCP access token"}}},
        {"adcp_auth",
         {{"type", "apiKey"},
          {"in", "header"},
          {"name", "x-adcp-auth"},
          {"description", "the same token in x-adcp-auth"}}}}},
      {"security",
       {{{"bearer", json::array()}}, {{"adcp_auth", json::array()}}}},
  };
}

// An A2A Task of one invocation, as JSON text: its state (completed or
// failed) and the AdCP payload (JSON text) as its artifact's DataPart.
std::string TaskText(A2aVersion version, const std::string& task_id,
                     const std::string& context_id, bool failed,
                     std::string_view payload) {
  const bool v1 = version == A2aVersion::k1_0;
  std::string out;
  out.reserve(payload.size() + 320);
  out += v1 ? "{\"id\":" : "{\"kind\":\"task\",\"id\":";
  AppendJsonString(task_id, &out);
  out += ",\"contextId\":";
  AppendJsonString(context_id, &out);
  out += ",\"status\":{\"state\":";
  out += v1 ? (failed ? "\"TASK_STATE_FAILED\"" : "\"TASK_STATE_COMPLETED\"")
            : (failed ? "\"failed\"" : "\"completed\"");
  out += ",\"timestamp\":";
  AppendJsonString(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                    absl::UTCTimeZone()),
                   &out);
  out += "},\"artifacts\":[{\"artifactId\":";
  out += failed ? "\"error\",\"name\":\"error\""
                : "\"result\",\"name\":\"result\"";
  out += v1 ? ",\"parts\":[{\"data\":"
            : ",\"parts\":[{\"kind\":\"data\",\"data\":";
  out += payload;
  out += "}]}]}";
  return out;
}

std::string RpcResultText(const json& id, std::string_view result) {
  std::string out = R"({"jsonrpc":"2.0","id":)";
  out += id.dump();
  out += ",\"result\":";
  out += result;
  out += '}';
  return out;
}

// The AdCP task_id of a submitted answer (JSON text), if it is one.
std::optional<std::string> SubmittedTaskId(const std::string& payload) {
  if (!absl::StrContains(payload, "\"submitted\"")) return std::nullopt;
  const json answer = json::parse(payload, nullptr, false);
  if (!answer.is_object() || answer.value("status", "") != "submitted")
    return std::nullopt;
  const std::string task_id = answer.value("task_id", "");
  if (task_id.empty() || task_id.size() > 200) return std::nullopt;
  return task_id;
}

// media-buy's GetHumanTask, called as a task: what tasks/get reads.
const AgentTask& HumanTaskLookup() {
  static const AgentTask* task = [] {
    const auto* service = media_buy::v1::GetHumanTaskRequest::descriptor()
                              ->file()
                              ->FindServiceByName("MediaBuyService");
    auto* lookup = new AgentTask;
    lookup->name = "tasks/get";
    lookup->method = service->FindMethodByName("GetHumanTask");
    lookup->grpc_path =
        absl::StrCat("/", service->full_name(), "/GetHumanTask");
    return lookup;
  }();
  return *task;
}

// The AdCP operation behind a human task, as the artifact of its A2A task:
// AdCP's task status (submitted while a human has not decided).
json OperationOf(const json& human_task) {
  if (!human_task.is_object()) return {{"status", "failed"}};
  const std::string status = human_task.value("status", "");
  json operation = {{"task_id", human_task.value("task_id", "")},
                    {"task_type", human_task.value("task_type", "")},
                    {"status", status == "approved"   ? "completed"
                               : status == "rejected" ? "rejected"
                               : status == "failed"   ? "failed"
                                                      : "submitted"}};
  for (const char* key : {"media_buy_id", "creative_id", "resolution"})
    if (human_task.contains(key)) operation[key] = human_task[key];
  return operation;
}

}  // namespace

std::string TenantBaseUrl(const http::Request& request,
                          const tenant::v1::Tenant& tenant) {
  const std::string host = Header(request, "host");
  if (host.empty() || host.size() > 255 ||
      host.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
          std::string::npos)
    return "";
  const absl::string_view target(request.target().data(),
                                 request.target().size());
  return absl::StrCat(
      Header(request, "x-forwarded-proto") == "https" ? "https" : "http", "://",
      host,
      absl::StartsWith(target, "/tenants/")
          ? absl::StrCat("/tenants/", tenant.subdomain())
          : "");
}

bool IsA2aPath(std::string_view path) {
  if (path.substr(0, 5) == "/a2a/") path.remove_prefix(4);
  return path == "/a2a" || path == "/.well-known/agent-card.json" ||
         path == "/.well-known/agent.json";
}

http::Response AgentEdge::A2a(const Request& call, const std::string& path) {
  const http::Request& request = call.http;
  if (path != "/a2a") {  // the agent card
    if (request.method() != bhttp::verb::get) {
      http::Response response = http::JsonError(
          request, bhttp::status::method_not_allowed, "GET the agent card");
      response.set(bhttp::field::allow, "GET");
      return response;
    }
    call.tool = "agent-card";
    const std::string url = EndpointUrl(request, call.tenant);
    if (url.empty())
      return http::JsonError(request, bhttp::status::bad_request,
                             "a Host header naming this server is required");
    return Json(request, bhttp::status::ok, AgentCardOf(call.tenant, url));
  }
  if (request.method() != bhttp::verb::post) {
    http::Response response =
        http::JsonError(request, bhttp::status::method_not_allowed,
                        "POST A2A JSON-RPC messages to this endpoint");
    response.set(bhttp::field::allow, "POST");
    return response;
  }
  if (std::optional<http::Response> throttled =
          ThrottleAnonymous(call, /*json_rpc=*/true))
    return *std::move(throttled);
  http::Response response = A2aMessage(call);
  if (absl::StrContains(Header(request, "a2a-extensions"), kAdcpA2aExtension))
    response.set("A2A-Extensions", kAdcpA2aExtension);
  return response;
}

http::Response AgentEdge::A2aMessage(const Request& call) {
  const http::Request& request = call.http;
  McpMessage message;
  if (std::optional<http::Response> answer = ReadJsonRpc(request, &message))
    return *std::move(answer);
  const A2aMethodName method = A2aMethodOf(message.method);
  // The metrics' tool: one name per method (a task's own name, once
  // RunTask runs it), whatever the client spelled.
  static const auto* kTools = new std::map<A2aMethod, std::string>{
      {A2aMethod::kSendMessage, "message/send"},
      {A2aMethod::kGetTask, "tasks/get"},
      {A2aMethod::kCancelTask, "tasks/cancel"},
      {A2aMethod::kStream, "message/stream"},
      {A2aMethod::kPushConfig, "push-notification-config"}};
  if (auto it = kTools->find(method.method); it != kTools->end())
    call.tool = it->second;
  switch (method.method) {
    case A2aMethod::kSendMessage:
      return A2aSend(call, message.id, method.version, message.params);
    case A2aMethod::kGetTask:
    case A2aMethod::kCancelTask:
      return A2aTask(call, message.id, method, message.params);
    case A2aMethod::kStream:
      return Json(request, bhttp::status::ok,
                  RpcError(message.id, kA2aUnsupportedOperation,
                           "Unsupported operation: this agent does not "
                           "stream (capabilities.streaming is false); use "
                           "message/send"));
    case A2aMethod::kPushConfig:
      return Json(request, bhttp::status::ok,
                  RpcError(message.id, kA2aPushNotSupported,
                           "Push Notification is not supported"));
    case A2aMethod::kUnknown:
      break;
  }
  return Json(request, bhttp::status::ok,
              RpcError(message.id, -32601,
                       "Method not found: " + message.method.substr(0, 128)));
}

http::Response AgentEdge::A2aSend(const Request& call, const json& id,
                                  A2aVersion version, const json& params) {
  auto parsed = ParseA2aInvocation(params);
  if (auto* error = std::get_if<A2aError>(&parsed))
    return Json(call.http, bhttp::status::ok,
                RpcError(id, error->code, error->message));
  const A2aInvocation& invocation = std::get<A2aInvocation>(parsed);
  const AgentTask* task = TaskCatalog::Get().ByName(invocation.skill);
  if (task == nullptr || !task->OfferedTo(call.tenant))
    return Json(call.http, bhttp::status::ok,
                RpcError(id, kA2aInvalidParams,
                         "Invalid params: unknown skill " + invocation.skill));
  // The DataPart carries the AdCP response with its own task status, as
  // MCP's structuredContent does.
  const Outcome outcome =
      RunTask(call, *task, *invocation.input, /*task_status=*/true);
  // A submitted operation's ids are derived from its AdCP task_id, so that
  // tasks/get answers the same on every replica.
  const std::optional<std::string> adcp =
      outcome.ok ? SubmittedTaskId(outcome.body) : std::nullopt;
  const std::string task_id =
      adcp ? kAdcpTaskPrefix + *adcp : kInvocationPrefix + RandomHex(12);
  const std::string context_id = !invocation.context_id.empty()
                                     ? invocation.context_id
                                 : adcp ? "ctx-" + *adcp
                                        : "ctx-" + RandomHex(12);
  std::string result =
      TaskText(version, task_id, context_id, !outcome.ok, outcome.body);
  if (version == A2aVersion::k1_0) result = "{\"task\":" + result + "}";
  const bool unauthenticated =
      outcome.code == grpc::StatusCode::UNAUTHENTICATED;
  http::Response response = http::JsonResponse(
      call.http,
      unauthenticated ? bhttp::status::unauthorized : bhttp::status::ok,
      RpcResultText(id, result));
  if (unauthenticated) Challenge(response, call);
  return response;
}

http::Response AgentEdge::A2aTask(const Request& call, const json& id,
                                  A2aMethodName method, const json& params) {
  auto parsed = ParseA2aTaskId(params);
  if (auto* error = std::get_if<A2aError>(&parsed))
    return Json(call.http, bhttp::status::ok,
                RpcError(id, error->code, error->message));
  const std::string& task_id = std::get<std::string>(parsed);
  if (!absl::StartsWith(task_id, kAdcpTaskPrefix))
    return Json(call.http, bhttp::status::ok,
                RpcError(id, kA2aTaskNotFound,
                         "Task not found: an invocation that completed in its "
                         "message/send answer is not kept"));
  const std::string adcp_id = task_id.substr(sizeof kAdcpTaskPrefix - 1);
  const Outcome outcome = RunTask(
      call, HumanTaskLookup(), {{"task_id", adcp_id}}, /*task_status=*/false);
  if (!outcome.ok) {
    const bool unauthenticated =
        outcome.code == grpc::StatusCode::UNAUTHENTICATED;
    json error = RpcError(id, kA2aTaskNotFound, "Task not found");
    if (unauthenticated || outcome.code == grpc::StatusCode::UNAVAILABLE ||
        outcome.code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      // Not an answer about the task: the caller's own problem, or later.
      error = RpcError(id, -32000, "the task could not be read");
      if (json data = json::parse(outcome.body, nullptr, false);
          data.is_object())
        error["error"]["data"] = std::move(data);
    }
    http::Response response =
        Json(call.http,
             unauthenticated ? bhttp::status::unauthorized : bhttp::status::ok,
             error);
    if (unauthenticated) Challenge(response, call);
    return response;
  }
  if (method.method == A2aMethod::kCancelTask)
    return Json(call.http, bhttp::status::ok,
                RpcError(id, kA2aTaskNotCancelable,
                         "Task cannot be canceled: it completed when the AdCP "
                         "operation was submitted"));
  const json operation = OperationOf(json::parse(outcome.body, nullptr, false));
  return http::JsonResponse(
      call.http, bhttp::status::ok,
      RpcResultText(
          id,
          TaskText(
              method.version, task_id, "ctx-" + adcp_id, /*failed=*/false,
              operation.dump(-1, ' ', false, json::error_handler_t::replace))));
}

}  // namespace adcp::agent_edge
