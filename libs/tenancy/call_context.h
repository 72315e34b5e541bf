// Who a call runs for. The guard establishes it for the duration of a handler
// (ScopedCallContext); the logger and the client interceptor read it so that
// logs carry tenant_id and downstream calls carry the same tenant metadata.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "libs/base/log.h"

namespace adcp {

struct CallContext {
  // Empty for platform-scoped calls.
  std::string tenant_id;
  // The resolved principal ("admin:<admin_id>" for a named system admin,
  // "bootstrap" for the bootstrap token); never taken from
  // client-supplied x-principal-id.
  std::string principal_id;
  // The caller's bearer token, forwarded to downstream services so they can
  // verify it themselves. Never logged.
  std::string principal_token;
  bool is_admin = false;
  bool system_admin = false;
  // The bootstrap token (only auth's CreateSystemAdmin accepts it).
  bool bootstrap_admin = false;
  // The resolved principal's platform_mappings (ad-server identities).
  nlohmann::json platform_mappings = nlohmann::json::object();
  std::string request_id;
  // The HTTP client the edge served (x-adcp-client), when one did.
  std::string client_address;
};

// The context of the call running on this thread, or nullptr outside one.
const CallContext* CurrentCallContext();

// Installs `context` as this thread's call context until destroyed, then
// restores the previous one. Not movable: it lives on the handler's stack.
class ScopedCallContext {
 public:
  explicit ScopedCallContext(const CallContext& context);
  ~ScopedCallContext();
  ScopedCallContext(const ScopedCallContext&) = delete;
  ScopedCallContext& operator=(const ScopedCallContext&) = delete;

 private:
  const CallContext* previous_;
  log::Context log_fields_;
  log::ScopedContext log_scope_;
};

}  // namespace adcp
