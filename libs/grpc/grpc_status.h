// The one converter between absl::Status (inside the code) and grpc::Status
// (at the RPC edge).
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace adcp {

// absl and gRPC share the canonical code space, so codes map one to one.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace adcp
