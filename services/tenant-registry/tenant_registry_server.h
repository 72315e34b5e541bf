// The assembled registry process: pool, repository, change feed, guard,
// service and host. main() builds one from the environment; tests build one
// against a throwaway database.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/db/pg_pool.h"
#include "libs/grpc/service_host.h"
#include "libs/tenancy/guard.h"
#include "libs/tenancy/remote_system_admins.h"
#include "libs/tenancy/service_config.h"
#include "services/tenant-registry/tenant_change_feed.h"
#include "services/tenant-registry/tenant_registry_service.h"
#include "services/tenant-registry/tenant_repository.h"

namespace adcp::tenant_registry {

struct TenantRegistryConfig {
  ServiceConfig service;
  // Signs the tombstone a hard delete leaves (HMAC-SHA256); >= 32
  // characters. Only the registry holds it; auditors verify with it.
  std::string audit_signing_key;
  // libpq conninfo of the purge role, used only by DeleteTenant (hard
  // delete); empty: DeleteTenant is FAILED_PRECONDITION.
  std::string purge_database_url;
};

// ServiceConfigFromEnv with TENANT_REGISTRY_PORT (50051) and METRICS_PORT
// (9461) (its AUTH_ADDR resolves system admin tokens: auth needs the
// registry to start, the registry needs auth only for admin calls),
// AUDIT_SIGNING_KEY (required) and DATABASE_PURGE_URL (optional).
absl::StatusOr<TenantRegistryConfig> TenantRegistryConfigFromEnv();

class TenantRegistryServer {
 public:
  // Refuses to start as a superuser, BYPASSRLS or table-owning role, as a
  // role that can do more (or less) than the registry's (or, for the purge
  // URL, the purge role's) privileges, or on a schema older than this
  // build's migrations.
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
  std::unique_ptr<PgPool> purge_pool_;  // null without a purge URL
  TenantRepository repository_;
  TenantChangeFeed feed_;
  std::shared_ptr<RemoteSystemAdminResolver> system_admins_;
  CallGuard guard_;
  TenantRegistryService service_;
  std::unique_ptr<ServiceHost> host_;
};

}  // namespace adcp::tenant_registry
