// Channels from one service of the suite to another. The client interceptor
// adds the internal service token and forwards the tenant, principal, client
// and request id of the call being served on this thread, through
// ForwardTenant (metadata.h), the only writer of tenant metadata.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/support/client_interceptor.h>

#include <memory>
#include <string>

namespace adcp {

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
MakeClientPropagationFactory(std::string internal_token);

// An insecure channel (in-cluster traffic; TLS is the mesh's job) to another
// service of the suite, with the propagation interceptor installed.
std::shared_ptr<grpc::Channel> MakeServiceChannel(
    const std::string& target, const std::string& internal_token);

}  // namespace adcp
