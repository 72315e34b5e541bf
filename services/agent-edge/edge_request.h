// What the edge's transports (MCP, REST) share: one agent request as the
// edge holds it once the tenant is known, and the JSON answers they write.
// Internal to services/agent-edge.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "adcp/tenant/v1/tenant_registry.pb.h"
#include "libs/http/http_server.h"
#include "services/agent-edge/agent_edge.h"

namespace adcp::agent_edge {

struct AgentEdge::Request {
  const http::Request& http;
  const tenant::v1::Tenant& tenant;
  std::string tenant_id;
  std::string token;
  bool malformed_token = false;  // presented, but not a token: 401
  std::string client;            // the caller's address
  // For the metrics: the task or MCP method served (bounded: known names
  // only), and the outcome of a task ("ok" or its AdCP error code).
  mutable std::string tool = "-";
  mutable std::string outcome;
};

// An AdCP error object {code, message, recovery, field?}.
inline nlohmann::json AdcpError(const std::string& code,
                                const std::string& message,
                                const std::string& recovery,
                                const std::string& field = "") {
  nlohmann::json error = {
      {"code", code}, {"message", message}, {"recovery", recovery}};
  if (!field.empty()) error["field"] = field;
  return error;
}

inline http::Response Json(const http::Request& request,
                           boost::beast::http::status status,
                           const nlohmann::json& body) {
  return http::JsonResponse(
      request, status,
      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace adcp::agent_edge
