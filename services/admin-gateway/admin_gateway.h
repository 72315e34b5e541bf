// The admin gateway process: one HTTP listener serving the system admin REST
// API (/system), the admin web UI (/admin) and /healthz, stateless, talking to
// the registry, auth and media-buy over gRPC only.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/http/http_server.h"
#include "services/admin-gateway/admin_operations.h"
#include "services/admin-gateway/admin_ui.h"
#include "services/admin-gateway/backends.h"
#include "services/admin-gateway/system_api.h"

namespace adcp::admin_gateway {

struct GatewayConfig {
  http::ServerOptions http;
  int metrics_port = -1;  // Prometheus exposer; 0 picks a port, -1 disables
  BackendsConfig backends;
  AdminUiConfig ui;
  // Each client's budget of failed system admin tokens (REST and UI).
  RateLimit admin_token_failures{.per_second = 1, .burst = 20};
};

// ADMIN_HTTP_PORT (8001), METRICS_PORT (9463), BIND_HOST (0.0.0.0),
// HTTP_THREADS (4), TENANT_REGISTRY_ADDR, AUTH_ADDR, MEDIA_BUY_ADDR
// (127.0.0.1:50053), ADCP_INTERNAL_TOKEN,
// RATE_LIMIT_AUTH_FAILURES_CLIENT_RPS/_BURST (1/20), SESSION_SECRET (32+
// characters; generated per process when unset, which logs everyone out on
// restart and pins sessions to one replica), SESSION_TTL_MINUTES (480),
// COOKIE_SECURE (false; set true behind TLS).
absl::StatusOr<GatewayConfig> GatewayConfigFromEnv();

class AdminGateway {
 public:
  static absl::StatusOr<std::unique_ptr<AdminGateway>> Start(
      GatewayConfig config);
  ~AdminGateway();

  int port() const { return server_->port(); }
  int metrics_port() const {
    return exposer_ ? exposer_->GetListeningPorts().front() : -1;
  }
  void Shutdown();

 private:
  AdminGateway(GatewayConfig config, std::unique_ptr<const AdminPages> pages);
  http::Response Route(const http::Request& request, const std::string& peer);

  const GatewayConfig config_;
  Backends backends_;
  AdminAuthenticator authenticator_;
  AdminOperations operations_;
  SystemApi system_api_;
  AdminUi ui_;
  std::shared_ptr<prometheus::Registry> metrics_;
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* durations_ = nullptr;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace adcp::admin_gateway
