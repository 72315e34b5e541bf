// adcp-bench-echo: the benchmarks' gRPC floor. One empty unary method on the
// suite's ServiceHost, so that the floor pays what every service pays
// (interceptors, metrics, health) and nothing else.
//   ECHO_PORT (50060), METRICS_PORT (0: any free port; -1: none),
//   BIND_HOST (127.0.0.1)
#include <memory>

#include "adcp/bench/v1/echo.grpc.pb.h"
#include "libs/base/env.h"
#include "libs/base/log.h"
#include "libs/grpc/service_host.h"

namespace {

class Echo final : public adcp::bench::v1::BenchEcho::Service {
  grpc::Status Ping(grpc::ServerContext*, const google::protobuf::Empty*,
                    google::protobuf::Empty*) override {
    return grpc::Status::OK;
  }
};

}  // namespace

int main() {
  adcp::ServiceHost::PrepareProcess();
  adcp::log::Init("bench-echo", adcp::log::Level::kInfo);
  auto port = adcp::env::Int("ECHO_PORT", 50060, 0, 65535);
  auto metrics_port = adcp::env::Int("METRICS_PORT", 0, -1, 65535);
  if (!port.ok() || !metrics_port.ok()) {
    adcp::log::Error(
        "invalid configuration",
        {{"error",
          (!port.ok() ? port.status() : metrics_port.status()).message()}});
    return 2;
  }
  Echo echo;
  adcp::ServiceHost host(
      {.service_name = "bench-echo",
       .bind_host = adcp::env::String("BIND_HOST", "127.0.0.1"),
       .port = *port,
       .metrics_port = *metrics_port});
  host.AddService(&echo, adcp::bench::v1::BenchEcho::service_full_name());
  if (absl::Status started = host.Start(); !started.ok()) {
    adcp::log::Error("cannot start", {{"error", started.message()}});
    return 1;
  }
  adcp::log::Info("listening", {{"port", host.port()}});
  adcp::ServiceHost::WaitForTerminationSignal();
  host.Shutdown();
  return 0;
}
