// agent-edge: AdCP over MCP and REST for buyer agents. Wiring only.
#include "libs/grpc/service_main.h"
#include "services/agent-edge/agent_edge.h"

int main() {
  return adcp::RunServiceMain("agent-edge",
                              &adcp::agent_edge::EdgeConfigFromEnv,
                              &adcp::agent_edge::AgentEdge::Start);
}
