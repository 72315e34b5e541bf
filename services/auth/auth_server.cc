#include "services/auth/auth_server.h"

#include "db/builtin_migrations.h"
#include "libs/base/env.h"
#include "libs/base/status.h"
#include "libs/tenancy/service_channel.h"

namespace adcp::auth {
namespace {

PgPool::Statements AllStatements() {
  PgPool::Statements statements = PrincipalRepository::Statements();
  for (auto& statement : AuditLog::Statements())
    statements.push_back(std::move(statement));
  return statements;
}

GuardOptions AuthGuardOptions(
    const AuthConfig& config, std::shared_ptr<const TenantDirectory> tenants,
    std::shared_ptr<const PrincipalResolver> principals, AuditLog* audit,
    const ReplicaCount* replicas) {
  GuardOptions options = BaseGuardOptions(config.service);
  options.tenants = std::move(tenants);
  options.principals = std::move(principals);
  options.audit = audit;
  options.replicas = [replicas] { return replicas->count(); };
  return options;
}

}  // namespace

absl::StatusOr<AuthConfig> AuthConfigFromEnv() {
  AuthConfig config;
  ASSIGN_OR_RETURN(config.service,
                   ServiceConfigFromEnv("auth", "AUTH_PORT", 50052, 9462));
  config.registry_address =
      env::String("TENANT_REGISTRY_ADDR", "127.0.0.1:50051");
  return config;
}

AuthServer::AuthServer(AuthConfig config)
    : config_(std::move(config)),
      pool_(config_.service.PoolOptions(), AllStatements()),
      repository_(pool_),
      principals_(std::make_shared<PrincipalCache>(config_.service.ListenUrl(),
                                                   repository_)),
      tenants_(std::make_shared<TenantCache>(MakeServiceChannel(
          config_.registry_address, config_.service.internal_token))),
      audit_(pool_),
      replicas_(config_.service.ListenUrl(), "auth"),
      guard_(AuthService::Policy(),
             AuthGuardOptions(config_, tenants_, principals_, &audit_,
                              &replicas_)),
      service_(guard_, repository_, *principals_, audit_) {}

AuthServer::~AuthServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<AuthServer>> AuthServer::Start(
    AuthConfig config) {
  RETURN_IF_ERROR(ValidateServiceConfig(config.service));
  std::unique_ptr<AuthServer> server(new AuthServer(std::move(config)));
  const absl::Duration wait = server->config_.service.database_wait;
  RETURN_IF_ERROR(
      WaitForServiceDatabase(server->pool_, db::LatestSchemaVersion(),
                             PrincipalRepository::Privileges(), wait));
  server->principals_->Start();
  server->replicas_.Start();
  server->tenants_->Start();
  if (!server->tenants_->WaitUntilSynced(std::max(wait, absl::Seconds(1)))) {
    return absl::UnavailableError(
        absl::StrCat("no tenant snapshot from the registry at ",
                     server->config_.registry_address));
  }
  server->principals_->WaitUntilListening(absl::Seconds(10));
  server->replicas_.WaitUntilCounted(absl::Seconds(5));
  server->host_ = std::make_unique<ServiceHost>(server->config_.service.host);
  server->host_->AddService(&server->service_, pb::Auth::service_full_name());
  server->host_->OnShutdown(
      [s = server.get()] { s->principals_->CloseChangeStreams(); });
  RETURN_IF_ERROR(server->host_->Start());
  return server;
}

void AuthServer::Shutdown() {
  if (host_) host_->Shutdown();
  replicas_.Stop();
  tenants_->Stop();
  principals_->Stop();
}

}  // namespace adcp::auth
