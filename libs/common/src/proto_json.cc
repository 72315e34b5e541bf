#include "adcp/common/proto_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <charconv>
#include <cmath>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace adcp {

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void AppendMessage(const Message& message, std::string* out);

// A number as protobuf's JSON printer writes a Value's or a double field's:
// integral values without a fraction, non-finite ones as the strings NaN,
// Infinity and -Infinity (JsonNumber in struct_json.h makes the same choice
// for a tree).
void AppendNumber(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("\"NaN\"");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    absl::StrAppend(out, static_cast<int64_t>(value));
  } else {
    char buffer[32];  // the shortest text that reads back as the same double
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    out->append(buffer, end);
  }
}

void AppendValue(const google::protobuf::Value& value, std::string* out);

void AppendStruct(const google::protobuf::Struct& value, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const auto& [key, item] : value.fields()) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(key, out);
    out->push_back(':');
    AppendValue(item, out);
  }
  out->push_back('}');
}

void AppendList(const google::protobuf::ListValue& list, std::string* out) {
  out->push_back('[');
  for (int i = 0; i < list.values_size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendValue(list.values(i), out);
  }
  out->push_back(']');
}

void AppendValue(const google::protobuf::Value& value, std::string* out) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue:
      return AppendNumber(value.number_value(), out);
    case google::protobuf::Value::kStringValue:
      return AppendJsonString(value.string_value(), out);
    case google::protobuf::Value::kBoolValue:
      out->append(value.bool_value() ? "true" : "false");
      return;
    case google::protobuf::Value::kStructValue:
      return AppendStruct(value.struct_value(), out);
    case google::protobuf::Value::kListValue:
      return AppendList(value.list_value(), out);
    case google::protobuf::Value::kNullValue:
    case google::protobuf::Value::KIND_NOT_SET:
      break;
  }
  out->append("null");
}

// One value of a field: the field's only one (index < 0) or the index'th of
// a repeated one.
void AppendScalar(const Message& message, const FieldDescriptor* field,
                  int index, std::string* out) {
  const Reflection* r = message.GetReflection();
  const bool repeated = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(out, repeated ? r->GetRepeatedInt32(message, field, index)
                                    : r->GetInt32(message, field));
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      absl::StrAppend(out, repeated
                               ? r->GetRepeatedUInt32(message, field, index)
                               : r->GetUInt32(message, field));
      return;
    case FieldDescriptor::CPPTYPE_INT64:  // as a string, like protobuf
      absl::StrAppend(out, "\"",
                      repeated ? r->GetRepeatedInt64(message, field, index)
                               : r->GetInt64(message, field),
                      "\"");
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      absl::StrAppend(out, "\"",
                      repeated ? r->GetRepeatedUInt64(message, field, index)
                               : r->GetUInt64(message, field),
                      "\"");
      return;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return AppendNumber(repeated ? r->GetRepeatedDouble(message, field, index)
                                   : r->GetDouble(message, field),
                          out);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return AppendNumber(repeated ? r->GetRepeatedFloat(message, field, index)
                                   : r->GetFloat(message, field),
                          out);
    case FieldDescriptor::CPPTYPE_BOOL:
      out->append((repeated ? r->GetRepeatedBool(message, field, index)
                            : r->GetBool(message, field))
                      ? "true"
                      : "false");
      return;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int number = repeated
                             ? r->GetRepeatedEnumValue(message, field, index)
                             : r->GetEnumValue(message, field);
      const auto* value = field->enum_type()->FindValueByNumber(number);
      if (value != nullptr) {
        AppendJsonString(value->name(), out);
      } else {
        absl::StrAppend(out, number);
      }
      return;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& text =
          repeated
              ? r->GetRepeatedStringReference(message, field, index, &scratch)
              : r->GetStringReference(message, field, &scratch);
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        AppendJsonString(absl::Base64Escape(text), out);
      } else {
        AppendJsonString(text, out);
      }
      return;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return AppendMessage(repeated
                               ? r->GetRepeatedMessage(message, field, index)
                               : r->GetMessage(message, field),
                           out);
  }
  out->append("null");
}

// A map entry's key as an object key: protobuf's printer quotes integral and
// boolean keys.
void AppendMapKey(const Message& entry, const FieldDescriptor* key,
                  std::string* out) {
  if (key->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    AppendScalar(entry, key, -1, out);
    return;
  }
  std::string text;
  AppendScalar(entry, key, -1, &text);
  if (text.front() == '"') {
    out->append(text);  // 64-bit integers are quoted already
  } else {
    absl::StrAppend(out, "\"", text, "\"");
  }
}

void AppendMessage(const Message& message, std::string* out) {
  const Descriptor* type = message.GetDescriptor();
  if (type->file()->name().rfind("google/protobuf/", 0) == 0) {
    const std::string& name = type->full_name();
    if (name == "google.protobuf.Struct")
      return AppendStruct(static_cast<const google::protobuf::Struct&>(message),
                          out);
    if (name == "google.protobuf.Value")
      return AppendValue(static_cast<const google::protobuf::Value&>(message),
                         out);
    if (name == "google.protobuf.ListValue")
      return AppendList(
          static_cast<const google::protobuf::ListValue&>(message), out);
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    std::string text;
    if (google::protobuf::util::MessageToJsonString(message, &text, print)
            .ok()) {
      out->append(text);
    } else {
      out->append("null");
    }
    return;
  }

  const Reflection* r = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  // Set fields only: proto3's defaults and empty repeated fields are left
  // out, as protobuf's printer does by default.
  r->ListFields(message, &fields);
  out->push_back('{');
  bool first = true;
  for (const FieldDescriptor* field : fields) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(field->name(), out);
    out->push_back(':');
    if (field->is_map()) {
      const Descriptor* entry = field->message_type();
      out->push_back('{');
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        if (i > 0) out->push_back(',');
        const Message& item = r->GetRepeatedMessage(message, field, i);
        AppendMapKey(item, entry->map_key(), out);
        out->push_back(':');
        AppendScalar(item, entry->map_value(), -1, out);
      }
      out->push_back('}');
    } else if (field->is_repeated()) {
      out->push_back('[');
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        if (i > 0) out->push_back(',');
        AppendScalar(message, field, i, out);
      }
      out->push_back(']');
    } else {
      AppendScalar(message, field, -1, out);
    }
  }
  out->push_back('}');
}

// Characters a JSON string cannot hold as they are.
constexpr bool NeedsEscape(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\';
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  size_t run = 0;  // start of the characters not yet copied
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (!NeedsEscape(c)) continue;
    out->append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char escaped[] = {'\\', 'u',          '0',
                                '0',  kHex[c >> 4], kHex[c & 15]};
        out->append(escaped, sizeof escaped);
      }
    }
  }
  out->append(text.data() + run, text.size() - run);
  out->push_back('"');
}

void AppendProtoJson(const google::protobuf::Message& message,
                     std::string* out) {
  AppendMessage(message, out);
}

nlohmann::json ProtoToJson(const google::protobuf::Message& message) {
  std::string text;
  AppendMessage(message, &text);
  return nlohmann::json::parse(text);
}

}  // namespace adcp
