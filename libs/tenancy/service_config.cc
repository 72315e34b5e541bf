#include "libs/tenancy/service_config.h"

#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "libs/base/env.h"
#include "libs/base/log.h"
#include "libs/base/status.h"
#include "libs/tenancy/metadata.h"

namespace adcp {

absl::StatusOr<ServiceConfig> ServiceConfigFromEnv(std::string service_name,
                                                   const char* port_variable,
                                                   int default_port,
                                                   int default_metrics_port) {
  ServiceConfig config;
  ASSIGN_OR_RETURN(config.database_url, env::Required("DATABASE_URL"));
  config.listen_url = env::String("DATABASE_LISTEN_URL", "");
  ASSIGN_OR_RETURN(
      config.statement_mode,
      ParseStatementMode("DB_STATEMENT_MODE",
                         env::String("DB_STATEMENT_MODE", "prepared")));
  ASSIGN_OR_RETURN(config.pool_size, env::Int("DB_POOL_SIZE", 8, 1, 256));
  ASSIGN_OR_RETURN(config.internal_token, env::Required("ADCP_INTERNAL_TOKEN"));
  config.auth_address = env::String("AUTH_ADDR", config.auth_address);
  ASSIGN_OR_RETURN(const int wait, env::Int("DB_WAIT_SECONDS", 30, 0, 3600));
  config.database_wait = absl::Seconds(wait);
  ASSIGN_OR_RETURN(config.limits.tenant,
                   RateLimitFromEnv("RATE_LIMIT_TENANT", config.limits.tenant));
  ASSIGN_OR_RETURN(
      config.limits.principal,
      RateLimitFromEnv("RATE_LIMIT_PRINCIPAL", config.limits.principal));
  ASSIGN_OR_RETURN(
      config.limits.anonymous,
      RateLimitFromEnv("RATE_LIMIT_ANONYMOUS", config.limits.anonymous));
  ASSIGN_OR_RETURN(config.limits.client,
                   RateLimitFromEnv("RATE_LIMIT_CLIENT", config.limits.client));
  ASSIGN_OR_RETURN(config.limits.auth_failures_client,
                   RateLimitFromEnv("RATE_LIMIT_AUTH_FAILURES_CLIENT",
                                    config.limits.auth_failures_client));
  ASSIGN_OR_RETURN(config.limits.auth_failures_tenant,
                   RateLimitFromEnv("RATE_LIMIT_AUTH_FAILURES_TENANT",
                                    config.limits.auth_failures_tenant));
  ASSIGN_OR_RETURN(config.base_domains, BaseDomainsFromEnv());
  ASSIGN_OR_RETURN(config.host, ServiceHostOptionsFromEnv(
                                    std::move(service_name), port_variable,
                                    default_port, default_metrics_port));
  config.host.tenant_metadata_key = kTenantIdKey;
  RETURN_IF_ERROR(ValidateServiceConfig(config));
  return config;
}

absl::StatusOr<RateLimit> RateLimitFromEnv(const std::string& prefix,
                                           const RateLimit& defaults) {
  ASSIGN_OR_RETURN(const int rps,
                   env::Int((prefix + "_RPS").c_str(),
                            static_cast<int>(defaults.per_second), 1, 1000000));
  ASSIGN_OR_RETURN(const int burst,
                   env::Int((prefix + "_BURST").c_str(),
                            static_cast<int>(defaults.burst), 1, 1000000));
  return RateLimit{.per_second = double(rps), .burst = double(burst)};
}

absl::StatusOr<std::vector<std::string>> BaseDomainsFromEnv() {
  std::vector<std::string> domains;
  for (absl::string_view domain : absl::StrSplit(
           env::String("BASE_DOMAINS", "sales-agent.example.com,localhost"),
           ',', absl::SkipWhitespace())) {
    domains.push_back(
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(domain)));
  }
  if (domains.empty())
    return absl::InvalidArgumentError("BASE_DOMAINS: at least one domain");
  return domains;
}

absl::Status ValidateServiceConfig(const ServiceConfig& config) {
  if (config.internal_token.size() < 16) {
    return absl::InvalidArgumentError(
        "ADCP_INTERNAL_TOKEN: at least 16 characters");
  }
  return absl::OkStatus();
}

GuardOptions BaseGuardOptions(
    const ServiceConfig& config,
    std::shared_ptr<const SystemAdminResolver> system_admins) {
  GuardOptions options;
  options.internal_token = config.internal_token;
  options.system_admins = std::move(system_admins);
  options.limits = config.limits;
  options.base_domains = config.base_domains;
  return options;
}

GuardOptions TenantGuardOptions(
    const ServiceConfig& config,
    std::shared_ptr<const SystemAdminResolver> system_admins,
    std::shared_ptr<const TenantDirectory> tenants,
    std::shared_ptr<const PrincipalResolver> principals, AuditLog* audit,
    const ReplicaCount* replicas) {
  GuardOptions options = BaseGuardOptions(config, std::move(system_admins));
  options.tenants = std::move(tenants);
  options.principals = std::move(principals);
  options.audit = audit;
  options.replicas = [replicas] { return replicas->count(); };
  return options;
}

absl::Status WaitForServiceDatabase(PgPool& pool, int min_schema_version,
                                    const RolePrivileges& privileges,
                                    absl::Duration wait) {
  const absl::Time give_up = absl::Now() + wait;
  absl::Status status = VerifyServiceRole(pool, min_schema_version, privileges);
  while (absl::IsUnavailable(status) && absl::Now() < give_up) {
    log::Warn("waiting for the database", {{"error", status.ToString()}});
    std::this_thread::sleep_for(std::chrono::seconds(1));
    status = VerifyServiceRole(pool, min_schema_version, privileges);
  }
  return status;
}

}  // namespace adcp
