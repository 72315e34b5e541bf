// The main() every service shares: signals, logging, configuration from the
// environment, start, wait for SIGTERM/SIGINT, graceful shutdown. Exit codes:
// 2 bad configuration, 1 could not start, 0 stopped by a signal.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/base/env.h"
#include "libs/base/log.h"
#include "libs/grpc/service_host.h"

namespace adcp {

// `Server` has Shutdown(); `start` returns it running.
template <typename Config, typename Server>
int RunServiceMain(const char* service_name,
                   absl::StatusOr<Config> (*config_from_env)(),
                   absl::StatusOr<std::unique_ptr<Server>> (*start)(Config)) {
  ServiceHost::PrepareProcess();
  const auto level = log::ParseLevel(env::String("LOG_LEVEL", "info"));
  log::Init(service_name, level.ok() ? *level : log::Level::kInfo);
  if (!level.ok()) log::Warn(std::string(level.status().message()));

  absl::StatusOr<Config> config = config_from_env();
  if (!config.ok()) {
    log::Error("invalid configuration", {{"error", config.status().message()}});
    return 2;
  }
  absl::StatusOr<std::unique_ptr<Server>> server = start(*std::move(config));
  if (!server.ok()) {
    log::Error("cannot start", {{"error", server.status().message()}});
    return 1;
  }
  const int signal_number = ServiceHost::WaitForTerminationSignal();
  log::Info("termination signal", {{"signal", signal_number}});
  (*server)->Shutdown();
  return 0;
}

}  // namespace adcp
