#include "tenant_registry_server.h"

#include <thread>

#include "adcp/common/env.h"
#include "adcp/common/log.h"
#include "adcp/common/status.h"
#include "adcp/db/builtin_migrations.h"

namespace adcp::tenant_registry {

absl::StatusOr<TenantRegistryConfig> TenantRegistryConfigFromEnv() {
  TenantRegistryConfig config;
  ASSIGN_OR_RETURN(config.database_url, env::Required("DATABASE_URL"));
  ASSIGN_OR_RETURN(config.pool_size, env::Int("DB_POOL_SIZE", 8, 1, 256));
  ASSIGN_OR_RETURN(config.internal_token, env::Required("ADCP_INTERNAL_TOKEN"));
  ASSIGN_OR_RETURN(const int wait, env::Int("DB_WAIT_SECONDS", 30, 0, 3600));
  config.database_wait = absl::Seconds(wait);
  ASSIGN_OR_RETURN(config.host,
                   ServiceHostOptionsFromEnv(
                       "tenant-registry", "TENANT_REGISTRY_PORT", 50051, 9461));
  return config;
}

TenantRegistryServer::TenantRegistryServer(TenantRegistryConfig config)
    : config_(std::move(config)),
      pool_({.conninfo = config_.database_url, .size = config_.pool_size},
            TenantRepository::Statements()),
      repository_(pool_),
      feed_(config_.database_url, repository_),
      guard_(config_.internal_token, nullptr),
      service_(guard_, repository_, feed_) {}

TenantRegistryServer::~TenantRegistryServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<TenantRegistryServer>>
TenantRegistryServer::Start(TenantRegistryConfig config) {
  if (config.internal_token.size() < 16) {
    return absl::InvalidArgumentError(
        "ADCP_INTERNAL_TOKEN: at least 16 characters");
  }
  std::unique_ptr<TenantRegistryServer> server(
      new TenantRegistryServer(std::move(config)));
  const absl::Time give_up = absl::Now() + server->config_.database_wait;
  absl::Status role =
      VerifyServiceRole(server->pool_, db::LatestSchemaVersion());
  while (absl::IsUnavailable(role) && absl::Now() < give_up) {
    log::Warn("waiting for the database", {{"error", role.ToString()}});
    std::this_thread::sleep_for(std::chrono::seconds(1));
    role = VerifyServiceRole(server->pool_, db::LatestSchemaVersion());
  }
  RETURN_IF_ERROR(role);
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
