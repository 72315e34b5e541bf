// The edge's side of buyers' signed requests (RFC 9421, AdCP's
// request-signing profile): the check every task call passes before it
// runs, and a sandbox tenant's per-operation endpoint
// <agent URL>/adcp/<operation>, where the AdCP signed-requests grader
// sends its conformance vectors: the signature is checked exactly as for a
// task, and no task runs (the test kit asks graders for a sandbox endpoint
// whose accepted requests have no effect).
#include "absl/strings/str_cat.h"
#include "libs/json/json_limits.h"
#include "libs/tenancy/request_signing_config.h"
#include "services/agent-edge/agent_edge.h"
#include "services/agent-edge/edge_request.h"

namespace adcp::agent_edge {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

// The answer to a refused signature: the profile's error, or (the replay
// store could not answer) AdCP's transient SERVICE_UNAVAILABLE.
json RefusalAnswer(const httpsig::VerifyResult& result) {
  if (result.unavailable) {
    return {
        {"adcp_error", AdcpError("SERVICE_UNAVAILABLE",
                                 "the request's signature could not be checked "
                                 "against replays now; retry the same request",
                                 "transient")}};
  }
  return {{"adcp_error",
           AdcpError(result.error_code,
                     absl::StrCat("the request's RFC 9421 signature was "
                                  "refused: ",
                                  result.error_code),
                     "correctable")}};
}

// The gate's verdict on the call's signature for `operation`; a refusal
// is noted on the call (its log line and metrics).
httpsig::VerifyResult CheckSignature(SignatureGate& gate, const auto& call,
                                     std::string_view operation,
                                     const json* arguments) {
  httpsig::VerifyResult result =
      gate.Check(call.http, call.tenant, operation,
                 !call.token.empty() || call.malformed_token, arguments);
  if (!result.ok()) {
    if (!result.unavailable) call.signature_error = result.error_code;
    call.outcome =
        result.unavailable ? "SERVICE_UNAVAILABLE" : result.error_code;
  }
  return result;
}

}  // namespace

bool IsSignatureProbePath(std::string_view path) {
  for (std::string_view mount : {"/adcp/", "/mcp/adcp/", "/a2a/adcp/"})
    if (path.starts_with(mount) && path.size() > mount.size()) return true;
  return false;
}

std::optional<AgentEdge::SignatureRefusal> AgentEdge::RefusedSignature(
    const Request& call, const AgentTask& task, const json& arguments) {
  const httpsig::VerifyResult result =
      CheckSignature(*signatures_, call, task.name, &arguments);
  if (result.ok()) return std::nullopt;
  return SignatureRefusal{.code = result.unavailable
                                      ? grpc::StatusCode::UNAVAILABLE
                                      : grpc::StatusCode::UNAUTHENTICATED,
                          .answer = RefusalAnswer(result)};
}

http::Response AgentEdge::SignatureProbe(const Request& call,
                                         std::string_view path) {
  if (call.http.method() != bhttp::verb::post) {
    http::Response response =
        http::JsonError(call.http, bhttp::status::method_not_allowed,
                        "POST the operation's request");
    response.set(bhttp::field::allow, "POST");
    return response;
  }
  std::string operation(path.substr(path.rfind('/') + 1));
  if (!IsAdcpOperationName(operation)) operation.clear();
  call.tool = "signature_probe";
  const std::string& body = call.http.body();
  absl::StatusOr<json> parsed =
      body.empty() ? json::object() : ParseJsonBounded(body, "body");
  const httpsig::VerifyResult result = CheckSignature(
      *signatures_, call, operation, parsed.ok() ? &*parsed : nullptr);
  if (!result.ok()) {
    http::Response response =
        Json(call.http,
             result.unavailable ? bhttp::status::service_unavailable
                                : bhttp::status::unauthorized,
             RefusalAnswer(result));
    if (!result.unavailable) Challenge(response, call);
    return response;
  }
  call.outcome = "ok";
  return Json(call.http, bhttp::status::ok,
              {{"operation", operation},
               {"signature", result.signed_request ? "verified" : "absent"},
               {"keyid", result.keyid},
               {"task_run", false}});
}

}  // namespace adcp::agent_edge
