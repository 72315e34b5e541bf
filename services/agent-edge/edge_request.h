// What the edge's transports (MCP, REST, A2A) share: one agent request as the
// edge holds it once the tenant is known, and the JSON answers they write.
// Internal to services/agent-edge.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "adcp/tenant/v1/tenant_registry.pb.h"
#include "libs/http/http_server.h"
#include "services/agent-edge/agent_edge.h"
#include "services/agent-edge/mcp_envelope.h"

namespace adcp::agent_edge {

// The version the edge gives as its own (MCP serverInfo, the A2A card).
inline constexpr char kAgentVersion[] = "0.4.0";

// A request header's value; empty when absent.
inline std::string Header(const http::Request& request, std::string_view name) {
  auto it = request.find(boost::beast::string_view(name.data(), name.size()));
  if (it == request.end()) return "";
  return std::string(it->value().data(), it->value().size());
}

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
  // The request-signing error code of a refused signature: the challenge
  // is then `Signature error="<code>"`.
  mutable std::string signature_error;
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

// Whether a tenant's path (after /tenants/{subdomain}) is A2A's: /a2a, or
// an agent card (/.well-known/agent-card.json, the older agent.json, and
// both under /a2a/, where clients given the endpoint's URL look).
bool IsA2aPath(std::string_view path);

// Whether a tenant's path is its brand.json or webhook-signing JWKS
// (/.well-known/brand.json, /.well-known/jwks.json).
bool IsPublishedKeysPath(std::string_view path);

// Where the request reached the tenant: "<scheme>://<Host>" plus
// "/tenants/<subdomain>" when the path named it; empty when the Host is
// missing or not a host name (a2a_transport.cc).
std::string TenantBaseUrl(const http::Request& request,
                          const tenant::v1::Tenant& tenant);

// Whether a tenant's path is AdCP's per-operation form under an agent URL:
// /adcp/<...>, /mcp/adcp/<...> or /a2a/adcp/<...> (signed_requests.cc).
bool IsSignatureProbePath(std::string_view path);

// JSON-RPC 2.0 answers (MCP and A2A).
inline nlohmann::json RpcError(const nlohmann::json& id, int code,
                               const std::string& message) {
  return {{"jsonrpc", "2.0"},
          {"id", id},
          {"error", {{"code", code}, {"message", message}}}};
}

inline nlohmann::json RpcResult(const nlohmann::json& id,
                                nlohmann::json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

inline http::Response Json(const http::Request& request,
                           boost::beast::http::status status,
                           const nlohmann::json& body) {
  return http::JsonResponse(
      request, status,
      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// A JSON-RPC POST body (MCP, A2A) read into *message; or the answer when
// there is nothing to run: the envelope's error (400, or 200 for a JSON-RPC
// error about a well-formed request), or 202 for a notification (or a
// response), which is never answered.
inline std::optional<http::Response> ReadJsonRpc(const http::Request& request,
                                                 McpMessage* message) {
  auto envelope = ParseMcpEnvelope(request.body());
  if (auto* error = std::get_if<McpEnvelopeError>(&envelope))
    return Json(request,
                error->bad_request ? boost::beast::http::status::bad_request
                                   : boost::beast::http::status::ok,
                RpcError(error->id, error->code, error->message));
  *message = std::move(std::get<McpMessage>(envelope));
  if (!message->notification) return std::nullopt;
  http::Response accepted{boost::beast::http::status::accepted,
                          request.version()};
  accepted.keep_alive(request.keep_alive());
  accepted.prepare_payload();
  return accepted;
}

}  // namespace adcp::agent_edge
