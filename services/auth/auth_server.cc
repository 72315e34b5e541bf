#include "services/auth/auth_server.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "db/builtin_migrations.h"
#include "libs/base/env.h"
#include "libs/base/status.h"
#include "libs/tenancy/service_channel.h"

namespace adcp::auth {
namespace {

PgPool::Statements AllStatements() {
  PgPool::Statements statements = PrincipalRepository::Statements();
  for (auto more :
       {SystemAdminRepository::Statements(), SignInFailures::Statements(),
        SignatureNonceRepository::Statements(), AuditLog::Statements(),
        AuditLog::PlatformStatements()}) {
    for (auto& statement : more) statements.push_back(std::move(statement));
  }
  return statements;
}

}  // namespace

absl::StatusOr<ServicePolicy> MergePolicies(
    const std::vector<const ServicePolicy*>& policies) {
  ServicePolicy merged;
  for (const ServicePolicy* policy : policies) {
    for (const auto& [method, scope] : *policy) {
      if (!merged.emplace(method, scope).second) {
        return absl::InternalError(absl::StrCat(
            "method ", method,
            " is in two services' policies of one guard; rename one"));
      }
    }
  }
  return merged;
}

absl::StatusOr<RolePrivileges> MergePrivileges(
    const std::vector<RolePrivileges>& parts) {
  RolePrivileges merged{.service = "auth"};
  for (const RolePrivileges& part : parts) {
    for (const auto& [table, granted] : part.tables) {
      if (!merged.tables.emplace(table, granted).second) {
        return absl::InternalError(absl::StrCat(
            "table ", table,
            " is declared by two parts of auth; declare it once, beside "
            "the SQL that needs it"));
      }
    }
    merged.functions.insert(part.functions.begin(), part.functions.end());
  }
  return merged;
}

absl::StatusOr<AuthConfig> AuthConfigFromEnv() {
  AuthConfig config;
  ASSIGN_OR_RETURN(config.service,
                   ServiceConfigFromEnv("auth", "AUTH_PORT", 50052, 9462));
  config.registry_address =
      env::String("TENANT_REGISTRY_ADDR", "127.0.0.1:50051");
  config.bootstrap_sha256_hex =
      absl::AsciiStrToLower(env::String("SYSTEM_ADMIN_BOOTSTRAP_SHA256", ""));
  ASSIGN_OR_RETURN(config.password_checks, PasswordCheckLimitsFromEnv());
  return config;
}

absl::StatusOr<RolePrivileges> AuthRolePrivileges() {
  return MergePrivileges(
      {PrincipalRepository::Privileges(), SystemAdminRepository::Privileges(),
       SignInFailures::Privileges(), SignatureNonceRepository::Privileges()});
}

AuthServer::AuthServer(AuthConfig config, ServicePolicy policy)
    : config_(std::move(config)),
      pool_(config_.service.PoolOptions(), AllStatements()),
      repository_(pool_),
      principals_(std::make_shared<PrincipalCache>(config_.service.ListenUrl(),
                                                   repository_)),
      tenants_(std::make_shared<TenantCache>(MakeServiceChannel(
          config_.registry_address, config_.service.internal_token))),
      audit_(pool_),
      replicas_(config_.service.ListenUrl(), "auth"),
      admin_repository_(pool_),
      sign_in_failures_(pool_),
      password_checks_(config_.password_checks),
      system_admins_(std::make_shared<SystemAdminDirectory>(
          config_.service.ListenUrl(), admin_repository_, audit_,
          absl::HexStringToBytes(config_.bootstrap_sha256_hex))),
      guard_(std::move(policy),
             TenantGuardOptions(config_.service, system_admins_, tenants_,
                                principals_, &audit_, &replicas_)),
      nonces_(pool_),
      service_(guard_, repository_, *principals_, audit_, nonces_),
      admin_service_(guard_, admin_repository_, *system_admins_,
                     sign_in_failures_, password_checks_) {}

AuthServer::~AuthServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<AuthServer>> AuthServer::Start(
    AuthConfig config) {
  RETURN_IF_ERROR(ValidateServiceConfig(config.service));
  const std::string& bootstrap = config.bootstrap_sha256_hex;
  if (!bootstrap.empty() &&
      (bootstrap.size() != 64 ||
       bootstrap.find_first_not_of("0123456789abcdef") != std::string::npos)) {
    return absl::InvalidArgumentError(
        "SYSTEM_ADMIN_BOOTSTRAP_SHA256: expected 64 hex digits (the SHA-256 "
        "of the bootstrap token), or unset");
  }
  // One guard for both services.
  ASSIGN_OR_RETURN(
      ServicePolicy policy,
      MergePolicies({&AuthService::Policy(), &SystemAdminService::Policy()}));
  ASSIGN_OR_RETURN(const RolePrivileges privileges, AuthRolePrivileges());
  std::unique_ptr<AuthServer> server(
      new AuthServer(std::move(config), std::move(policy)));
  const absl::Duration wait = server->config_.service.database_wait;
  RETURN_IF_ERROR(WaitForServiceDatabase(
      server->pool_, db::LatestSchemaVersion(), privileges, wait));
  server->principals_->Start();
  server->replicas_.Start();
  server->system_admins_->Start();
  server->tenants_->Start();
  if (!server->tenants_->WaitUntilSynced(std::max(wait, absl::Seconds(1)))) {
    return absl::UnavailableError(
        absl::StrCat("no tenant snapshot from the registry at ",
                     server->config_.registry_address));
  }
  server->principals_->WaitUntilListening(absl::Seconds(10));
  server->replicas_.WaitUntilCounted(absl::Seconds(5));
  server->system_admins_->WaitUntilListening(absl::Seconds(10));
  server->host_ = std::make_unique<ServiceHost>(server->config_.service.host);
  server->host_->AddService(&server->service_, pb::Auth::service_full_name());
  server->host_->AddService(&server->admin_service_,
                            pb::SystemAdmins::service_full_name());
  server->password_checks_.ExportMetrics(*server->host_->metrics());
  server->host_->OnShutdown([s = server.get()] {
    s->principals_->CloseChangeStreams();
    s->system_admins_->CloseChangeStreams();
  });
  RETURN_IF_ERROR(server->host_->Start());
  return server;
}

void AuthServer::Shutdown() {
  if (host_) host_->Shutdown();
  replicas_.Stop();
  tenants_->Stop();
  principals_->Stop();
  system_admins_->Stop();
}

}  // namespace adcp::auth
