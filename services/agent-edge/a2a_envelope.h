// The A2A (Agent2Agent) requests the edge reads from untrusted bytes, after
// the JSON-RPC envelope (ParseMcpEnvelope: the same JSON-RPC 2.0 rules and
// JSON limits for both transports): the method, the AdCP invocation of a
// message, and the task id of tasks/get and tasks/cancel. Pure functions
// (no I/O), shared by the edge and its fuzz target.
//
// Versions: A2A 1.0 (the AdCP A2A profile extension v3) and 0.3 (the
// method names and `kind`-tagged parts that @a2a-js/sdk 0.3 clients,
// @adcp/sdk among them, still send). The answer follows the version of the
// method name the request used.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace adcp::agent_edge {

// The AdCP A2A profile extension (AgentCard.capabilities.extensions[].uri).
inline constexpr char kAdcpA2aExtension[] =
    "https://adcontextprotocol.org/extensions/adcp/v3";

enum class A2aVersion { k0_3, k1_0 };

enum class A2aMethod {
  kSendMessage,  // message/send, SendMessage
  kGetTask,      // tasks/get, GetTask
  kCancelTask,   // tasks/cancel, CancelTask
  kStream,       // message/stream, tasks/resubscribe and their 1.0 names
  kPushConfig,   // tasks/pushNotificationConfig/*, *TaskPushNotification*
  kUnknown,
};

struct A2aMethodName {
  A2aMethod method = A2aMethod::kUnknown;
  A2aVersion version = A2aVersion::k0_3;
};
A2aMethodName A2aMethodOf(std::string_view name);

// A2A's JSON-RPC error codes (A2A 0.3 section 8.2; 1.0 keeps them).
inline constexpr int kA2aInvalidParams = -32602;
inline constexpr int kA2aTaskNotFound = -32001;
inline constexpr int kA2aTaskNotCancelable = -32002;
inline constexpr int kA2aPushNotSupported = -32003;
inline constexpr int kA2aUnsupportedOperation = -32004;

struct A2aError {
  int code = kA2aInvalidParams;
  std::string message;
};

// Most parts in one message: bounded before any is read.
inline constexpr size_t kMaxA2aParts = 16;

// A message/send's AdCP invocation: the message's one DataPart
// {skill, input} (A2A 1.0: a part with a `data` object; 0.3: also
// kind "data"). `parameters`, the 0.3 clients' name for `input`, is read
// when `input` is absent; both present is ambiguous and refused, as are no
// DataPart or more than one. TextParts are advisory and ignored.
struct A2aInvocation {
  std::string skill;
  const nlohmann::json* input = nullptr;  // an object, pointing into params
  // The client's ids, when it sent them (printable ASCII, at most 256).
  std::string message_id;
  std::string context_id;
  std::string task_id;
};
std::variant<A2aInvocation, A2aError> ParseA2aInvocation(
    const nlohmann::json& params);

// The task id of tasks/get and tasks/cancel: params.id, a string of at most
// 256 printable ASCII characters.
std::variant<std::string, A2aError> ParseA2aTaskId(
    const nlohmann::json& params);

}  // namespace adcp::agent_edge
