#include "libs/tenancy/service_channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "libs/base/log.h"
#include "libs/tenancy/call_context.h"
#include "libs/tenancy/metadata.h"

namespace adcp {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::InterceptorBatchMethods;

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
  // Kubernetes, a headless Service's pods: "dns:///media-buy:50053"), each
  // watched through grpc health: a replica that turns NOT_SERVING (it is
  // shutting down, libs/grpc/service_host.h) leaves the rotation before it
  // stops. A server without Health/Watch counts as serving.
  grpc::ChannelArguments arguments;
  arguments.SetServiceConfigJSON(
      R"({"loadBalancingConfig":[{"round_robin":{}}],)"
      R"("healthCheckConfig":{"serviceName":""}})");
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, grpc::InsecureChannelCredentials(), arguments,
      std::move(factories));
}

}  // namespace adcp
