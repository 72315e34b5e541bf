// admin-gateway: the system admin REST API and web UI. Wiring only.
#include "libs/grpc/service_main.h"
#include "services/admin-gateway/admin_gateway.h"

int main() {
  return adcp::RunServiceMain("admin-gateway",
                              &adcp::admin_gateway::GatewayConfigFromEnv,
                              &adcp::admin_gateway::AdminGateway::Start);
}
