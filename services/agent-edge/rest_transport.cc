// REST: POST /v1/<task> with the task's request as the JSON body; the
// answer's HTTP status from the call's gRPC code.
#include "absl/status/statusor.h"
#include "libs/json/json_limits.h"
#include "services/agent-edge/agent_edge.h"
#include "services/agent-edge/edge_request.h"

namespace adcp::agent_edge {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

bhttp::status HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return bhttp::status::ok;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return bhttp::status::bad_request;
    case grpc::StatusCode::UNAUTHENTICATED:
      return bhttp::status::unauthorized;
    case grpc::StatusCode::PERMISSION_DENIED:
      return bhttp::status::forbidden;
    case grpc::StatusCode::NOT_FOUND:
      return bhttp::status::not_found;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return bhttp::status::conflict;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return bhttp::status::too_many_requests;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return bhttp::status::service_unavailable;
    default:
      return bhttp::status::internal_server_error;
  }
}

}  // namespace

http::Response AgentEdge::Rest(const Request& call, const AgentTask& task) {
  absl::StatusOr<json> parsed =
      call.http.body().empty() ? json::object()
                               : ParseJsonBounded(call.http.body(), "body");
  if (parsed.ok() && !parsed->is_object())
    parsed = absl::InvalidArgumentError("body: expected a JSON object");
  if (!parsed.ok()) {
    return Json(
        call.http, bhttp::status::bad_request,
        {{"adcp_error",
          AdcpError("VALIDATION_ERROR", std::string(parsed.status().message()),
                    "correctable")}});
  }
  const json& arguments = *parsed;
  Outcome outcome = RunTask(call, task, arguments, /*task_status=*/false);
  http::Response response = http::JsonResponse(
      call.http, HttpStatusOf(outcome.code), std::move(outcome.body));
  if (outcome.code == grpc::StatusCode::UNAUTHENTICATED)
    Challenge(response, call);
  return response;
}

}  // namespace adcp::agent_edge
