// auth: principals and their tokens. Wiring only.
#include "adcp/common/env.h"
#include "adcp/common/log.h"
#include "adcp/common/service_host.h"
#include "auth_server.h"

int main() {
  adcp::ServiceHost::BlockTerminationSignals();
  const auto level =
      adcp::log::ParseLevel(adcp::env::String("LOG_LEVEL", "info"));
  adcp::log::Init("auth", level.ok() ? *level : adcp::log::Level::kInfo);
  if (!level.ok()) adcp::log::Warn(std::string(level.status().message()));

  auto config = adcp::auth::AuthConfigFromEnv();
  if (!config.ok()) {
    adcp::log::Error("invalid configuration",
                     {{"error", config.status().message()}});
    return 2;
  }
  auto server = adcp::auth::AuthServer::Start(*std::move(config));
  if (!server.ok()) {
    adcp::log::Error("cannot start", {{"error", server.status().message()}});
    return 1;
  }
  const int signal_number = adcp::ServiceHost::WaitForTerminationSignal();
  adcp::log::Info("termination signal", {{"signal", signal_number}});
  (*server)->Shutdown();
  return 0;
}
