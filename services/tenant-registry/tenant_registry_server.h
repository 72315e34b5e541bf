// The assembled registry process: pool, repository, change feed, guard,
// service and host. main() builds one from the environment; tests build one
// against a throwaway database.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "adcp/common/guard.h"
#include "adcp/common/pg_pool.h"
#include "adcp/common/service_host.h"
#include "tenant_change_feed.h"
#include "tenant_registry_service.h"
#include "tenant_repository.h"

namespace adcp::tenant_registry {

struct TenantRegistryConfig {
  std::string database_url;  // libpq conninfo of the app role
  int pool_size = 8;
  std::string internal_token;
  ServiceHostOptions host;
  // How long start-up waits for an unreachable database.
  absl::Duration database_wait = absl::Seconds(30);
};

// Reads DATABASE_URL, DB_POOL_SIZE, ADCP_INTERNAL_TOKEN, TENANT_REGISTRY_PORT
// (50051), METRICS_PORT (9461), BIND_HOST, SHUTDOWN_GRACE_SECONDS,
// DB_WAIT_SECONDS (30).
absl::StatusOr<TenantRegistryConfig> TenantRegistryConfigFromEnv();

class TenantRegistryServer {
 public:
  // Refuses to start as a superuser, BYPASSRLS or table-owning role, or on a
  // schema older than this build's migrations.
  static absl::StatusOr<std::unique_ptr<TenantRegistryServer>> Start(
      TenantRegistryConfig config);
  ~TenantRegistryServer();

  int port() const { return host_->port(); }
  int metrics_port() const { return host_->metrics_port(); }
  void Shutdown();

 private:
  explicit TenantRegistryServer(TenantRegistryConfig config);

  const TenantRegistryConfig config_;
  PgPool pool_;
  TenantRepository repository_;
  TenantChangeFeed feed_;
  CallGuard guard_;
  TenantRegistryService service_;
  std::unique_ptr<ServiceHost> host_;
};

}  // namespace adcp::tenant_registry
