// Runs one gRPC server the way every service of the suite runs: grpc health
// and reflection, the server observer interceptor (server_observer.h), a
// Prometheus exposer, and graceful shutdown on SIGTERM/SIGINT.
#pragma once

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace adcp {

struct ServiceHostOptions {
  std::string service_name;
  std::string bind_host = "0.0.0.0";
  int port = 0;          // 0 picks a free port (tests)
  int metrics_port = 0;  // 0 picks a free port; -1 disables the exposer
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Between NOT_SERVING and the server's shutdown: time for the clients'
  // health watches (libs/tenancy/service_channel) to take this replica out
  // of their rotation. gRPC answers a call that arrives after shutdown has
  // begun with CANCELLED, so without it a rolling restart fails calls.
  absl::Duration shutdown_drain = absl::ZeroDuration();
  // When set, connections are closed (GOAWAY, then 30 s to finish) at this
  // age, so that clients re-resolve DNS and spread over new pods.
  absl::Duration max_connection_age = absl::ZeroDuration();
  // Request threads kept waiting for calls after they finish one (gRPC's
  // sync server "max pollers", 2 by default there). Past this many idle
  // threads a finishing thread ends, and the next call starts a new one:
  // at 2, a service under concurrent load made a thread per call.
  int idle_threads = 32;
  // The metadata key whose value the observer's log lines carry as
  // tenant_id (libs/tenancy sets its own key; empty: none).
  std::string tenant_metadata_key;
};

// Reads <PREFIX>_PORT (default `default_port`), METRICS_PORT (default
// `default_metrics_port`), BIND_HOST, SHUTDOWN_GRACE_SECONDS,
// SHUTDOWN_DRAIN_MS (500),
// GRPC_MAX_CONNECTION_AGE_SECONDS (0: never) and GRPC_IDLE_THREADS (32).
absl::StatusOr<ServiceHostOptions> ServiceHostOptionsFromEnv(
    std::string service_name, const char* port_variable, int default_port,
    int default_metrics_port);

class ServiceHost {
 public:
  explicit ServiceHost(ServiceHostOptions options);
  ~ServiceHost();

  std::shared_ptr<prometheus::Registry> metrics() const { return metrics_; }

  // Before Start(). The service must outlive the host; `full_name` (e.g.
  // Foo::service_full_name()) is what grpc health reports it under.
  void AddService(grpc::Service* service, std::string full_name);
  // Run at the start of shutdown, before in-flight calls are drained (e.g. to
  // end long-lived streams).
  void OnShutdown(std::function<void()> hook);

  absl::Status Start();
  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }

  // Marks every service NOT_SERVING, runs the hooks, waits
  // `shutdown_drain` (still serving), then gives in-flight calls
  // `shutdown_grace` before cancelling them. Idempotent.
  void Shutdown();

  // Call at the top of main, before any thread starts: blocks SIGTERM and
  // SIGINT in every thread so that WaitForTerminationSignal can take them,
  // and turns off absl::Mutex deadlock detection (a debug check).
  static void PrepareProcess();
  // Returns the signal number once SIGTERM or SIGINT arrives.
  static int WaitForTerminationSignal();

 private:
  const ServiceHostOptions options_;
  std::shared_ptr<prometheus::Registry> metrics_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::vector<std::function<void()>> shutdown_hooks_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
  int metrics_port_ = -1;
  std::once_flag shutdown_once_;
};

}  // namespace adcp
