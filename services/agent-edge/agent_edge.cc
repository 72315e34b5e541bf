#include "services/agent-edge/agent_edge.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/codegen/rpc_method.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/base/env.h"
#include "libs/base/log.h"
#include "libs/base/status.h"
#include "libs/json/json_limits.h"
#include "libs/json/proto_json.h"
#include "libs/tenancy/call_context.h"
#include "libs/tenancy/metadata.h"
#include "libs/tenancy/service_channel.h"
#include "libs/tenancy/service_config.h"
#include "libs/tenancy/tenant_route.h"
#include "services/agent-edge/mcp_envelope.h"

namespace adcp::agent_edge {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

constexpr char kServerName[] = "adcp-sales-agent";
constexpr char kServerVersion[] = "0.4.0";
constexpr char kAdcpErrorTrailer[] = "adcp-error-bin";

std::string Header(const http::Request& request, std::string_view name) {
  auto it = request.find(boost::beast::string_view(name.data(), name.size()));
  if (it == request.end()) return "";
  return std::string(it->value().data(), it->value().size());
}

// The agent's token: x-adcp-auth, or Authorization: Bearer. A token that is
// not an RFC 6750 token (bad bytes, too long) is `malformed`: refused with
// 401 before it goes anywhere.
struct PresentedToken {
  std::string token;
  bool malformed = false;
};
PresentedToken Token(const http::Request& request) {
  std::string token = Header(request, "x-adcp-auth");
  if (token.empty()) {
    const std::string authorization = Header(request, "authorization");
    if (authorization.size() > 7 &&
        absl::EqualsIgnoreCase(authorization.substr(0, 7), "bearer ")) {
      token = std::string(absl::StripAsciiWhitespace(
          absl::string_view(authorization).substr(7)));
    }
  }
  if (token.empty()) return {};
  if (!IsBearerToken(token)) return {.token = "", .malformed = true};
  return {.token = std::move(token)};
}

json AdcpError(const std::string& code, const std::string& message,
               const std::string& recovery, const std::string& field = "") {
  json error = {{"code", code}, {"message", message}, {"recovery", recovery}};
  if (!field.empty()) error["field"] = field;
  return error;
}

// An AdCP error for a failure that came without one (the guard refused).
json ErrorOfStatus(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      return AdcpError("AUTH_REQUIRED", status.error_message(), "correctable");
    case grpc::StatusCode::PERMISSION_DENIED:
      return AdcpError("PERMISSION_DENIED", status.error_message(), "terminal");
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return AdcpError("RATE_LIMITED", status.error_message(), "transient");
    case grpc::StatusCode::INVALID_ARGUMENT:
      return AdcpError("VALIDATION_ERROR", status.error_message(),
                       "correctable");
    case grpc::StatusCode::NOT_FOUND:
      return AdcpError("REFERENCE_NOT_FOUND", status.error_message(),
                       "correctable");
    default:
      return AdcpError("SERVICE_UNAVAILABLE",
                       "the seller could not answer; retry later", "transient");
  }
}

bhttp::status HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return bhttp::status::ok;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return bhttp::status::bad_request;
    case grpc::StatusCode::UNAUTHENTICATED:
      return bhttp::status::unauthorized;
    case grpc::StatusCode::PERMISSION_DENIED:
      return bhttp::status::forbidden;
    case grpc::StatusCode::NOT_FOUND:
      return bhttp::status::not_found;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return bhttp::status::conflict;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return bhttp::status::too_many_requests;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return bhttp::status::service_unavailable;
    default:
      return bhttp::status::internal_server_error;
  }
}

// A member added to an object's JSON text: before its closing brace.
void AppendMember(std::string_view key, std::string_view value,
                  std::string* object) {
  object->pop_back();  // '}'
  if (object->back() != '{') object->push_back(',');
  AppendJsonString(key, object);
  object->push_back(':');
  object->append(value);
  object->push_back('}');
}

// Whether the message's JSON has the field (it is set: the printer leaves
// proto3 defaults and empty repeated fields out).
bool Listed(const google::protobuf::Message& message, const std::string& name) {
  const auto* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr) return false;
  const auto* reflection = message.GetReflection();
  return field->is_repeated() ? reflection->FieldSize(message, field) > 0
                              : reflection->HasField(message, field);
}

// An answer that says it failed: comply_test_controller's
// {success: false, error}.
bool SaysItFailed(const google::protobuf::Message& message) {
  const auto* field = message.GetDescriptor()->FindFieldByName("success");
  return field != nullptr && !field->is_repeated() &&
         field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_BOOL &&
         message.GetReflection()->HasField(message, field) &&
         !message.GetReflection()->GetBool(message, field);
}

// Arrays AdCP's response schemas require even when empty; protobuf's JSON
// leaves empty repeated fields out.
void AddRequiredArrays(const google::protobuf::Message& message,
                       std::string* text) {
  static const auto* required = new std::map<std::string, std::string>{
      {"GetProductsResponse", "products"},
      {"ListCreativeFormatsResponse", "formats"},
      {"GetMediaBuysResponse", "media_buys"},
      {"GetMediaBuyDeliveryResponse", "media_buy_deliveries"},
      {"ListCreativesResponse", "creatives"},
      {"ListAccountsResponse", "accounts"},
  };
  auto it = required->find(message.GetDescriptor()->name());
  if (it != required->end() && !Listed(message, it->second))
    AppendMember(it->second, "[]", text);
}

json RpcError(const json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"},
          {"id", id},
          {"error", {{"code", code}, {"message", message}}}};
}

json RpcResult(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

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

http::Response Json(const http::Request& request, bhttp::status status,
                    const json& body) {
  return http::JsonResponse(
      request, status,
      body.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace

struct AgentEdge::Request {
  const http::Request& http;
  const tenant::v1::Tenant& tenant;
  std::string tenant_id;
  std::string token;
  bool malformed_token = false;  // presented, but not a token: 401
  std::string client;            // the caller's address
  // For the metrics: the task or MCP method served (bounded: known names
  // only), and the outcome of a task ("ok" or its AdCP error code).
  mutable std::string tool = "-";
  mutable std::string outcome;
};

// RFC 6750 section 3: a 401 names the scheme, and why a token failed.
void AgentEdge::Challenge(http::Response& response, const Request& call) {
  std::string challenge = "Bearer realm=\"adcp\"";
  if (call.malformed_token)
    challenge +=
        ", error=\"invalid_token\", error_description=\"the token is "
        "malformed\"";
  else if (!call.token.empty())
    challenge +=
        ", error=\"invalid_token\", error_description=\"the token is "
        "not valid for this publisher\"";
  response.set(bhttp::field::www_authenticate, challenge);
}

const std::vector<std::string>& McpProtocolVersions() {
  static const std::vector<std::string> versions = {"2025-06-18", "2025-03-26",
                                                    "2024-11-05"};
  return versions;
}

absl::StatusOr<EdgeConfig> EdgeConfigFromEnv() {
  EdgeConfig config;
  ASSIGN_OR_RETURN(config.http,
                   http::ServerOptionsFromEnv("AGENT_HTTP_PORT", 8080, 16));
  ASSIGN_OR_RETURN(config.metrics_port,
                   env::Int("METRICS_PORT", 9465, -1, 65535));
  config.registry_address =
      env::String("TENANT_REGISTRY_ADDR", "127.0.0.1:50051");
  config.media_buy_address = env::String("MEDIA_BUY_ADDR", "127.0.0.1:50053");
  ASSIGN_OR_RETURN(config.internal_token, env::Required("ADCP_INTERNAL_TOKEN"));
  ASSIGN_OR_RETURN(config.base_domains, BaseDomainsFromEnv());
  ASSIGN_OR_RETURN(config.tenant_concurrency,
                   env::Int("EDGE_TENANT_CONCURRENCY",
                            std::max(1, config.http.threads / 2), 1, 4096));
  ASSIGN_OR_RETURN(const int wait_ms,
                   env::Int("EDGE_TENANT_WAIT_MS", 500, 0, 60000));
  config.tenant_wait = absl::Milliseconds(wait_ms);
  ASSIGN_OR_RETURN(config.anonymous_client_limit,
                   RateLimitFromEnv("RATE_LIMIT_CLIENT",
                                    RateLimit{.per_second = 10, .burst = 10}));
  return config;
}

AgentEdge::AgentEdge(EdgeConfig config)
    : config_(std::move(config)),
      tenants_(std::make_shared<TenantCache>(MakeServiceChannel(
          config_.registry_address, config_.internal_token))),
      media_buy_(MakeServiceChannel(config_.media_buy_address,
                                    config_.internal_token)),
      bulkhead_(config_.tenant_concurrency, config_.tenant_wait),
      metrics_(std::make_shared<prometheus::Registry>()),
      requests_(&prometheus::BuildCounter()
                     .Name("agent_requests_total")
                     .Help("Agent requests answered, by transport (mcp, rest, "
                           "other), tool (the AdCP task or MCP method, - for "
                           "none) and status (ok, the AdCP error code, or the "
                           "HTTP status of a request that ran no task).")
                     .Register(*metrics_)),
      durations_(&prometheus::BuildHistogram()
                      .Name("agent_request_duration_seconds")
                      .Help("Time to answer an agent request, by transport "
                            "and tool.")
                      .Register(*metrics_)) {}

AgentEdge::~AgentEdge() { Shutdown(); }

absl::StatusOr<std::unique_ptr<AgentEdge>> AgentEdge::Start(EdgeConfig config) {
  std::unique_ptr<AgentEdge> edge(new AgentEdge(std::move(config)));
  edge->tenants_->Start();
  if (!edge->tenants_->WaitUntilSynced(edge->config_.startup_wait)) {
    return absl::UnavailableError(
        absl::StrCat("no tenant snapshot from the registry at ",
                     edge->config_.registry_address));
  }
  edge->server_ = std::make_unique<http::Server>(
      edge->config_.http, [e = edge.get()](const http::Request& request,
                                           const std::string& client) {
        return e->Route(request, client);
      });
  RETURN_IF_ERROR(edge->server_->Start());
  if (edge->config_.metrics_port >= 0) {
    try {
      edge->exposer_ = std::make_unique<prometheus::Exposer>(
          edge->config_.http.bind_host + ":" +
          std::to_string(edge->config_.metrics_port));
      edge->exposer_->RegisterCollectable(edge->metrics_);
    } catch (const std::exception& e) {
      return absl::UnavailableError(std::string("metrics exposer: ") +
                                    e.what());
    }
  }
  log::Info("serving", {{"http_port", edge->server_->port()}});
  return edge;
}

void AgentEdge::Shutdown() {
  if (server_) server_->Stop();
  exposer_.reset();
  tenants_->Stop();
}

std::shared_ptr<const TenantCache::Tenant> AgentEdge::ResolveTenant(
    const http::Request& request, std::string* rest_of_path) const {
  const std::string_view target(request.target().data(),
                                request.target().size());
  *rest_of_path = std::string(PathOf(target));
  if (absl::StartsWith(*rest_of_path, "/tenants/")) {
    std::optional<PathTenant> named = TenantOfPath(target);
    if (!named) return nullptr;
    *rest_of_path = std::move(named->rest);
    return tenants_->FindBySubdomain(named->subdomain);
  }
  return tenants_->FindByHost(Header(request, "host"), config_.base_domains);
}

http::Response AgentEdge::Route(const http::Request& request,
                                const std::string& client) {
  const absl::Time start = absl::Now();
  const std::string_view target(request.target().data(),
                                request.target().size());
  if (target.substr(0, target.find('?')) == "/healthz") {
    auto stub = grpc::health::v1::Health::NewStub(media_buy_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(2));
    grpc::health::v1::HealthCheckResponse health;
    const bool serving =
        stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &health)
            .ok() &&
        health.status() == grpc::health::v1::HealthCheckResponse::SERVING;
    return serving
               ? Json(request, bhttp::status::ok, {{"status", "ok"}})
               : http::JsonError(request, bhttp::status::service_unavailable,
                                 "a backend is not serving");
  }
  std::string path;
  auto tenant = ResolveTenant(request, &path);
  std::string transport = "other";
  std::string tool = "-", outcome;
  http::Response response;
  if (tenant == nullptr || !tenant->is_active()) {
    response =
        http::JsonError(request, bhttp::status::not_found, "Tenant not found");
  } else {
    PresentedToken token = Token(request);
    const Request call{.http = request,
                       .tenant = *tenant,
                       .tenant_id = tenant->tenant_id(),
                       .token = std::move(token.token),
                       .malformed_token = token.malformed,
                       .client = client};
    if (path == "/mcp") {
      transport = "mcp";
      if (request.method() == bhttp::verb::post) {
        std::optional<http::Response> throttled =
            ThrottleAnonymous(call, /*mcp=*/true);
        response = throttled ? *std::move(throttled) : Mcp(call);
      } else {
        response = http::JsonError(request, bhttp::status::method_not_allowed,
                                   "POST JSON-RPC messages to this endpoint");
        response.set(bhttp::field::allow, "POST");
      }
    } else if (const AgentTask* task = TaskCatalog::Get().ByPath(path);
               task != nullptr && task->OfferedTo(*tenant)) {
      transport = "rest";
      if (request.method() == bhttp::verb::post) {
        std::optional<http::Response> throttled =
            ThrottleAnonymous(call, /*mcp=*/false);
        response = throttled ? *std::move(throttled) : Rest(call, *task);
      } else {
        response = http::JsonError(request, bhttp::status::method_not_allowed,
                                   "POST the task's request as JSON");
        response.set(bhttp::field::allow, "POST");
      }
    } else {
      response =
          http::JsonError(request, bhttp::status::not_found, "not found");
    }
    tool = call.tool;
    outcome = call.outcome;
  }
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  durations_->Add({{"transport", transport}, {"tool", tool}}, kBuckets)
      .Observe(absl::ToDoubleSeconds(absl::Now() - start));
  requests_
      ->Add({{"transport", transport},
             {"tool", tool},
             {"status", outcome.empty() ? std::to_string(response.result_int())
                                        : outcome}})
      .Increment();
  return response;
}

AgentEdge::Outcome AgentEdge::RunTask(const Request& call,
                                      const AgentTask& task,
                                      const json& arguments, bool task_status) {
  call.tool = task.name;
  Outcome outcome;
  json failed;  // the answer of a call that failed
  auto* factory = google::protobuf::MessageFactory::generated_factory();
  // The call's messages live in one arena: a get_products answer is
  // hundreds of small objects (Structs), allocated at once and never freed
  // one by one.
  google::protobuf::Arena arena;
  google::protobuf::Message* request =
      factory->GetPrototype(task.method->input_type())->New(&arena);
  grpc::ClientContext context;
  const absl::Status parsed = ParseTaskArguments(arguments, request);
  absl::StatusOr<TenantBulkhead::Slot> slot;
  if (call.malformed_token) {
    outcome.code = grpc::StatusCode::UNAUTHENTICATED;
    failed = {{"adcp_error",
               AdcpError("AUTH_REQUIRED",
                         "x-adcp-auth: the token is malformed (expected at "
                         "most 512 characters of A-Z a-z 0-9 - . _ ~ + / =)",
                         "correctable")}};
  } else if (!parsed.ok()) {
    // "arguments.packages[0].paused: ..." names the field
    // "packages[0].paused".
    const std::string message(parsed.message());
    std::string field;
    if (absl::StartsWith(message, "arguments."))
      field = message.substr(10, message.find(':') - 10);
    outcome.code = grpc::StatusCode::INVALID_ARGUMENT;
    failed = {{"adcp_error",
               AdcpError("VALIDATION_ERROR", message, "correctable", field)}};
  } else if (slot = bulkhead_.Acquire(call.tenant_id); !slot.ok()) {
    // This tenant's calls fill its share of the threads: refused, so that
    // the other tenants' calls go on.
    outcome.code = grpc::StatusCode::UNAVAILABLE;
    failed = {{"adcp_error",
               AdcpError("SERVICE_UNAVAILABLE",
                         std::string(slot.status().message()), "transient")}};
  } else if (absl::Status forwarded = ForwardTenant(
                 &context, ForwardedCall{.tenant_id = call.tenant_id,
                                         .bearer_token = call.token,
                                         .client_address = call.client});
             !forwarded.ok()) {
    // The edge checked every value; a value that still fails is refused
    // here rather than reaching gRPC.
    log::Error("call not forwarded",
               {{"tenant_id", call.tenant_id},
                {"error", std::string(forwarded.message())}});
    outcome.code = grpc::StatusCode::INTERNAL;
    failed = {{"adcp_error",
               ErrorOfStatus(grpc::Status(grpc::StatusCode::INTERNAL, ""))}};
  } else {
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(config_.call_deadline));
    const std::string bytes = request->SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer in(&slice, 1), out;
    const grpc::Status status =
        grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
            media_buy_.get(),
            grpc::internal::RpcMethod(task.grpc_path.c_str(),
                                      grpc::internal::RpcMethod::NORMAL_RPC),
            &context, in, &out);
    outcome.code = status.error_code();
    if (status.ok()) {
      google::protobuf::Message* response =
          factory->GetPrototype(task.method->output_type())->New(&arena);
      grpc::ProtoBufferReader reader(&out);
      if (!response->ParseFromZeroCopyStream(&reader)) {
        // Not what the method answers (or a string that is not UTF-8):
        // nothing of it reaches the agent.
        log::Error("unreadable answer from media-buy",
                   {{"tenant_id", call.tenant_id}, {"task", task.name}});
        outcome.code = grpc::StatusCode::INTERNAL;
        failed = {{"adcp_error", ErrorOfStatus(grpc::Status(
                                     grpc::StatusCode::INTERNAL, ""))}};
      } else if (!SaysItFailed(*response)) {
        // The answer is written as text straight from the message: no JSON
        // tree (the bench measured the tree and its dump as a third of the
        // edge's CPU per get_products).
        outcome.ok = true;
        outcome.body.reserve(out.Length() * 3 / 2 + 64);
        AppendProtoJson(*response, &outcome.body);
        AddRequiredArrays(*response, &outcome.body);
        if (task_status && !Listed(*response, "status"))
          AppendMember("status", R"("completed")", &outcome.body);
        call.outcome = "ok";
        return outcome;
      } else {
        failed = ProtoToJson(*response);
      }
    } else {
      json error;
      const auto& trailers = context.GetServerTrailingMetadata();
      if (auto it = trailers.find(kAdcpErrorTrailer); it != trailers.end()) {
        media_buy::v1::Error adcp;
        adcp.ParseFromString(std::string(it->second.data(), it->second.size()));
        error = ProtoToJson(adcp);
      } else {
        error = ErrorOfStatus(status);
      }
      failed = {{"adcp_error", std::move(error)}};
    }
  }
  if (arguments.contains("context")) failed["context"] = arguments["context"];
  if (task_status && !failed.contains("status")) failed["status"] = "failed";
  if (const json* error =
          failed.contains("adcp_error") ? &failed["adcp_error"] : nullptr;
      error != nullptr && error->contains("code") &&
      (*error)["code"].is_string()) {
    call.outcome = (*error)["code"];
  } else {
    call.outcome = failed.value("error", "error");  // the controller's
  }
  outcome.body = failed.dump(-1, ' ', false, json::error_handler_t::replace);
  return outcome;
}

std::optional<http::Response> AgentEdge::ThrottleAnonymous(const Request& call,
                                                           bool mcp) {
  if (!config_.anonymous_client_limit || !call.token.empty() ||
      call.malformed_token)
    return std::nullopt;
  const std::optional<absl::Duration> wait = anonymous_limiter_.Acquire(
      "c:" + call.client, *config_.anonymous_client_limit);
  if (!wait) return std::nullopt;
  const int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(*wait));
  call.outcome = "RATE_LIMITED";
  const json error =
      AdcpError("RATE_LIMITED",
                absl::StrCat("rate limit of this client exceeded; retry after ",
                             ms, " ms"),
                "transient");
  // Answered before the body is read: an MCP caller gets the JSON-RPC
  // error without its id (null), as for a request that could not be read.
  http::Response response =
      Json(call.http, bhttp::status::too_many_requests,
           mcp ? json{{"jsonrpc", "2.0"},
                      {"id", nullptr},
                      {"error",
                       {{"code", -32000},
                        {"message", error["message"]},
                        {"data", {{"adcp_error", error}}}}}}
               : json{{"adcp_error", error}});
  response.set(bhttp::field::retry_after, std::to_string((ms + 999) / 1000));
  // Held until a token would be there (at most a second): a flooding
  // client's keep-alive connections then carry about one request per wait,
  // not as many as it can send.
  response.set(http::kDelayHeader, std::to_string(std::min<int64_t>(ms, 1000)));
  return response;
}

http::Response AgentEdge::Rest(const Request& call, const AgentTask& task) {
  absl::StatusOr<json> parsed =
      call.http.body().empty() ? json::object()
                               : ParseJsonBounded(call.http.body(), "body");
  if (parsed.ok() && !parsed->is_object())
    parsed = absl::InvalidArgumentError("body: expected a JSON object");
  if (!parsed.ok()) {
    return Json(
        call.http, bhttp::status::bad_request,
        {{"adcp_error",
          AdcpError("VALIDATION_ERROR", std::string(parsed.status().message()),
                    "correctable")}});
  }
  const json& arguments = *parsed;
  Outcome outcome = RunTask(call, task, arguments, /*task_status=*/false);
  http::Response response = http::JsonResponse(
      call.http, HttpStatusOf(outcome.code), std::move(outcome.body));
  if (outcome.code == grpc::StatusCode::UNAUTHENTICATED)
    Challenge(response, call);
  return response;
}

http::Response AgentEdge::Mcp(const Request& call) {
  const http::Request& request = call.http;
  auto envelope = ParseMcpEnvelope(request.body());
  if (auto* error = std::get_if<McpEnvelopeError>(&envelope))
    return Json(
        request,
        error->bad_request ? bhttp::status::bad_request : bhttp::status::ok,
        RpcError(error->id, error->code, error->message));
  const McpMessage& message = std::get<McpMessage>(envelope);
  if (message.notification) {
    // A notification (or a response): accepted, nothing to answer.
    http::Response accepted{bhttp::status::accepted, request.version()};
    accepted.keep_alive(request.keep_alive());
    accepted.prepare_payload();
    return accepted;
  }
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
        RpcResult(id,
                  {{"protocolVersion", version},
                   {"capabilities", {{"tools", {{"listChanged", false}}}}},
                   {"serverInfo",
                    {{"name", kServerName}, {"version", kServerVersion}}}}));
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
