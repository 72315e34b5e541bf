// The assembled auth process: pool, repository, principal cache, tenant cache
// (fed by the registry), audit log, guard, service and host.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/db/pg_pool.h"
#include "libs/db/replica_count.h"
#include "libs/grpc/service_host.h"
#include "libs/tenancy/audit_log.h"
#include "libs/tenancy/guard.h"
#include "libs/tenancy/service_config.h"
#include "libs/tenancy/tenant_cache.h"
#include "services/auth/auth_service.h"
#include "services/auth/principal_cache.h"
#include "services/auth/principal_repository.h"

namespace adcp::auth {

struct AuthConfig {
  ServiceConfig service;
  std::string registry_address = "127.0.0.1:50051";
};

// ServiceConfigFromEnv with AUTH_PORT (50052) and METRICS_PORT (9462), plus
// TENANT_REGISTRY_ADDR (127.0.0.1:50051).
absl::StatusOr<AuthConfig> AuthConfigFromEnv();

class AuthServer {
 public:
  // Refuses unsafe database roles (see VerifyServiceRole); waits up to the
  // database wait for the tenant directory's first snapshot.
  static absl::StatusOr<std::unique_ptr<AuthServer>> Start(AuthConfig config);
  ~AuthServer();

  int port() const { return host_->port(); }
  int metrics_port() const { return host_->metrics_port(); }
  PrincipalCache& principals() { return *principals_; }
  AuditLog& audit() { return audit_; }
  void Shutdown();

 private:
  explicit AuthServer(AuthConfig config);

  const AuthConfig config_;
  PgPool pool_;
  PrincipalRepository repository_;
  std::shared_ptr<PrincipalCache> principals_;
  std::shared_ptr<TenantCache> tenants_;
  AuditLog audit_;
  ReplicaCount replicas_;  // divides the guard's budgets
  CallGuard guard_;
  AuthService service_;
  std::unique_ptr<ServiceHost> host_;
};

}  // namespace adcp::auth
