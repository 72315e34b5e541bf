// The agent edge's core: its configuration, start and stop, the tenant of a
// request (Host or /tenants/{subdomain}), the anonymous client budget, and
// the routing of a request to its transport (mcp_transport.cc,
// rest_transport.cc, a2a_transport.cc) with the request metrics. The forwarding
// of a task to media-buy, which every transport shares, is task_call.cc.
#include "services/agent-edge/agent_edge.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/base/env.h"
#include "libs/base/log.h"
#include "libs/base/status.h"
#include "libs/tenancy/metadata.h"
#include "libs/tenancy/service_channel.h"
#include "libs/tenancy/service_config.h"
#include "libs/tenancy/tenant_route.h"
#include "services/agent-edge/edge_request.h"
#include "services/agent-edge/shared_replays.h"

namespace adcp::agent_edge {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

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

}  // namespace

// RFC 6750 section 3: a 401 names the scheme, and why a token failed.
void AgentEdge::Challenge(http::Response& response, const Request& call) {
  if (!call.signature_error.empty()) {
    response.set(
        bhttp::field::www_authenticate,
        absl::StrCat("Signature error=\"", call.signature_error, "\""));
    return;
  }
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

absl::StatusOr<EdgeConfig> EdgeConfigFromEnv() {
  EdgeConfig config;
  ASSIGN_OR_RETURN(config.http,
                   http::ServerOptionsFromEnv("AGENT_HTTP_PORT", 8080, 16));
  ASSIGN_OR_RETURN(config.metrics_port,
                   env::Int("METRICS_PORT", 9465, -1, 65535));
  config.registry_address =
      env::String("TENANT_REGISTRY_ADDR", "127.0.0.1:50051");
  config.media_buy_address = env::String("MEDIA_BUY_ADDR", "127.0.0.1:50053");
  config.auth_address = env::String("AUTH_ADDR", "127.0.0.1:50052");
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
  ASSIGN_OR_RETURN(const int jwks_timeout_ms,
                   env::Int("JWKS_FETCH_TIMEOUT_MS", 3000, 100, 30000));
  config.jwks.timeout = absl::Milliseconds(jwks_timeout_ms);
  ASSIGN_OR_RETURN(const int jwks_ttl,
                   env::Int("JWKS_TTL_SECONDS", 300, 10, 86400));
  config.jwks.ttl = absl::Seconds(jwks_ttl);
  ASSIGN_OR_RETURN(const int jwks_bytes,
                   env::Int("JWKS_MAX_BYTES", 64 << 10, 1024, 1 << 20));
  config.jwks.max_bytes = jwks_bytes;
  ASSIGN_OR_RETURN(config.jwks_allowed,
                   http::ParseCidrList(env::String("JWKS_ALLOW_CIDRS", "")));
  ASSIGN_OR_RETURN(const int publish_ttl,
                   env::Int("JWKS_PUBLISH_TTL_SECONDS", 60, 1, 3600));
  config.published_keys.ttl = absl::Seconds(publish_ttl);
  return config;
}

AgentEdge::AgentEdge(EdgeConfig config)
    : config_(std::move(config)),
      tenants_(std::make_shared<TenantCache>(MakeServiceChannel(
          config_.registry_address, config_.internal_token))),
      media_buy_(MakeServiceChannel(config_.media_buy_address,
                                    config_.internal_token)),
      published_keys_(media_buy_, config_.published_keys),
      metrics_(std::make_shared<prometheus::Registry>()),
      signatures_(std::make_unique<SignatureGate>(
          config_.jwks, config_.jwks_allowed,
          config_.replays != nullptr || config_.auth_address.empty()
              ? config_.replays
              : std::make_shared<SharedReplayStores>(
                    MakeServiceChannel(config_.auth_address,
                                       config_.internal_token),
                    &prometheus::BuildCounter()
                         .Name("agent_replay_store_calls_total")
                         .Help("Calls to auth's shared replay cache (one "
                               "per signed request this replica had not "
                               "seen), by outcome: recorded, replayed, "
                               "at_cap, unavailable.")
                         .Register(*metrics_)),
          config_.base_domains)),
      bulkhead_(config_.tenant_concurrency, config_.tenant_wait),
      requests_(&prometheus::BuildCounter()
                     .Name("agent_requests_total")
                     .Help("Agent requests answered, by transport (mcp, rest, "
                           "a2a, other), tool (the AdCP task, the MCP or A2A "
                           "method, - for none) and status (ok, the AdCP error "
                           "code, or the "
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
            ThrottleAnonymous(call, /*json_rpc=*/true);
        response = throttled ? *std::move(throttled) : Mcp(call);
      } else {
        response = http::JsonError(request, bhttp::status::method_not_allowed,
                                   "POST JSON-RPC messages to this endpoint");
        response.set(bhttp::field::allow, "POST");
      }
    } else if (IsSignatureProbePath(path) && tenant->config().sandbox() &&
               tenant->config().request_signing().supported()) {
      transport = "probe";
      response = SignatureProbe(call, path);
    } else if (IsPublishedKeysPath(path)) {
      transport = "well-known";
      // Public documents, fetched without a token: a flood of them is
      // charged to its client like any anonymous call.
      std::optional<http::Response> throttled =
          ThrottleAnonymous(call, /*json_rpc=*/false);
      response = throttled ? *std::move(throttled) : WellKnownKeys(call, path);
    } else if (IsA2aPath(path)) {
      transport = "a2a";
      response = A2a(call, path);
    } else if (const AgentTask* task = TaskCatalog::Get().ByPath(path);
               task != nullptr && task->OfferedTo(*tenant)) {
      transport = "rest";
      if (request.method() == bhttp::verb::post) {
        std::optional<http::Response> throttled =
            ThrottleAnonymous(call, /*json_rpc=*/false);
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

std::optional<http::Response> AgentEdge::ThrottleAnonymous(const Request& call,
                                                           bool json_rpc) {
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
  // Answered before the body is read: a JSON-RPC caller (MCP, A2A) gets the
  // error without its id (null), as for a request that could not be read.
  http::Response response =
      Json(call.http, bhttp::status::too_many_requests,
           json_rpc ? json{{"jsonrpc", "2.0"},
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

}  // namespace adcp::agent_edge
