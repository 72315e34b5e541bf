#include "adcp/common/interceptors.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <chrono>

#include "adcp/common/call_context.h"
#include "adcp/common/log.h"
#include "adcp/common/metadata.h"

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
  ServerObserver(const char* method, ServerMetrics* metrics)
      : method_(method ? method : "unknown"), metrics_(metrics) {}

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      start_ = std::chrono::steady_clock::now();
      if (auto* metadata = methods->GetRecvInitialMetadata()) {
        auto it = metadata->find(kTenantIdKey);
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
  std::chrono::steady_clock::time_point start_ =
      std::chrono::steady_clock::now();
  std::string tenant_id_;
};

class ServerObserverFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ServerObserverFactory(std::shared_ptr<prometheus::Registry> registry)
      : registry_(std::move(registry)), metrics_(*registry_) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new ServerObserver(info->method(), &metrics_);
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  ServerMetrics metrics_;
};

class ClientPropagation : public grpc::experimental::Interceptor {
 public:
  ClientPropagation(const std::string* internal_token, const CallContext* call)
      : internal_token_(internal_token) {
    // Captured at call creation, on the thread that makes the call.
    if (call != nullptr) call_ = *call;
  }

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      auto* metadata = methods->GetSendInitialMetadata();
      const absl::Status forwarded = ForwardTenant(
          metadata, ForwardedCall{.internal_token = *internal_token_,
                                  .tenant_id = call_.tenant_id,
                                  .principal_id = call_.principal_id,
                                  .bearer_token = call_.principal_token,
                                  .client_address = call_.client_address,
                                  .request_id = call_.request_id});
      if (!forwarded.ok()) {
        // The guard admitted these values, so this is a bug: the call goes
        // out without them and is refused downstream.
        log::Error("call context not forwarded",
                   {{"error", std::string(forwarded.message())}});
      }
    }
    methods->Proceed();
  }

 private:
  const std::string* internal_token_;
  CallContext call_;
};

class ClientPropagationFactory
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit ClientPropagationFactory(std::string internal_token)
      : internal_token_(std::move(internal_token)) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    return new ClientPropagation(&internal_token_, CurrentCallContext());
  }

 private:
  const std::string internal_token_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeServerObserverFactory(std::shared_ptr<prometheus::Registry> registry) {
  return std::make_unique<ServerObserverFactory>(std::move(registry));
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
MakeClientPropagationFactory(std::string internal_token) {
  return std::make_unique<ClientPropagationFactory>(std::move(internal_token));
}

std::shared_ptr<grpc::Channel> MakeServiceChannel(
    const std::string& target, const std::string& internal_token) {
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      factories;
  factories.push_back(MakeClientPropagationFactory(internal_token));
  // Per-call balancing over every address the name resolves to (in
  // Kubernetes, a headless Service's pods: "dns:///media-buy:50053").
  grpc::ChannelArguments arguments;
  arguments.SetLoadBalancingPolicyName("round_robin");
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, grpc::InsecureChannelCredentials(), arguments,
      std::move(factories));
}

}  // namespace adcp
