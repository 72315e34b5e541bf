#include "services/tenant-registry/tenant_registry_server.h"

#include "db/builtin_migrations.h"
#include "libs/base/env.h"
#include "libs/base/log.h"
#include "libs/base/status.h"
#include "libs/tenancy/service_channel.h"

namespace adcp::tenant_registry {

absl::StatusOr<TenantRegistryConfig> TenantRegistryConfigFromEnv() {
  TenantRegistryConfig config;
  ASSIGN_OR_RETURN(config.service,
                   ServiceConfigFromEnv("tenant-registry",
                                        "TENANT_REGISTRY_PORT", 50051, 9461));
  ASSIGN_OR_RETURN(config.audit_signing_key,
                   env::Required("AUDIT_SIGNING_KEY"));
  config.purge_database_url = env::String("DATABASE_PURGE_URL", "");
  return config;
}

TenantRegistryServer::TenantRegistryServer(TenantRegistryConfig config)
    : config_(std::move(config)),
      pool_(config_.service.PoolOptions(), TenantRepository::Statements()),
      purge_pool_(config_.purge_database_url.empty()
                      ? nullptr
                      : std::make_unique<PgPool>(
                            [&] {
                              // The service's pool settings, on the purge
                              // role's URL, one connection.
                              PgPool::Options options =
                                  config_.service.PoolOptions();
                              options.conninfo = config_.purge_database_url;
                              options.size = 1;
                              return options;
                            }(),
                            TenantRepository::PurgeStatements())),
      repository_(pool_, purge_pool_.get(), config_.audit_signing_key),
      feed_(config_.service.ListenUrl(), repository_),
      system_admins_(
          std::make_shared<RemoteSystemAdminResolver>(MakeServiceChannel(
              config_.service.auth_address, config_.service.internal_token))),
      guard_(TenantRegistryService::Policy(),
             BaseGuardOptions(config_.service, system_admins_)),
      service_(guard_, repository_, feed_) {}

TenantRegistryServer::~TenantRegistryServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<TenantRegistryServer>>
TenantRegistryServer::Start(TenantRegistryConfig config) {
  RETURN_IF_ERROR(ValidateServiceConfig(config.service));
  if (config.audit_signing_key.size() < 32)
    return absl::InvalidArgumentError(
        "AUDIT_SIGNING_KEY: at least 32 characters");
  std::unique_ptr<TenantRegistryServer> server(
      new TenantRegistryServer(std::move(config)));
  RETURN_IF_ERROR(WaitForServiceDatabase(
      server->pool_, db::LatestSchemaVersion(), TenantRepository::Privileges(),
      server->config_.service.database_wait));
  if (server->purge_pool_) {
    RETURN_IF_ERROR(VerifyServiceRole(*server->purge_pool_,
                                      db::LatestSchemaVersion(),
                                      TenantRepository::PurgePrivileges()));
  } else {
    log::Warn("no DATABASE_PURGE_URL: DeleteTenant (hard delete) is refused");
  }
  server->feed_.Start();
  server->system_admins_->Start();
  server->host_ = std::make_unique<ServiceHost>(server->config_.service.host);
  server->host_->AddService(&server->service_,
                            pb::TenantRegistry::service_full_name());
  server->host_->OnShutdown([s = server.get()] { s->feed_.Stop(); });
  RETURN_IF_ERROR(server->host_->Start());
  if (!server->feed_.WaitUntilListening(absl::Seconds(10))) {
    log::Warn(
        "tenant change listener not connected yet; watchers resync once it is");
  }
  return server;
}

void TenantRegistryServer::Shutdown() {
  if (host_) host_->Shutdown();
  feed_.Stop();
  system_admins_->Stop();
}

}  // namespace adcp::tenant_registry
