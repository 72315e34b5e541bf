// The agent edge's reading of an A2A request (services/agent-edge/
// a2a_envelope.h) after its JSON-RPC envelope (ParseMcpEnvelope, fuzzed in
// mcp_envelope_fuzz): the method (A2aMethodOf), a message's AdCP invocation
// (ParseA2aInvocation) and a task id (ParseA2aTaskId). The params read are
// the envelope's params, or the whole document when it is an object that
// is no JSON-RPC request.
// Properties:
//  - nothing throws, and the JSON-RPC answer the edge builds from an error
//    (its message) or an invocation (the ids it echoes) serializes;
//  - an error is -32602 with a message;
//  - an invocation comes from exactly one DataPart of at most 16 parts: a
//    skill of 1 to 128 characters, its input an object (the DataPart's
//    input or parameters, never both), ids of 1 to 256 printable
//    characters;
//  - a task id is 1 to 256 printable characters.
#include <string>
#include <variant>

#include "services/agent-edge/a2a_envelope.h"
#include "services/agent-edge/mcp_envelope.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using adcp::agent_edge::A2aError;
using adcp::agent_edge::A2aInvocation;
using adcp_fuzz::Show;
using nlohmann::json;

bool Printable(const std::string& id, size_t max) {
  if (id.empty() || id.size() > max) return false;
  for (char c : id)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

void CheckError(const A2aError& error) {
  FUZZ_CHECK(error.code == adcp::agent_edge::kA2aInvalidParams,
             std::to_string(error.code));
  FUZZ_CHECK(!error.message.empty(), "an error without a message");
  FUZZ_CHECK(adcp_fuzz::IsUtf8(error.message), error.message);
  (void)json({{"code", error.code}, {"message", error.message}}).dump();
}

// Where the invocation's input must come from.
const json* InputOf(const json& params) {
  for (const json& part : params["message"]["parts"]) {
    if (!part.is_object() || !part.contains("data")) continue;
    const json& data = part["data"];
    if (data.contains("input")) return &data["input"];
    if (data.contains("parameters")) return &data["parameters"];
    return nullptr;
  }
  return nullptr;
}

void CheckInvocation(const json& params, const A2aInvocation& invocation) {
  FUZZ_CHECK(!invocation.skill.empty() && invocation.skill.size() <= 128,
             invocation.skill);
  FUZZ_CHECK(invocation.input != nullptr && invocation.input->is_object(),
             "input not an object");
  const json& parts = params["message"]["parts"];
  FUZZ_CHECK(parts.is_array() && !parts.empty() &&
                 parts.size() <= adcp::agent_edge::kMaxA2aParts,
             Show(parts));
  int data_parts = 0;
  for (const json& part : parts)
    if (part.is_object() && part.contains("data")) ++data_parts;
  FUZZ_CHECK(data_parts == 1, Show(parts));
  const json* input = InputOf(params);
  FUZZ_CHECK(
      input == nullptr ? invocation.input->empty() : input == invocation.input,
      "the input is not the DataPart's");
  for (const std::string* id :
       {&invocation.message_id, &invocation.context_id, &invocation.task_id})
    FUZZ_CHECK(id->empty() || Printable(*id, 256), *id);
  (void)json(
      {{"contextId", invocation.context_id}, {"skill", invocation.skill}})
      .dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = adcp_fuzz::AsText(data, size);
  auto envelope = adcp::agent_edge::ParseMcpEnvelope(body);
  json params;
  std::string method;
  if (const auto* message =
          std::get_if<adcp::agent_edge::McpMessage>(&envelope)) {
    params = message->params;
    method = message->method;
  } else {
    std::optional<json> document = adcp_fuzz::ParseUntrustedJson(body);
    if (!document || !document->is_object()) return 0;
    params = std::move(*document);
  }
  (void)adcp::agent_edge::A2aMethodOf(method);

  auto invocation = adcp::agent_edge::ParseA2aInvocation(params);
  if (const auto* error = std::get_if<A2aError>(&invocation))
    CheckError(*error);
  else
    CheckInvocation(params, std::get<A2aInvocation>(invocation));

  auto task_id = adcp::agent_edge::ParseA2aTaskId(params);
  if (const auto* error = std::get_if<A2aError>(&task_id))
    CheckError(*error);
  else
    FUZZ_CHECK(Printable(std::get<std::string>(task_id), 256),
               std::get<std::string>(task_id));
  return 0;
}
