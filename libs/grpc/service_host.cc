#include "libs/grpc/service_host.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <signal.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "libs/base/env.h"
#include "libs/base/log.h"
#include "libs/base/status.h"
#include "libs/grpc/server_observer.h"

namespace adcp {

absl::StatusOr<ServiceHostOptions> ServiceHostOptionsFromEnv(
    std::string service_name, const char* port_variable, int default_port,
    int default_metrics_port) {
  ServiceHostOptions options;
  options.service_name = std::move(service_name);
  options.bind_host = env::String("BIND_HOST", "0.0.0.0");
  ASSIGN_OR_RETURN(options.port,
                   env::Int(port_variable, default_port, 0, 65535));
  ASSIGN_OR_RETURN(options.metrics_port,
                   env::Int("METRICS_PORT", default_metrics_port, -1, 65535));
  ASSIGN_OR_RETURN(const int grace,
                   env::Int("SHUTDOWN_GRACE_SECONDS", 10, 0, 3600));
  options.shutdown_grace = absl::Seconds(grace);
  ASSIGN_OR_RETURN(const int drain,
                   env::Int("SHUTDOWN_DRAIN_MS", 500, 0, 60000));
  options.shutdown_drain = absl::Milliseconds(drain);
  ASSIGN_OR_RETURN(const int age,
                   env::Int("GRPC_MAX_CONNECTION_AGE_SECONDS", 0, 0, 86400));
  options.max_connection_age = absl::Seconds(age);
  ASSIGN_OR_RETURN(options.idle_threads,
                   env::Int("GRPC_IDLE_THREADS", 32, 1, 1024));
  return options;
}

ServiceHost::ServiceHost(ServiceHostOptions options)
    : options_(std::move(options)),
      metrics_(std::make_shared<prometheus::Registry>()) {}

ServiceHost::~ServiceHost() { Shutdown(); }

void ServiceHost::AddService(grpc::Service* service, std::string full_name) {
  services_.emplace_back(service, std::move(full_name));
}

void ServiceHost::OnShutdown(std::function<void()> hook) {
  shutdown_hooks_.push_back(std::move(hook));
}

absl::Status ServiceHost::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string address =
      absl::StrCat(options_.bind_host, ":", options_.port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  if (options_.max_connection_age > absl::ZeroDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               static_cast<int>(absl::ToInt64Milliseconds(
                                   options_.max_connection_age)));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 30000);
  }
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
      options_.idle_threads);
  for (const auto& [service, name] : services_)
    builder.RegisterService(service);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      factories;
  factories.push_back(
      MakeServerObserverFactory(metrics_, options_.tenant_metadata_key));
  builder.experimental().SetInterceptorCreators(std::move(factories));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
  if (options_.metrics_port >= 0) {
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(
          absl::StrCat(options_.bind_host, ":", options_.metrics_port));
      exposer_->RegisterCollectable(metrics_);
      metrics_port_ = exposer_->GetListeningPorts().front();
    } catch (const std::exception& e) {
      Shutdown();
      return absl::UnavailableError(absl::StrCat(
          "metrics exposer on port ", options_.metrics_port, ": ", e.what()));
    }
  }
  for (const auto& [service, name] : services_) {
    server_->GetHealthCheckService()->SetServingStatus(name, true);
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  log::Info("serving", {{"grpc_port", port_}, {"metrics_port", metrics_port_}});
  return absl::OkStatus();
}

void ServiceHost::Shutdown() {
  std::call_once(shutdown_once_, [this] {
    if (server_ == nullptr) return;
    log::Info(
        "shutting down",
        {{"grace_seconds", absl::ToInt64Seconds(options_.shutdown_grace)}});
    server_->GetHealthCheckService()->SetServingStatus(false);
    for (auto& hook : shutdown_hooks_) hook();
    absl::SleepFor(options_.shutdown_drain);
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoMilliseconds(options_.shutdown_grace));
    server_->Wait();
    exposer_.reset();
    log::Info("stopped");
  });
}

void ServiceHost::PrepareProcess() {
  // Debian builds Abseil without NDEBUG, which leaves absl::Mutex's deadlock
  // detection on: every lock (gRPC's included) then updates a global lock
  // graph. Measured by ./dev bench as the largest cost of a cached call.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int ServiceHost::WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

}  // namespace adcp
