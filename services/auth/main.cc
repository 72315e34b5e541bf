// auth: principals and their tokens. Wiring only.
#include "adcp/common/service_main.h"
#include "auth_server.h"

int main() {
  return adcp::RunServiceMain("auth", &adcp::auth::AuthConfigFromEnv,
                              &adcp::auth::AuthServer::Start);
}
