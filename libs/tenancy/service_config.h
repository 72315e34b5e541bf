// The configuration every database-backed service of the suite reads from its
// environment, and the start-up steps they share.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/db/pg_pool.h"
#include "libs/db/replica_count.h"
#include "libs/db/service_role.h"
#include "libs/grpc/service_host.h"
#include "libs/tenancy/guard.h"
#include "libs/tenancy/metadata.h"

namespace adcp {

struct ServiceConfig {
  std::string database_url;  // libpq conninfo of the service's own role
  // Where the service LISTENs (the caches' change notifications): the
  // database itself, never a transaction-pooling PgBouncer. "" = database_url.
  std::string listen_url;
  int pool_size = 8;
  // kUnprepared behind PgBouncer's transaction pooling.
  StatementMode statement_mode = StatementMode::kPrepared;
  std::string internal_token;  // >= 16 characters
  // Auth, where system admin tokens are resolved (RemoteSystemAdminResolver;
  // auth itself resolves them from its tables). No service holds an admin
  // credential.
  std::string auth_address = "127.0.0.1:50052";
  absl::Duration database_wait = absl::Seconds(30);
  GuardLimits limits;  // the RATE_LIMIT_* variables
  ServiceHostOptions host{.tenant_metadata_key = kTenantIdKey};
  // Tenants by Host (x-adcp-tenant-host, from an HTTP gateway).
  std::vector<std::string> base_domains;

  const std::string& ListenUrl() const {
    return listen_url.empty() ? database_url : listen_url;
  }
  // The service pool's options: database_url, pool_size, statement_mode.
  PgPool::Options PoolOptions() const {
    return {.conninfo = database_url,
            .size = pool_size,
            .statement_mode = statement_mode};
  }
};

// PREFIX_RPS and PREFIX_BURST (whole numbers), `defaults` where unset.
absl::StatusOr<RateLimit> RateLimitFromEnv(const std::string& prefix,
                                           const RateLimit& defaults);

// BASE_DOMAINS: comma-separated, lowercased; default
// "sales-agent.example.com,localhost"; at least one.
absl::StatusOr<std::vector<std::string>> BaseDomainsFromEnv();

// Reads DATABASE_URL, DATABASE_LISTEN_URL (DATABASE_URL),
// DB_STATEMENT_MODE (prepared | unprepared; prepared), DB_POOL_SIZE (8),
// ADCP_INTERNAL_TOKEN, AUTH_ADDR (127.0.0.1:50052), DB_WAIT_SECONDS (30),
// RATE_LIMIT_TENANT_RPS (200), RATE_LIMIT_TENANT_BURST (400),
// RATE_LIMIT_PRINCIPAL_RPS (50),
// RATE_LIMIT_PRINCIPAL_BURST (100), RATE_LIMIT_ANONYMOUS_RPS/_BURST (50/100),
// RATE_LIMIT_CLIENT_RPS/_BURST (10/10), RATE_LIMIT_AUTH_FAILURES_CLIENT_RPS/
// _BURST (1/20), RATE_LIMIT_AUTH_FAILURES_TENANT_RPS/_BURST (10/100),
// BASE_DOMAINS, and the host's variables (ServiceHostOptionsFromEnv).
absl::StatusOr<ServiceConfig> ServiceConfigFromEnv(std::string service_name,
                                                   const char* port_variable,
                                                   int default_port,
                                                   int default_metrics_port);

// Checks the secrets' lengths (errors name the variable).
absl::Status ValidateServiceConfig(const ServiceConfig& config);

// The guard options every service starts from: its system admins come from
// `system_admins`.
GuardOptions BaseGuardOptions(
    const ServiceConfig& config,
    std::shared_ptr<const SystemAdminResolver> system_admins);

// BaseGuardOptions for a service that serves tenants' calls: its tenants,
// principals and audit log, and its replicas' count, which divides every
// budget among them.
GuardOptions TenantGuardOptions(
    const ServiceConfig& config,
    std::shared_ptr<const SystemAdminResolver> system_admins,
    std::shared_ptr<const TenantDirectory> tenants,
    std::shared_ptr<const PrincipalResolver> principals, AuditLog* audit,
    const ReplicaCount* replicas);

// Waits up to `wait` for a reachable database, then VerifyServiceRole with
// the service's own privileges.
absl::Status WaitForServiceDatabase(PgPool& pool, int min_schema_version,
                                    const RolePrivileges& privileges,
                                    absl::Duration wait);

}  // namespace adcp
