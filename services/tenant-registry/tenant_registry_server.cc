#include "services/tenant-registry/tenant_registry_server.h"

#include "db/builtin_migrations.h"
#include "libs/base/log.h"
#include "libs/base/status.h"

namespace adcp::tenant_registry {

absl::StatusOr<ServiceConfig> TenantRegistryConfigFromEnv() {
  return ServiceConfigFromEnv("tenant-registry", "TENANT_REGISTRY_PORT", 50051,
                              9461);
}

TenantRegistryServer::TenantRegistryServer(ServiceConfig config)
    : config_(std::move(config)),
      pool_({.conninfo = config_.database_url, .size = config_.pool_size},
            TenantRepository::Statements()),
      repository_(pool_),
      feed_(config_.database_url, repository_),
      guard_(TenantRegistryService::Policy(), BaseGuardOptions(config_)),
      service_(guard_, repository_, feed_) {}

TenantRegistryServer::~TenantRegistryServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<TenantRegistryServer>>
TenantRegistryServer::Start(ServiceConfig config) {
  RETURN_IF_ERROR(ValidateServiceConfig(config));
  std::unique_ptr<TenantRegistryServer> server(
      new TenantRegistryServer(std::move(config)));
  RETURN_IF_ERROR(WaitForServiceDatabase(
      server->pool_, db::LatestSchemaVersion(), server->config_.database_wait));
  server->feed_.Start();
  server->host_ = std::make_unique<ServiceHost>(server->config_.host);
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
}

}  // namespace adcp::tenant_registry
