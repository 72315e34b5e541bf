// The handler guard: the check that every RPC handler runs before any side
// effect. gRPC 1.51's C++ server interceptors cannot stop a handler, so the
// guard is not an interceptor: handlers run their body through
// CallGuard::Run, which admits the call or answers with an error.
#pragma once

#include <grpcpp/server_context.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "adcp/common/call_context.h"
#include "adcp/common/status.h"

namespace adcp {

enum class CallScope {
  // Runs for the platform, not for one tenant (e.g. the tenant registry).
  // Needs the internal service token only.
  kPlatform,
  // Runs for the tenant in x-tenant-id, which must exist and be active.
  kTenant,
};

// What the guard needs to know of a tenant.
struct TenantState {
  bool active = false;
};

// Where the guard looks tenants up. Implementations answer from memory in
// steady state (a cache fed by the registry's watch stream).
class TenantDirectory {
 public:
  virtual ~TenantDirectory() = default;
  // NOT_FOUND for an unknown tenant.
  virtual absl::StatusOr<TenantState> Find(
      const std::string& tenant_id) const = 0;
};

class CallGuard {
 public:
  // `internal_token` must not be empty. `tenants` may be null only for a
  // service without kTenant methods.
  CallGuard(std::string internal_token,
            std::shared_ptr<const TenantDirectory> tenants);

  // Checks the call's metadata for `scope`: the internal token (compared in
  // constant time), and for kTenant a well-formed, existing, active tenant.
  absl::StatusOr<CallContext> Admit(const grpc::ServerContext& context,
                                    CallScope scope) const;

  // Admits the call, then runs `body(call_context)` with the call context
  // installed for logging and propagation. The body runs only when admitted.
  template <typename Body>
  grpc::Status Run(const grpc::ServerContext* context, CallScope scope,
                   Body&& body) const {
    absl::StatusOr<CallContext> call = Admit(*context, scope);
    if (!call.ok()) return ToGrpcStatus(call.status());
    ScopedCallContext installed(*call);
    return ToGrpcStatus(std::forward<Body>(body)(*call));
  }

 private:
  const std::string internal_token_digest_;
  const std::shared_ptr<const TenantDirectory> tenants_;
};

// Constant-time equality of two secrets of any lengths (compares digests).
bool SecretsEqual(std::string_view a, std::string_view b);

}  // namespace adcp
