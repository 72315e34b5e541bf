// gRPC interceptors of the suite.
//  - Server: per-RPC Prometheus metrics and a structured log line for every
//    failed call (and every call at debug level), with the tenant from
//    metadata. Admission is the guard's job (see guard.h), not this one's.
//  - Client: adds the internal service token, and propagates the tenant,
//    principal and request id of the call being served on this thread.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/server_interceptor.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace adcp {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeServerObserverFactory(std::shared_ptr<prometheus::Registry> registry);

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
MakeClientPropagationFactory(std::string internal_token);

// An insecure channel (in-cluster traffic; TLS is the mesh's job) to another
// service of the suite, with the propagation interceptor installed.
std::shared_ptr<grpc::Channel> MakeServiceChannel(
    const std::string& target, const std::string& internal_token);

}  // namespace adcp
