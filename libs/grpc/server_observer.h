// The server interceptor every service of the suite runs (ServiceHost
// installs it): per-RPC Prometheus metrics, and a structured log line for
// every failed call (and every call at debug level). Admission is the
// guard's job (libs/tenancy/guard.h), not this one's.
#pragma once

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace adcp {

// `tenant_key`: the metadata key whose value the log lines carry as
// tenant_id (empty: none). The tenancy library owns the key and passes it
// through ServiceHostOptions; this library knows no tenant.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeServerObserverFactory(std::shared_ptr<prometheus::Registry> registry,
                          std::string tenant_key);

}  // namespace adcp
