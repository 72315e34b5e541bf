// The agent edge's reading of untrusted bodies (services/agent-edge/
// mcp_envelope.h): the MCP JSON-RPC envelope (ParseMcpEnvelope), tools/call
// parameters (ParseToolCall), and a task's arguments into its request
// message (ParseTaskArguments) for the tasks of the TaskCatalog. A body
// that is a JSON object but no JSON-RPC request is read as a REST body
// (POST /v1/<task>) of a task picked by its top-level keys; a tools/call of
// a name the catalog does not have is read for a task picked the same way.
// Properties:
//  - nothing throws, and the JSON-RPC answer the edge builds from either
//    outcome (the id echoed, the error message) serializes;
//  - an envelope error has a JSON-RPC code, a message, an id that is null,
//    a string or an integer, and is a 400 unless it is -32602;
//  - a message has a method, a string (at most 256) or integer id unless it
//    is a notification, object params within the JSON depth limit;
//  - a tool call has a name of at most 128 and object arguments;
//  - arguments either fail with "arguments..." (naming the member) or make
//    a message whose JSON (AppendProtoJson) reads back to the same message.
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>

#include <memory>
#include <string>
#include <variant>

#include "absl/strings/match.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "libs/json/json_limits.h"
#include "libs/json/proto_json.h"
#include "services/agent-edge/mcp_envelope.h"
#include "services/agent-edge/task_catalog.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/fuzz/proto_compare.h"

namespace {

using adcp_fuzz::NanEqual;

using adcp::agent_edge::AgentTask;
using adcp::agent_edge::McpEnvelopeError;
using adcp::agent_edge::McpMessage;
using adcp::agent_edge::TaskCatalog;
using adcp::agent_edge::ToolCall;
using adcp_fuzz::Show;
using nlohmann::json;

// What the edge sends back: must serialize whatever the request held.
void CheckAnswerable(const json& id, const std::string& message) {
  // An error message quoting the request's bytes would make the answer
  // throw in dump() (a 500 from the edge): the messages are UTF-8.
  FUZZ_CHECK(adcp_fuzz::IsUtf8(message), "an error message that is not UTF-8");
  const json answer = {{"jsonrpc", "2.0"},
                       {"id", id},
                       {"error", {{"code", -32600}, {"message", message}}}};
  (void)answer.dump();  // throws on invalid UTF-8: must not
}

const AgentTask& TaskFor(const json& object) {
  const auto& tasks = TaskCatalog::Get().tasks();
  uint32_t hash = 2166136261u;  // FNV-1a over the top-level keys
  for (const auto& [key, value] : object.items())
    for (char c : key) hash = (hash ^ static_cast<uint8_t>(c)) * 16777619u;
  return tasks[hash % tasks.size()];
}

void CheckArguments(const AgentTask& task, const json& arguments) {
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(
          task.method->input_type());
  std::unique_ptr<google::protobuf::Message> request(prototype->New());
  const absl::Status status =
      adcp::agent_edge::ParseTaskArguments(arguments, request.get());
  if (!status.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(status) &&
                   absl::StartsWith(status.message(), "arguments"),
               status.ToString());
    CheckAnswerable(nullptr, std::string(status.message()));
    return;
  }
  // protobuf's JSON parser can leave unknown fields in the message (seen:
  // a member named "" in a package gave an unknown field 7); JSON has no
  // form for them, so they are not compared.
  request->DiscardUnknownFields();
  std::string text;
  adcp::AppendProtoJson(*request, &text);
  const json written = json::parse(text, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(written.is_object(), "the request's JSON is invalid: " + text);
  std::unique_ptr<google::protobuf::Message> again(prototype->New());
  const absl::Status reread =
      adcp::agent_edge::ParseTaskArguments(written, again.get());
  FUZZ_CHECK(reread.ok(), task.name +
                              ": our JSON of an accepted request is "
                              "refused (" +
                              reread.ToString() + "): " + text);
  std::string difference;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&NanEqual());
  differencer.ReportDifferencesToString(&difference);
  FUZZ_CHECK(differencer.Compare(*request, *again),
             task.name + ": request does not round trip: " + difference +
                 "\narguments " + Show(arguments) + "\nwritten " + text);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // TaskCatalog finds MediaBuyService in protobuf's generated pool, where
  // media_buy.pb.cc registers it; name one of its types so that the linker
  // keeps that object (the edge's other code does that in agent-edge).
  (void)adcp::media_buy::v1::GetProductsRequest::descriptor();
  FUZZ_CHECK(!TaskCatalog::Get().tasks().empty(), "no tasks in the catalog");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = adcp_fuzz::AsText(data, size);
  auto envelope = adcp::agent_edge::ParseMcpEnvelope(body);

  if (const auto* error = std::get_if<McpEnvelopeError>(&envelope)) {
    FUZZ_CHECK(
        error->code == -32700 || error->code == -32600 || error->code == -32602,
        std::to_string(error->code));
    FUZZ_CHECK(!error->message.empty(), "an error without a message");
    FUZZ_CHECK(error->id.is_null() || error->id.is_string() ||
                   error->id.is_number_integer(),
               Show(error->id));
    FUZZ_CHECK(error->bad_request == (error->code != -32602), error->message);
    CheckAnswerable(error->id, error->message);
    // Not JSON-RPC: the same bytes as a REST task body.
    const absl::StatusOr<json> rest = adcp::ParseJsonBounded(body, "body");
    if (rest.ok() && rest->is_object() && !rest->contains("jsonrpc"))
      CheckArguments(TaskFor(*rest), *rest);
    return 0;
  }

  const McpMessage& message = std::get<McpMessage>(envelope);
  FUZZ_CHECK(message.notification == message.id.is_null(),
             "an id on a notification, or none on a request");
  if (!message.notification) {
    FUZZ_CHECK(message.id.is_number_integer() ||
                   (message.id.is_string() &&
                    message.id.get<std::string>().size() <= 256),
               Show(message.id));
  }
  FUZZ_CHECK(message.params.is_object(), Show(message.params));
  FUZZ_CHECK(adcp::JsonDepthWithin(message.params, 64),
             "params deeper than the JSON limit");
  CheckAnswerable(message.id, message.method);

  auto call = adcp::agent_edge::ParseToolCall(message.params, message.id);
  if (const auto* error = std::get_if<McpEnvelopeError>(&call)) {
    FUZZ_CHECK(
        error->code == -32602 && !error->bad_request && error->id == message.id,
        error->message);
    return 0;
  }
  const ToolCall& tool = std::get<ToolCall>(call);
  FUZZ_CHECK(tool.name.size() <= 128, tool.name);
  FUZZ_CHECK(tool.arguments != nullptr && tool.arguments->is_object(),
             "arguments not an object");
  const AgentTask* task = TaskCatalog::Get().ByName(tool.name);
  CheckArguments(task != nullptr ? *task : TaskFor(*tool.arguments),
                 *tool.arguments);
  return 0;
}
