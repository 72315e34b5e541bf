// tenant-registry: owns the tenants table. Wiring only.
#include "adcp/common/service_main.h"
#include "tenant_registry_server.h"

int main() {
  return adcp::RunServiceMain(
      "tenant-registry", &adcp::tenant_registry::TenantRegistryConfigFromEnv,
      &adcp::tenant_registry::TenantRegistryServer::Start);
}
