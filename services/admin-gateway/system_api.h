// The system admin REST API under /system (design brief, "External
// contracts"). Every route needs X-System-Token (compared in constant time);
// without it: 403 {"error":"Unauthorized"}. Errors are {"error": "..."}.
#pragma once

#include <string>

#include "libs/http/http_server.h"
#include "services/admin-gateway/admin_operations.h"

namespace adcp::admin_gateway {

class SystemApi {
 public:
  SystemApi(AdminOperations& operations, std::string system_token)
      : operations_(operations), system_token_(std::move(system_token)) {}

  // For a target under /system/.
  http::Response Handle(const http::Request& request);

 private:
  AdminOperations& operations_;
  const std::string system_token_;
};

// Splits a request target's path (query dropped) into its segments.
std::vector<std::string> PathSegments(std::string_view target);
// The value of `name` in the target's query string ("" when absent).
std::string QueryParameter(std::string_view target, std::string_view name);

}  // namespace adcp::admin_gateway
