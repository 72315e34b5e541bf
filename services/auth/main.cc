// auth: principals and their tokens. Wiring only.
#include "libs/grpc/service_main.h"
#include "services/auth/auth_server.h"

int main() {
  return adcp::RunServiceMain("auth", &adcp::auth::AuthConfigFromEnv,
                              &adcp::auth::AuthServer::Start);
}
