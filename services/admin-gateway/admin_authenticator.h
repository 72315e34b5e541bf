// Who a request to the gateway acts as: a named system admin's token
// (X-System-Token, or the UI session's), resolved through auth and cached
// (RemoteSystemAdminResolver). Failed tokens are charged to the calling
// client's failure budget before any lookup (auth audits them, aggregated).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/tenancy/guard.h"
#include "libs/tenancy/rate_limiter.h"
#include "libs/tenancy/remote_system_admins.h"

namespace adcp::admin_gateway {

class AdminAuthenticator {
 public:
  // `failures`: each client's budget of failed tokens.
  AdminAuthenticator(std::shared_ptr<grpc::Channel> auth, RateLimit failures);
  ~AdminAuthenticator();

  // The admin holding `token`: PERMISSION_DENIED for a missing or wrong
  // token, RESOURCE_EXHAUSTED (with the wait) while `client` is over its
  // failure budget, UNAVAILABLE when auth cannot say.
  absl::StatusOr<SystemAdminIdentity> Authenticate(const std::string& token,
                                                   const std::string& client);
  // After a sign-out here: `token` stops working on this replica at once.
  void Forget(const std::string& token) { resolver_.Forget(token); }
  // After revoking one of `admin_id`'s tokens or disabling it here: its
  // tokens are resolved afresh on this replica at once.
  void ForgetAdmin(const std::string& admin_id) {
    resolver_.ForgetAdmin(admin_id);
  }

 private:
  RemoteSystemAdminResolver resolver_;
  const RateLimit failures_;
  RateLimiter limiter_;
};

// The wait of a RESOURCE_EXHAUSTED of the suite ("...; retry after N ms")
// in whole seconds, rounded up; 1 when the message has none.
int64_t RetryAfterSeconds(const absl::Status& status);

}  // namespace adcp::admin_gateway
