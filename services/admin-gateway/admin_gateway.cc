#include "services/admin-gateway/admin_gateway.h"

#include "absl/strings/escaping.h"
#include "libs/base/env.h"
#include "libs/base/log.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"

namespace adcp::admin_gateway {

namespace bhttp = boost::beast::http;

absl::StatusOr<GatewayConfig> GatewayConfigFromEnv() {
  GatewayConfig config;
  ASSIGN_OR_RETURN(config.http,
                   http::ServerOptionsFromEnv("ADMIN_HTTP_PORT", 8001, 4));
  ASSIGN_OR_RETURN(config.metrics_port,
                   env::Int("METRICS_PORT", 9463, -1, 65535));
  config.backends.registry_address =
      env::String("TENANT_REGISTRY_ADDR", "127.0.0.1:50051");
  config.backends.auth_address = env::String("AUTH_ADDR", "127.0.0.1:50052");
  config.backends.media_buy_address =
      env::String("MEDIA_BUY_ADDR", "127.0.0.1:50053");
  ASSIGN_OR_RETURN(config.backends.internal_token,
                   env::Required("ADCP_INTERNAL_TOKEN"));
  // Read here rather than with service_config's RateLimitFromEnv, which
  // would link the database library into a service that has no database.
  ASSIGN_OR_RETURN(
      const int failures_rps,
      env::Int("RATE_LIMIT_AUTH_FAILURES_CLIENT_RPS", 1, 1, 1000000));
  ASSIGN_OR_RETURN(
      const int failures_burst,
      env::Int("RATE_LIMIT_AUTH_FAILURES_CLIENT_BURST", 20, 1, 1000000));
  config.admin_token_failures = {.per_second = double(failures_rps),
                                 .burst = double(failures_burst)};
  config.ui.session_secret = env::String("SESSION_SECRET", "");
  if (config.ui.session_secret.empty()) {
    config.ui.session_secret = RandomHex(32);
    log::Warn(
        "SESSION_SECRET unset: sessions are valid on this process only until "
        "it restarts");
  }
  ASSIGN_OR_RETURN(const int ttl,
                   env::Int("SESSION_TTL_MINUTES", 480, 1, 7 * 24 * 60));
  config.ui.session_ttl = absl::Minutes(ttl);
  ASSIGN_OR_RETURN(config.ui.secure_cookies, env::Bool("COOKIE_SECURE", false));
  if (config.ui.session_secret.size() < 32) {
    return absl::InvalidArgumentError("SESSION_SECRET: at least 32 characters");
  }
  return config;
}

AdminGateway::AdminGateway(GatewayConfig config,
                           std::unique_ptr<const AdminPages> pages)
    : config_(std::move(config)),
      backends_(config_.backends),
      authenticator_(backends_.auth_channel(), config_.admin_token_failures),
      operations_(backends_),
      system_api_(operations_, authenticator_),
      ui_(operations_, authenticator_, config_.ui, std::move(pages)),
      metrics_(std::make_shared<prometheus::Registry>()),
      requests_(&prometheus::BuildCounter()
                     .Name("http_requests_total")
                     .Help("HTTP requests answered, by area and status code.")
                     .Register(*metrics_)),
      durations_(&prometheus::BuildHistogram()
                      .Name("http_request_duration_seconds")
                      .Help("Time to answer an HTTP request, by area.")
                      .Register(*metrics_)) {}

AdminGateway::~AdminGateway() { Shutdown(); }

absl::StatusOr<std::unique_ptr<AdminGateway>> AdminGateway::Start(
    GatewayConfig config) {
  ASSIGN_OR_RETURN(std::unique_ptr<const AdminPages> pages, AdminPages::Load());
  std::unique_ptr<AdminGateway> gateway(
      new AdminGateway(std::move(config), std::move(pages)));
  gateway->server_ = std::make_unique<http::Server>(
      gateway->config_.http, [g = gateway.get()](const http::Request& request,
                                                 const std::string& peer) {
        return g->Route(request, peer);
      });
  RETURN_IF_ERROR(gateway->server_->Start());
  if (gateway->config_.metrics_port >= 0) {
    try {
      gateway->exposer_ = std::make_unique<prometheus::Exposer>(
          gateway->config_.http.bind_host + ":" +
          std::to_string(gateway->config_.metrics_port));
      gateway->exposer_->RegisterCollectable(gateway->metrics_);
    } catch (const std::exception& e) {
      return absl::UnavailableError(std::string("metrics exposer: ") +
                                    e.what());
    }
  }
  log::Info("serving", {{"http_port", gateway->server_->port()}});
  return gateway;
}

void AdminGateway::Shutdown() {
  if (server_) server_->Stop();
  exposer_.reset();
}

http::Response AdminGateway::Route(const http::Request& request,
                                   const std::string& peer) {
  const std::string_view target(request.target().data(),
                                request.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  const absl::Time start = absl::Now();
  // Areas, not paths, as labels: paths carry tenant ids.
  std::string area = "other";
  http::Response response;
  if (path == "/healthz") {
    area = "healthz";
    response =
        backends_.Healthy()
            ? http::JsonResponse(request, bhttp::status::ok,
                                 R"({"status":"ok"})")
            : http::JsonError(request, bhttp::status::service_unavailable,
                              "a backend is not serving");
  } else if (path == "/system" || path.starts_with("/system/")) {
    area = "system";
    response = system_api_.Handle(request, peer);
  } else if (path == "/admin" || path.starts_with("/admin/")) {
    area = "admin";
    response = ui_.Handle(request, peer);
  } else {
    response = http::JsonError(request, bhttp::status::not_found, "not found");
  }
  const int code = static_cast<int>(response.result_int());
  requests_->Add({{"area", area}, {"code", std::to_string(code)}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  durations_->Add({{"area", area}}, kBuckets)
      .Observe(absl::ToDoubleSeconds(absl::Now() - start));
  const log::Level level = code >= 500   ? log::Level::kError
                           : code >= 400 ? log::Level::kInfo
                                         : log::Level::kDebug;
  if (log::Enabled(level)) {
    log::Write(level, "http",
               {{"method", std::string(request.method_string())},
                {"path", std::string(path)},
                {"status", code},
                {"peer", peer}});
  }
  return response;
}

}  // namespace adcp::admin_gateway
