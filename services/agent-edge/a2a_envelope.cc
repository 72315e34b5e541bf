#include "services/agent-edge/a2a_envelope.h"

#include <map>

#include "absl/strings/match.h"

namespace adcp::agent_edge {
namespace {

using nlohmann::json;

// An id the client chose (messageId, contextId, taskId, a task's id): the
// answer echoes it, so it is bounded and printable.
bool IsClientId(const json& value) {
  if (!value.is_string()) return false;
  const std::string& text = value.get_ref<const std::string&>();
  if (text.empty() || text.size() > 256) return false;
  for (char c : text)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

A2aError InvalidParams(std::string message) {
  return {kA2aInvalidParams, "Invalid params: " + std::move(message)};
}

// A part's data, when it is a DataPart: null when it is another part.
// Malformed parts are an error.
std::variant<const json*, A2aError> DataOf(const json& part) {
  if (!part.is_object()) return InvalidParams("a part must be an object");
  auto kind = part.find("kind");
  if (kind != part.end() && !kind->is_string())
    return InvalidParams("a part's kind must be a string");
  auto data = part.find("data");
  const bool tagged_data = kind != part.end() && *kind == "data";
  if (data == part.end())
    return tagged_data ? std::variant<const json*, A2aError>(
                             InvalidParams("a data part without data"))
                       : nullptr;
  if (kind != part.end() && !tagged_data)
    return InvalidParams("a part is either data or " +
                         kind->get<std::string>().substr(0, 32));
  if (!data->is_object())
    return InvalidParams("a part's data must be an object");
  return &*data;
}

// The one DataPart of `parts`.
std::variant<const json*, A2aError> InvocationData(const json& parts) {
  if (!parts.is_array() || parts.empty())
    return InvalidParams("message.parts must be a non-empty list");
  if (parts.size() > kMaxA2aParts)
    return InvalidParams("more than 16 parts in a message");
  const json* found = nullptr;
  for (const json& part : parts) {
    auto data = DataOf(part);
    if (auto* error = std::get_if<A2aError>(&data)) return *error;
    const json* object = std::get<const json*>(data);
    if (object == nullptr) continue;
    if (found != nullptr)
      return InvalidParams(
          "exactly one DataPart {skill, input} per message; this one has "
          "more");
    found = object;
  }
  if (found == nullptr)
    return InvalidParams(
        "the message has no DataPart {skill, input}: AdCP tasks are invoked "
        "with structured data, not text");
  return found;
}

// The message's optional ids into *invocation.
std::optional<A2aError> ReadIds(const json& message,
                                A2aInvocation* invocation) {
  for (auto [name, out] : {std::pair{"messageId", &invocation->message_id},
                           std::pair{"contextId", &invocation->context_id},
                           std::pair{"taskId", &invocation->task_id}}) {
    auto it = message.find(name);
    if (it == message.end() || it->is_null()) continue;
    if (!IsClientId(*it))
      return InvalidParams(std::string("message.") + name +
                           " must be a string of at most 256 printable "
                           "characters");
    *out = it->get<std::string>();
  }
  return std::nullopt;
}

}  // namespace

A2aMethodName A2aMethodOf(std::string_view name) {
  static const auto* methods = new std::map<std::string_view, A2aMethodName>{
      {"message/send", {A2aMethod::kSendMessage, A2aVersion::k0_3}},
      {"tasks/get", {A2aMethod::kGetTask, A2aVersion::k0_3}},
      {"tasks/cancel", {A2aMethod::kCancelTask, A2aVersion::k0_3}},
      {"message/stream", {A2aMethod::kStream, A2aVersion::k0_3}},
      {"tasks/resubscribe", {A2aMethod::kStream, A2aVersion::k0_3}},
      {"SendMessage", {A2aMethod::kSendMessage, A2aVersion::k1_0}},
      {"GetTask", {A2aMethod::kGetTask, A2aVersion::k1_0}},
      {"CancelTask", {A2aMethod::kCancelTask, A2aVersion::k1_0}},
      {"SendStreamingMessage", {A2aMethod::kStream, A2aVersion::k1_0}},
      {"SubscribeToTask", {A2aMethod::kStream, A2aVersion::k1_0}},
  };
  if (auto it = methods->find(name); it != methods->end()) return it->second;
  const absl::string_view text(name.data(), name.size());
  if (absl::StartsWith(text, "tasks/pushNotificationConfig/"))
    return {A2aMethod::kPushConfig, A2aVersion::k0_3};
  if (absl::StrContains(text, "TaskPushNotificationConfig"))
    return {A2aMethod::kPushConfig, A2aVersion::k1_0};
  return {};
}

std::variant<A2aInvocation, A2aError> ParseA2aInvocation(const json& params) {
  auto message = params.find("message");
  if (message == params.end() || !message->is_object())
    return InvalidParams("message must be an object");
  auto parts = message->find("parts");
  if (parts == message->end())
    return InvalidParams("message.parts must be a non-empty list");
  auto data = InvocationData(*parts);
  if (auto* error = std::get_if<A2aError>(&data)) return *error;
  const json& invocation = *std::get<const json*>(data);

  A2aInvocation out;
  auto skill = invocation.find("skill");
  if (skill == invocation.end() || !skill->is_string() ||
      skill->get_ref<const std::string&>().empty())
    return InvalidParams("the DataPart must name the AdCP task in skill");
  out.skill = skill->get<std::string>();
  if (out.skill.size() > 128)
    return InvalidParams("skill longer than 128 characters");
  auto input = invocation.find("input");
  auto parameters = invocation.find("parameters");
  if (input != invocation.end() && parameters != invocation.end())
    return InvalidParams(
        "the DataPart has both input and parameters: send the task's request "
        "in input");
  static const json kNoMembers = json::object();
  out.input = input != invocation.end()        ? &*input
              : parameters != invocation.end() ? &*parameters
                                               : &kNoMembers;
  if (!out.input->is_object())
    return InvalidParams("the DataPart's input must be an object");
  if (std::optional<A2aError> error = ReadIds(*message, &out)) return *error;
  return out;
}

std::variant<std::string, A2aError> ParseA2aTaskId(const json& params) {
  auto id = params.find("id");
  if (id == params.end() || !IsClientId(*id))
    return InvalidParams(
        "id must be the task's id (a string of at most 256 printable "
        "characters)");
  return id->get<std::string>();
}

}  // namespace adcp::agent_edge
