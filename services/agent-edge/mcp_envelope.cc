#include "services/agent-edge/mcp_envelope.h"

#include <google/protobuf/util/json_util.h>

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/json/json_limits.h"

namespace adcp::agent_edge {

using nlohmann::json;

std::variant<McpMessage, McpEnvelopeError> ParseMcpEnvelope(
    std::string_view body) {
  absl::StatusOr<json> parsed = ParseJsonBounded(body, "body");
  if (!parsed.ok())
    return McpEnvelopeError{
        .code = -32700,
        .message = absl::StrCat("Parse error: ", parsed.status().message())};
  json& message = *parsed;
  if (message.is_array())
    return McpEnvelopeError{
        .message =
            "Invalid Request: JSON-RPC batches are not supported; "
            "send one request per POST"};
  if (!message.is_object() || message.value("jsonrpc", json()) != "2.0" ||
      !message.contains("method") || !message["method"].is_string()) {
    return McpEnvelopeError{.message =
                                "Invalid Request: expected one JSON-RPC 2.0 "
                                "object with a method"};
  }
  McpMessage out;
  out.method = message["method"].get<std::string>();
  if (!message.contains("id")) {
    out.notification = true;
    return out;
  }
  const json& id = message["id"];
  if (!id.is_string() && !id.is_number_integer())
    return McpEnvelopeError{
        .message = "Invalid Request: id must be a string or an integer"};
  if (id.is_string() && id.get_ref<const std::string&>().size() > 256)
    return McpEnvelopeError{.message =
                                "Invalid Request: id longer than 256 "
                                "characters"};
  out.id = id;
  if (auto params = message.find("params"); params != message.end()) {
    if (!params->is_object())
      return McpEnvelopeError{.code = -32602,
                              .message = "Invalid params: expected an object",
                              .id = out.id,
                              .bad_request = false};
    out.params = std::move(*params);
  }
  return out;
}

std::variant<ToolCall, McpEnvelopeError> ParseToolCall(const json& params,
                                                       const json& id) {
  auto name = params.find("name");
  if (name == params.end() || !name->is_string())
    return McpEnvelopeError{.code = -32602,
                            .message = "Invalid params: name is required",
                            .id = id,
                            .bad_request = false};
  ToolCall call;
  call.name = name->get<std::string>();
  if (call.name.size() > 128)
    return McpEnvelopeError{.code = -32602,
                            .message =
                                "Invalid params: name longer than 128 "
                                "characters",
                            .id = id,
                            .bad_request = false};
  static const json kNoMembers = json::object();
  auto arguments = params.find("arguments");
  call.arguments = arguments == params.end() ? &kNoMembers : &*arguments;
  if (!call.arguments->is_object())
    return McpEnvelopeError{
        .code = -32602,
        .message = "Invalid params: arguments must be an object",
        .id = id,
        .bad_request = false};
  return call;
}

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

bool IsInteger(const json& value) {
  if (value.is_number_integer()) return true;
  if (!value.is_string()) return false;  // proto3 JSON: "123" for integers
  const std::string& text = value.get_ref<const std::string&>();
  size_t i = !text.empty() && text[0] == '-' ? 1 : 0;
  return i < text.size() && text.size() <= 21 &&
         text.find_first_not_of("0123456789", i) == std::string::npos;
}

// What a JSON value must be for one (non-repeated) value of `field`; "" when
// it is.
const char* TypeProblem(const FieldDescriptor& field, const json& value) {
  if (value.is_null()) return "";  // proto3 JSON: the default
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      return value.is_boolean() ? "" : "expected true or false";
    case FieldDescriptor::CPPTYPE_STRING:
      return value.is_string() ? "" : "expected a string";
    case FieldDescriptor::CPPTYPE_ENUM:
      return value.is_string() || value.is_number_integer()
                 ? ""
                 : "expected one of the enum's names";
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return IsInteger(value) ? "" : "expected an integer";
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      return value.is_number() || value.is_string() ? "" : "expected a number";
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const std::string& type = field.message_type()->full_name();
      if (type == "google.protobuf.Timestamp" ||
          type == "google.protobuf.Duration" ||
          type == "google.protobuf.FieldMask")
        return value.is_string() ? "" : "expected a string";
      if (absl::StartsWith(type, "google.protobuf."))
        return "";  // Struct, Value, ListValue, wrappers: any JSON
      return value.is_object() ? "" : "expected an object";
    }
  }
  return "";
}

// A JSON path member: ".name", or "[3]".
std::string Member(const std::string& path, const std::string& name) {
  return path + "." + name;
}

}  // namespace

absl::Status CheckArgumentTypes(const json& arguments,
                                const Descriptor& descriptor) {
  // An explicit stack, not recursion: the depth is bounded (64) by the
  // parse, but nothing here should depend on that.
  struct Item {
    const json* value;
    const Descriptor* type;
    std::string path;
  };
  std::vector<Item> stack = {{&arguments, &descriptor, "arguments"}};
  while (!stack.empty()) {
    Item item = std::move(stack.back());
    stack.pop_back();
    for (const auto& [key, value] : item.value->items()) {
      const FieldDescriptor* field = item.type->FindFieldByName(key);
      if (field == nullptr) field = item.type->FindFieldByCamelcaseName(key);
      if (field == nullptr) continue;  // AdCP fields this seller ignores
      const std::string path = Member(item.path, key);
      auto push = [&](const json& element, const std::string& at) {
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
            element.is_object() &&
            !absl::StartsWith(field->message_type()->full_name(),
                              "google.protobuf."))
          stack.push_back({&element, field->message_type(), at});
      };
      if (field->is_map()) {
        if (value.is_null()) continue;
        if (!value.is_object())
          return absl::InvalidArgumentError(
              absl::StrCat(path, ": expected an object"));
        const FieldDescriptor* map_value =
            field->message_type()->FindFieldByName("value");
        for (const auto& [name, element] : value.items()) {
          if (const char* problem = TypeProblem(*map_value, element); *problem)
            return absl::InvalidArgumentError(
                absl::StrCat(Member(path, name), ": ", problem));
          if (map_value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
              element.is_object() &&
              !absl::StartsWith(map_value->message_type()->full_name(),
                                "google.protobuf."))
            stack.push_back(
                {&element, map_value->message_type(), Member(path, name)});
        }
      } else if (field->is_repeated()) {
        if (value.is_null()) continue;
        if (!value.is_array())
          return absl::InvalidArgumentError(
              absl::StrCat(path, ": expected an array"));
        if (value.size() > kMaxArgumentItems)
          return absl::InvalidArgumentError(
              absl::StrCat(path, ": at most ", kMaxArgumentItems, " items"));
        for (size_t i = 0; i < value.size(); ++i) {
          const std::string at = absl::StrCat(path, "[", i, "]");
          if (const char* problem = TypeProblem(*field, value[i]); *problem)
            return absl::InvalidArgumentError(absl::StrCat(at, ": ", problem));
          push(value[i], at);
        }
      } else {
        if (const char* problem = TypeProblem(*field, value); *problem)
          return absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
        push(value, path);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ParseTaskArguments(const json& arguments,
                                google::protobuf::Message* request) {
  if (!arguments.is_object())
    return absl::InvalidArgumentError("arguments: expected a JSON object");
  // Wrong types first, named by their path: protobuf's parser takes some
  // (a string for a bool, an object for a list) and names others vaguely.
  if (absl::Status types =
          CheckArgumentTypes(arguments, *request->GetDescriptor());
      !types.ok())
    return types;
  // Within the edge's JSON limits already (depth 64), so neither the dump
  // nor protobuf's parser (depth 100) meets an untrusted depth.
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // AdCP fields this seller does not use
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      arguments.dump(), request, options);
  if (!parsed.ok())
    return absl::InvalidArgumentError(
        absl::StrCat("arguments: ", std::string(parsed.message())));
  return absl::OkStatus();
}

}  // namespace adcp::agent_edge
