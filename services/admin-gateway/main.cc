// admin-gateway: the system admin REST API and web UI. Wiring only.
#include "adcp/common/service_main.h"
#include "admin_gateway.h"

int main() {
  return adcp::RunServiceMain("admin-gateway",
                              &adcp::admin_gateway::GatewayConfigFromEnv,
                              &adcp::admin_gateway::AdminGateway::Start);
}
