// The agent edge: buyer agents' HTTP front door. Resolves the tenant from the
// Host (a subdomain of a configured base domain, or a registered virtual
// host) or from the path prefix /tenants/{subdomain}, then serves the AdCP
// tasks as MCP tools (POST /mcp, JSON-RPC 2.0 over streamable HTTP), as
// REST (POST /v1/<task>) and as A2A skills, calling media-buy over gRPC with
// the tenant in x-tenant-id and the agent's token as the bearer; and as A2A
// (the agent card at /.well-known/agent-card.json, JSON-RPC at POST /a2a).
// Stateless; client-sent x-tenant-id is never forwarded.
#pragma once

#include <google/protobuf/arena.h>
#include <google/protobuf/message.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/base/bulkhead.h"
#include "libs/http/http_server.h"
#include "libs/http/outbound_guard.h"
#include "libs/tenancy/rate_limiter.h"
#include "libs/tenancy/tenant_cache.h"
#include "services/agent-edge/a2a_envelope.h"
#include "services/agent-edge/published_keys.h"
#include "services/agent-edge/signature_gate.h"
#include "services/agent-edge/task_catalog.h"

namespace adcp::agent_edge {

struct EdgeConfig {
  http::ServerOptions http;
  int metrics_port = -1;  // 0 picks a port, -1 disables
  std::string registry_address = "127.0.0.1:50051";
  std::string media_buy_address = "127.0.0.1:50053";
  std::string internal_token;
  // Hosts "<subdomain>.<base domain>" belong to the tenant of that subdomain.
  std::vector<std::string> base_domains = {"sales-agent.example.com",
                                           "localhost"};
  absl::Duration call_deadline = absl::Seconds(30);
  // Task calls of one tenant in flight at once (a bulkhead: one tenant's
  // slow calls hold at most this many HTTP threads); beyond, a call waits
  // up to tenant_wait, then is refused SERVICE_UNAVAILABLE (transient).
  int tenant_concurrency = 8;
  // Requests without a token, per client address: refused here, before the
  // body is parsed or media-buy called (media-buy's guard charges the same
  // budget again, as a second gate). Unset: not limited at the edge.
  std::optional<RateLimit> anonymous_client_limit;
  absl::Duration tenant_wait = absl::Milliseconds(500);
  absl::Duration startup_wait = absl::Seconds(30);
  // Counterparties' JWKS (signed requests): fetch bounds and cache, and
  // the internal ranges a fetch may reach all the same (tests' servers).
  JwksFetchOptions jwks;
  std::vector<http::Cidr> jwks_allowed;
  // Where nonces of signed requests are remembered: auth's shared replay
  // cache when auth_address is set (what several replicas need), else
  // this process's memory; `replays`, when set, instead of either.
  std::string auth_address;
  std::shared_ptr<ReplayStores> replays;
  // The tenants' webhook-signing keys served at /.well-known/jwks.json:
  // how long one fetch from media-buy is served.
  PublishedKeysOptions published_keys;
};

// AGENT_HTTP_PORT (8080), METRICS_PORT (9465), BIND_HOST (0.0.0.0),
// HTTP_THREADS (16), TENANT_REGISTRY_ADDR, MEDIA_BUY_ADDR (127.0.0.1:50053),
// ADCP_INTERNAL_TOKEN (required), BASE_DOMAINS (comma-separated;
// sales-agent.example.com,localhost), EDGE_TENANT_CONCURRENCY (half of
// HTTP_THREADS, at least 1), EDGE_TENANT_WAIT_MS (500),
// RATE_LIMIT_CLIENT_RPS/_BURST (10/10: anonymous requests per client),
// AUTH_ADDR (127.0.0.1:50052: the shared replay cache of signed requests),
// JWKS_FETCH_TIMEOUT_MS (3000), JWKS_TTL_SECONDS (300), JWKS_MAX_BYTES
// (65536), JWKS_ALLOW_CIDRS (none), JWKS_PUBLISH_TTL_SECONDS (60, 1-3600:
// the tenants' own published keys, kept per tenant).
absl::StatusOr<EdgeConfig> EdgeConfigFromEnv();

// The MCP protocol versions the edge speaks, newest first.
const std::vector<std::string>& McpProtocolVersions();

class AgentEdge {
 public:
  // Waits for the tenant directory's first snapshot.
  static absl::StatusOr<std::unique_ptr<AgentEdge>> Start(EdgeConfig config);
  ~AgentEdge();

  int port() const { return server_->port(); }
  int metrics_port() const {
    return exposer_ ? exposer_->GetListeningPorts().front() : -1;
  }
  void Shutdown();

 private:
  struct Request;
  explicit AgentEdge(EdgeConfig config);
  http::Response Route(const http::Request& request, const std::string& client);
  // Null when the call may go on; else the answer to a client over its
  // anonymous budget.
  // json_rpc: answered as a JSON-RPC error (MCP, A2A).
  std::optional<http::Response> ThrottleAnonymous(const Request& call,
                                                  bool json_rpc);
  http::Response Mcp(const Request& call);
  // A sandbox tenant's per-operation endpoint <agent URL>/adcp/<operation>
  // (signature_probe.cc): the signature checked, no task run.
  http::Response SignatureProbe(const Request& call, std::string_view path);
  // The signature check of a task call (null: it may go on); sets
  // call.signature_error when refused. UNAUTHENTICATED with the profile's
  // error, or UNAVAILABLE (transient) when the replay store cannot answer.
  struct SignatureRefusal {
    grpc::StatusCode code;
    nlohmann::json answer;  // {"adcp_error": ...}
  };
  std::optional<SignatureRefusal> RefusedSignature(
      const Request& call, const AgentTask& task,
      const nlohmann::json& arguments);
  http::Response Rest(const Request& call, const AgentTask& task);
  // The tenant's brand.json and webhook-signing JWKS (published_keys.cc).
  http::Response WellKnownKeys(const Request& call, const std::string& path);
  // A2A (a2a_transport.cc): `path` is /a2a or an agent card's.
  http::Response A2a(const Request& call, const std::string& path);
  http::Response A2aMessage(const Request& call);
  http::Response A2aSend(const Request& call, const nlohmann::json& id,
                         A2aVersion version, const nlohmann::json& params);
  http::Response A2aTask(const Request& call, const nlohmann::json& id,
                         A2aMethodName method, const nlohmann::json& params);
  // Runs a task: JSON arguments in; the response JSON, or the AdCP error and
  // the gRPC code.
  struct Outcome {
    bool ok = false;
    std::string body;  // the response's JSON, or {"adcp_error": ...}
    grpc::StatusCode code = grpc::StatusCode::OK;
  };
  // task_status: add the v3 envelope's status (completed or failed) to an
  // answer that has none of its own.
  Outcome RunTask(const Request& call, const AgentTask& task,
                  const nlohmann::json& arguments, bool task_status);
  // RunTask's steps: the gRPC call of a request that may go on (a failure's
  // answer in *failed), and the outcome of a failure.
  Outcome CallMediaBuy(const Request& call, const AgentTask& task,
                       const google::protobuf::Message& request,
                       bool task_status, google::protobuf::Arena* arena,
                       nlohmann::json* failed);
  static Outcome FailedOutcome(const Request& call,
                               const nlohmann::json& arguments,
                               bool task_status, nlohmann::json failed,
                               grpc::StatusCode code);
  static void Challenge(http::Response& response, const Request& call);
  // The tenant of a request, or null (404 "Tenant not found").
  std::shared_ptr<const TenantCache::Tenant> ResolveTenant(
      const http::Request& request, std::string* rest_of_path) const;

  const EdgeConfig config_;
  std::shared_ptr<TenantCache> tenants_;
  std::shared_ptr<grpc::Channel> media_buy_;
  PublishedKeys published_keys_;
  std::shared_ptr<prometheus::Registry> metrics_;  // before its users
  std::unique_ptr<SignatureGate> signatures_;
  std::unique_ptr<http::Server> server_;
  TenantBulkhead bulkhead_;
  RateLimiter anonymous_limiter_;
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* durations_ = nullptr;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace adcp::agent_edge
