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
#include "services/auth/password_checks.h"
#include "services/auth/principal_cache.h"
#include "services/auth/principal_repository.h"
#include "services/auth/sign_in_failures.h"
#include "services/auth/system_admin_directory.h"
#include "services/auth/system_admin_repository.h"
#include "services/auth/system_admin_service.h"

namespace adcp::auth {

struct AuthConfig {
  ServiceConfig service;
  std::string registry_address = "127.0.0.1:50051";
  // SHA-256 (64 hex digits) of the bootstrap token, which creates the first
  // system admin only; "" disables bootstrap.
  std::string bootstrap_sha256_hex;
  // AUTH_PASSWORD_CHECKS_CONCURRENCY / _WAIT_MS: the scrypt bulkhead.
  PasswordCheckLimits password_checks;
};

// ServiceConfigFromEnv with AUTH_PORT (50052) and METRICS_PORT (9462), plus
// TENANT_REGISTRY_ADDR (127.0.0.1:50051) and SYSTEM_ADMIN_BOOTSTRAP_SHA256
// (unset: no bootstrap), and PasswordCheckLimitsFromEnv.
absl::StatusOr<AuthConfig> AuthConfigFromEnv();

// What the auth role may do: principals, the system admin tables, adding
// audit rows. INTERNAL when two parts declare the same table.
absl::StatusOr<RolePrivileges> AuthRolePrivileges();

// The policies of the services one guard admits, merged; INTERNAL naming
// the method when two name the same one (one would silently win).
absl::StatusOr<ServicePolicy> MergePolicies(
    const std::vector<const ServicePolicy*>& policies);
// Privileges of a service's parts, merged; INTERNAL naming the table when
// two declare it (one would silently overwrite the other).
absl::StatusOr<RolePrivileges> MergePrivileges(
    const std::vector<RolePrivileges>& parts);

class AuthServer {
 public:
  // Refuses unsafe database roles (see VerifyServiceRole); waits up to the
  // database wait for the tenant directory's first snapshot.
  static absl::StatusOr<std::unique_ptr<AuthServer>> Start(AuthConfig config);
  ~AuthServer();

  int port() const { return host_->port(); }
  int metrics_port() const { return host_->metrics_port(); }
  PrincipalCache& principals() { return *principals_; }
  SystemAdminDirectory& system_admins() { return *system_admins_; }
  PasswordChecks& password_checks() { return password_checks_; }
  AuditLog& audit() { return audit_; }
  void Shutdown();

 private:
  AuthServer(AuthConfig config, ServicePolicy policy);

  const AuthConfig config_;
  PgPool pool_;
  PrincipalRepository repository_;
  std::shared_ptr<PrincipalCache> principals_;
  std::shared_ptr<TenantCache> tenants_;
  AuditLog audit_;
  ReplicaCount replicas_;  // divides the guard's budgets
  SystemAdminRepository admin_repository_;
  SignInFailures sign_in_failures_;
  PasswordChecks password_checks_;
  std::shared_ptr<SystemAdminDirectory> system_admins_;
  CallGuard guard_;
  SignatureNonceRepository nonces_;  // the edge replicas' replay cache
  AuthService service_;
  SystemAdminService admin_service_;
  std::unique_ptr<ServiceHost> host_;
};

}  // namespace adcp::auth
