// The system admin REST API under /system (design brief, "External
// contracts"). Every route needs X-System-Token, a named admin's API (or
// session) token, resolved by auth; without a valid one: 403
// {"error":"Unauthorized"}, and 429 with Retry-After once the client has
// failed too often. The calls made for the request carry that token, so
// every audit row names the admin. Errors are {"error": "..."}.
#pragma once

#include <string>

#include "libs/http/http_server.h"
#include "services/admin-gateway/admin_authenticator.h"
#include "services/admin-gateway/admin_operations.h"

namespace adcp::admin_gateway {

class SystemApi {
 public:
  SystemApi(AdminOperations& operations, AdminAuthenticator& authenticator)
      : operations_(operations), authenticator_(authenticator) {}

  // For a target under /system/; `peer` is the calling client.
  http::Response Handle(const http::Request& request, const std::string& peer);

 private:
  // /system/tenants...
  http::Response Tenants(const http::Request& request,
                         const std::vector<std::string>& path);
  // /system/admins...
  http::Response Admins(const http::Request& request,
                        const std::vector<std::string>& path,
                        const SystemAdminIdentity& caller);

  AdminOperations& operations_;
  AdminAuthenticator& authenticator_;
};

// Splits a request target's path (query dropped) into its segments.
std::vector<std::string> PathSegments(std::string_view target);
// The value of `name` in the target's query string ("" when absent).
std::string QueryParameter(std::string_view target, std::string_view name);

}  // namespace adcp::admin_gateway
