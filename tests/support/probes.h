// Probes of a running service from outside, as an operator's tools see it:
// grpc health, grpc reflection and the Prometheus endpoint.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace adcp::testing {

// grpc.health.v1 Check for `service` ("" = the whole server): the status
// name (SERVING, NOT_SERVING, ...).
absl::StatusOr<std::string> HealthStatus(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service);

// Service names listed by grpc.reflection.v1alpha (raw bytes on the wire;
// the reflection protos are not installed by Debian).
absl::StatusOr<std::vector<std::string>> ReflectedServices(
    const std::shared_ptr<grpc::Channel>& channel);

// GET http://127.0.0.1:<port><path> over a plain socket: status line + body.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path);

}  // namespace adcp::testing
