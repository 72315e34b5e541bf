#include "libs/grpc/server_observer.h"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <chrono>
#include <string_view>

#include "libs/base/log.h"

namespace adcp {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::InterceptorBatchMethods;

struct ServerMetrics {
  explicit ServerMetrics(prometheus::Registry& registry)
      : handled(
            prometheus::BuildCounter()
                .Name("grpc_server_handled_total")
                .Help(
                    "RPCs completed on the server, by method and status code.")
                .Register(registry)),
        latency(prometheus::BuildHistogram()
                    .Name("grpc_server_handling_seconds")
                    .Help("Time from receiving a call's metadata to sending "
                          "its status.")
                    .Register(registry)) {}
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Histogram>& latency;
};

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,  0.5,    1,     2.5,  5};
  return *buckets;
}

const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  return (index >= 0 && index <= 16) ? kNames[index] : "UNKNOWN";
}

class ServerObserver : public grpc::experimental::Interceptor {
 public:
  ServerObserver(const char* method, ServerMetrics* metrics,
                 const std::string* tenant_key)
      : method_(method ? method : "unknown"),
        metrics_(metrics),
        tenant_key_(tenant_key) {}

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      start_ = std::chrono::steady_clock::now();
      auto* metadata = methods->GetRecvInitialMetadata();
      if (metadata != nullptr && !tenant_key_->empty()) {
        auto it = metadata->find(*tenant_key_);
        if (it != metadata->end())
          tenant_id_.assign(it->second.data(), it->second.size());
      }
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  void Record(const grpc::Status& status) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
            .count();
    const char* code = CodeName(status.error_code());
    metrics_->handled.Add({{"grpc_method", method_}, {"grpc_code", code}})
        .Increment();
    metrics_->latency.Add({{"grpc_method", method_}}, LatencyBuckets())
        .Observe(seconds);
    const log::Level level =
        status.ok() ? log::Level::kDebug
        : status.error_code() == grpc::StatusCode::INTERNAL ||
                status.error_code() == grpc::StatusCode::UNKNOWN
            ? log::Level::kError
            : log::Level::kInfo;
    if (!log::Enabled(level)) return;
    const nlohmann::json tenant = tenant_id_.empty()
                                      ? nlohmann::json(nullptr)
                                      : nlohmann::json(tenant_id_);
    log::Write(level, "rpc",
               {{"method", method_},
                {"code", code},
                {"message", status.error_message()},
                {"duration_ms", seconds * 1000.0},
                {"tenant_id", tenant}});
  }

  const std::string method_;
  ServerMetrics* const metrics_;
  const std::string* const tenant_key_;
  std::chrono::steady_clock::time_point start_ =
      std::chrono::steady_clock::now();
  std::string tenant_id_;
};

class ServerObserverFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  ServerObserverFactory(std::shared_ptr<prometheus::Registry> registry,
                        std::string tenant_key)
      : registry_(std::move(registry)),
        metrics_(*registry_),
        tenant_key_(std::move(tenant_key)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // Every client channel keeps one health Watch stream per replica
    // (libs/tenancy/service_channel): it lives as long as the connection
    // and ends cancelled, so it is neither a latency nor an error.
    if (std::string_view(info->method()) == "/grpc.health.v1.Health/Watch")
      return nullptr;
    return new ServerObserver(info->method(), &metrics_, &tenant_key_);
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  ServerMetrics metrics_;
  const std::string tenant_key_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeServerObserverFactory(std::shared_ptr<prometheus::Registry> registry,
                          std::string tenant_key) {
  return std::make_unique<ServerObserverFactory>(std::move(registry),
                                                 std::move(tenant_key));
}

}  // namespace adcp
