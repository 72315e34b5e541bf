// A task forwarded to media-buy, whatever the transport: the arguments read
// into the task's request message, the tenant's bulkhead slot, the tenant
// and token forwarded (ForwardTenant), the gRPC call, and its answer written
// as JSON text (or the AdCP error of a failure).
#include <google/protobuf/arena.h>
#include <google/protobuf/dynamic_message.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/codegen/rpc_method.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <map>

#include "absl/strings/match.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "libs/base/log.h"
#include "libs/json/json_limits.h"
#include "libs/json/proto_json.h"
#include "libs/tenancy/metadata.h"
#include "services/agent-edge/agent_edge.h"
#include "services/agent-edge/edge_request.h"
#include "services/agent-edge/mcp_envelope.h"

namespace adcp::agent_edge {
namespace {

using nlohmann::json;

constexpr char kAdcpErrorTrailer[] = "adcp-error-bin";

// An AdCP error for a failure that came without one (the guard refused).
json ErrorOfStatus(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      return AdcpError("AUTH_REQUIRED", status.error_message(), "correctable");
    case grpc::StatusCode::PERMISSION_DENIED:
      return AdcpError("PERMISSION_DENIED", status.error_message(), "terminal");
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return AdcpError("RATE_LIMITED", status.error_message(), "transient");
    case grpc::StatusCode::INVALID_ARGUMENT:
      return AdcpError("VALIDATION_ERROR", status.error_message(),
                       "correctable");
    case grpc::StatusCode::NOT_FOUND:
      return AdcpError("REFERENCE_NOT_FOUND", status.error_message(),
                       "correctable");
    default:
      return AdcpError("SERVICE_UNAVAILABLE",
                       "the seller could not answer; retry later", "transient");
  }
}

// A member added to an object's JSON text: before its closing brace.
void AppendMember(std::string_view key, std::string_view value,
                  std::string* object) {
  object->pop_back();  // '}'
  if (object->back() != '{') object->push_back(',');
  AppendJsonString(key, object);
  object->push_back(':');
  object->append(value);
  object->push_back('}');
}

// Whether the message's JSON has the field (it is set: the printer leaves
// proto3 defaults and empty repeated fields out).
bool Listed(const google::protobuf::Message& message, const std::string& name) {
  const auto* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr) return false;
  const auto* reflection = message.GetReflection();
  return field->is_repeated() ? reflection->FieldSize(message, field) > 0
                              : reflection->HasField(message, field);
}

// An answer that says it failed: comply_test_controller's
// {success: false, error}.
bool SaysItFailed(const google::protobuf::Message& message) {
  const auto* field = message.GetDescriptor()->FindFieldByName("success");
  return field != nullptr && !field->is_repeated() &&
         field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_BOOL &&
         message.GetReflection()->HasField(message, field) &&
         !message.GetReflection()->GetBool(message, field);
}

// Arrays AdCP's response schemas require even when empty; protobuf's JSON
// leaves empty repeated fields out.
void AddRequiredArrays(const google::protobuf::Message& message,
                       std::string* text) {
  static const auto* required = new std::map<std::string, std::string>{
      {"GetProductsResponse", "products"},
      {"ListCreativeFormatsResponse", "formats"},
      {"GetMediaBuysResponse", "media_buys"},
      {"GetMediaBuyDeliveryResponse", "media_buy_deliveries"},
      {"ListCreativesResponse", "creatives"},
      {"ListAccountsResponse", "accounts"},
  };
  auto it = required->find(message.GetDescriptor()->name());
  if (it != required->end() && !Listed(message, it->second))
    AppendMember(it->second, "[]", text);
}

// A call that failed: its gRPC code and the answer's JSON ({"adcp_error":
// ...}, or a controller's own {success: false, error}).
struct Failure {
  grpc::StatusCode code;
  json answer;
};

Failure Failed(grpc::StatusCode code, json error) {
  return {code, {{"adcp_error", std::move(error)}}};
}

// Refusals before anything is forwarded: a malformed token, or arguments
// that are not the task's request.
std::optional<Failure> Refusal(bool malformed_token,
                               const absl::Status& parsed) {
  if (malformed_token)
    return Failed(grpc::StatusCode::UNAUTHENTICATED,
                  AdcpError("AUTH_REQUIRED",
                            "x-adcp-auth: the token is malformed (expected at "
                            "most 512 characters of A-Z a-z 0-9 - . _ ~ + / =)",
                            "correctable"));
  if (parsed.ok()) return std::nullopt;
  // "arguments.packages[0].paused: ..." names the field "packages[0].paused".
  const std::string message(parsed.message());
  std::string field;
  if (absl::StartsWith(message, "arguments."))
    field = message.substr(10, message.find(':') - 10);
  return Failed(grpc::StatusCode::INVALID_ARGUMENT,
                AdcpError("VALIDATION_ERROR", message, "correctable", field));
}

// The AdCP error of a failed call: media-buy's own (the adcp-error-bin
// trailer), else one made from the status.
Failure FailureOfStatus(const grpc::ClientContext& context,
                        const grpc::Status& status) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(kAdcpErrorTrailer);
  if (it == trailers.end()) {
    // The edge cancels none of its calls: a CANCELLED is gRPC's answer to a
    // call that reached a replica as it began shutting down, which to the
    // agent is the retryable UNAVAILABLE (503), not a server error.
    if (status.error_code() == grpc::StatusCode::CANCELLED)
      return Failed(grpc::StatusCode::UNAVAILABLE,
                    ErrorOfStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                               status.error_message())));
    return Failed(status.error_code(), ErrorOfStatus(status));
  }
  media_buy::v1::Error adcp;
  adcp.ParseFromString(std::string(it->second.data(), it->second.size()));
  return Failed(status.error_code(), ProtoToJson(adcp));
}

// The answer of a call that succeeded, written as JSON text into *body; or
// why it is not one.
std::optional<Failure> ReadAnswer(const AgentTask& task,
                                  const std::string& tenant_id,
                                  grpc::ByteBuffer& out, bool task_status,
                                  google::protobuf::Arena* arena,
                                  std::string* body) {
  google::protobuf::Message* response =
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(task.method->output_type())
          ->New(arena);
  grpc::ProtoBufferReader reader(&out);
  if (!response->ParseFromZeroCopyStream(&reader)) {
    // Not what the method answers (or a string that is not UTF-8): nothing
    // of it reaches the agent.
    log::Error("unreadable answer from media-buy",
               {{"tenant_id", tenant_id}, {"task", task.name}});
    return Failed(grpc::StatusCode::INTERNAL,
                  ErrorOfStatus(grpc::Status(grpc::StatusCode::INTERNAL, "")));
  }
  if (SaysItFailed(*response))
    return Failure{grpc::StatusCode::OK, ProtoToJson(*response)};
  // The answer is written as text straight from the message: no JSON tree
  // (the bench measured the tree and its dump as a third of the edge's CPU
  // per get_products).
  body->reserve(out.Length() * 3 / 2 + 64);
  AppendProtoJson(*response, body);
  AddRequiredArrays(*response, body);
  if (task_status && !Listed(*response, "status"))
    AppendMember("status", R"("completed")", body);
  return std::nullopt;
}

}  // namespace

AgentEdge::Outcome AgentEdge::CallMediaBuy(
    const Request& call, const AgentTask& task,
    const google::protobuf::Message& request, bool task_status,
    google::protobuf::Arena* arena, json* failed) {
  grpc::ClientContext context;
  if (absl::Status forwarded =
          ForwardTenant(&context, ForwardedCall{.tenant_id = call.tenant_id,
                                                .bearer_token = call.token,
                                                .client_address = call.client});
      !forwarded.ok()) {
    // The edge checked every value; a value that still fails is refused
    // here rather than reaching gRPC.
    log::Error("call not forwarded",
               {{"tenant_id", call.tenant_id},
                {"error", std::string(forwarded.message())}});
    *failed = {{"adcp_error",
                ErrorOfStatus(grpc::Status(grpc::StatusCode::INTERNAL, ""))}};
    return Outcome{.code = grpc::StatusCode::INTERNAL};
  }
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(config_.call_deadline));
  const std::string bytes = request.SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer in(&slice, 1), out;
  const grpc::Status status =
      grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
          media_buy_.get(),
          grpc::internal::RpcMethod(task.grpc_path.c_str(),
                                    grpc::internal::RpcMethod::NORMAL_RPC),
          &context, in, &out);
  Outcome outcome{.code = status.error_code()};
  std::optional<Failure> failure =
      status.ok() ? ReadAnswer(task, call.tenant_id, out, task_status, arena,
                               &outcome.body)
                  : FailureOfStatus(context, status);
  if (!failure) {
    outcome.ok = true;
    call.outcome = "ok";
    return outcome;
  }
  if (failure->code != grpc::StatusCode::OK) outcome.code = failure->code;
  *failed = std::move(failure->answer);
  return outcome;
}

AgentEdge::Outcome AgentEdge::RunTask(const Request& call,
                                      const AgentTask& task,
                                      const json& arguments, bool task_status) {
  call.tool = task.name;
  // The call's messages live in one arena: a get_products answer is
  // hundreds of small objects (Structs), allocated at once and never freed
  // one by one.
  google::protobuf::Arena arena;
  google::protobuf::Message* request =
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(task.method->input_type())
          ->New(&arena);
  Outcome outcome;
  json failed;  // the answer of a call that failed
  absl::StatusOr<TenantBulkhead::Slot> slot;
  if (std::optional<SignatureRefusal> signature =
          RefusedSignature(call, task, arguments)) {
    outcome.code = signature->code;
    failed = std::move(signature->answer);
  } else if (std::optional<Failure> refused =
                 Refusal(call.malformed_token,
                         ParseTaskArguments(arguments, request))) {
    outcome.code = refused->code;
    failed = std::move(refused->answer);
  } else if (slot = bulkhead_.Acquire(call.tenant_id); !slot.ok()) {
    // This tenant's calls fill its share of the threads: refused, so that
    // the other tenants' calls go on.
    outcome.code = grpc::StatusCode::UNAVAILABLE;
    failed = {{"adcp_error",
               AdcpError("SERVICE_UNAVAILABLE",
                         std::string(slot.status().message()), "transient")}};
  } else {
    outcome = CallMediaBuy(call, task, *request, task_status, &arena, &failed);
    if (outcome.ok) return outcome;
  }
  return FailedOutcome(call, arguments, task_status, std::move(failed),
                       outcome.code);
}

AgentEdge::Outcome AgentEdge::FailedOutcome(const Request& call,
                                            const json& arguments,
                                            bool task_status, json failed,
                                            grpc::StatusCode code) {
  if (arguments.contains("context")) failed["context"] = arguments["context"];
  if (task_status && !failed.contains("status")) failed["status"] = "failed";
  if (const json* error =
          failed.contains("adcp_error") ? &failed["adcp_error"] : nullptr;
      error != nullptr && error->contains("code") &&
      (*error)["code"].is_string()) {
    call.outcome = (*error)["code"];
  } else {
    call.outcome = failed.value("error", "error");  // the controller's
  }
  return {.ok = false,
          .body = failed.dump(-1, ' ', false, json::error_handler_t::replace),
          .code = code};
}

}  // namespace adcp::agent_edge
