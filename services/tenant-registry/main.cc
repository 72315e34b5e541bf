// tenant-registry: owns the tenants table. Wiring only.
#include <cstdio>

#include "adcp/common/env.h"
#include "adcp/common/log.h"
#include "adcp/common/service_host.h"
#include "tenant_registry_server.h"

int main() {
  adcp::ServiceHost::BlockTerminationSignals();
  const auto level =
      adcp::log::ParseLevel(adcp::env::String("LOG_LEVEL", "info"));
  adcp::log::Init("tenant-registry",
                  level.ok() ? *level : adcp::log::Level::kInfo);
  if (!level.ok()) adcp::log::Warn(std::string(level.status().message()));

  auto config = adcp::tenant_registry::TenantRegistryConfigFromEnv();
  if (!config.ok()) {
    adcp::log::Error("invalid configuration",
                     {{"error", config.status().message()}});
    return 2;
  }
  auto server =
      adcp::tenant_registry::TenantRegistryServer::Start(*std::move(config));
  if (!server.ok()) {
    adcp::log::Error("cannot start", {{"error", server.status().message()}});
    return 1;
  }
  const int signal_number = adcp::ServiceHost::WaitForTerminationSignal();
  adcp::log::Info("termination signal", {{"signal", signal_number}});
  (*server)->Shutdown();
  return 0;
}
