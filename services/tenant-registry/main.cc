// tenant-registry: owns the tenants table. Wiring only.
#include "libs/grpc/service_main.h"
#include "services/tenant-registry/tenant_registry_server.h"

int main() {
  return adcp::RunServiceMain(
      "tenant-registry", &adcp::tenant_registry::TenantRegistryConfigFromEnv,
      &adcp::tenant_registry::TenantRegistryServer::Start);
}
