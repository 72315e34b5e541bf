#include "adcp/common/proto_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "adcp/common/struct_json.h"
#include "adcp/common/tenant_config.h"  // StructToJson

namespace adcp {

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using json = nlohmann::json;

json MessageToJson(const Message& message);

json Scalar(const Message& message, const FieldDescriptor* field, int index) {
  const Reflection* r = message.GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return repeated ? r->GetRepeatedInt32(message, field, index)
                      : r->GetInt32(message, field);
    case FieldDescriptor::CPPTYPE_UINT32:
      return repeated ? r->GetRepeatedUInt32(message, field, index)
                      : r->GetUInt32(message, field);
    case FieldDescriptor::CPPTYPE_INT64:  // as a string, like protobuf
      return absl::StrCat(repeated ? r->GetRepeatedInt64(message, field, index)
                                   : r->GetInt64(message, field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(repeated ? r->GetRepeatedUInt64(message, field, index)
                                   : r->GetUInt64(message, field));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return JsonNumber(repeated ? r->GetRepeatedDouble(message, field, index)
                                 : r->GetDouble(message, field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return JsonNumber(repeated ? r->GetRepeatedFloat(message, field, index)
                                 : r->GetFloat(message, field));
    case FieldDescriptor::CPPTYPE_BOOL:
      return repeated ? r->GetRepeatedBool(message, field, index)
                      : r->GetBool(message, field);
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int number = repeated
                             ? r->GetRepeatedEnumValue(message, field, index)
                             : r->GetEnumValue(message, field);
      const auto* value = field->enum_type()->FindValueByNumber(number);
      if (value != nullptr) return value->name();
      return number;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& text =
          repeated
              ? r->GetRepeatedStringReference(message, field, index, &scratch)
              : r->GetStringReference(message, field, &scratch);
      if (field->type() == FieldDescriptor::TYPE_BYTES)
        return absl::Base64Escape(text);
      return text;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return MessageToJson(repeated
                               ? r->GetRepeatedMessage(message, field, index)
                               : r->GetMessage(message, field));
  }
  return nullptr;
}

// A message of a well-known type other than Struct, Value and ListValue.
json ByProtobufPrinter(const Message& message) {
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(message, &text, print);
  return json::parse(text, nullptr, false);
}

json MessageToJson(const Message& message) {
  const Descriptor* type = message.GetDescriptor();
  const std::string& name = type->full_name();
  if (name == "google.protobuf.Struct")
    return StructToJson(static_cast<const google::protobuf::Struct&>(message));
  if (name == "google.protobuf.Value")
    return ValueToJson(static_cast<const google::protobuf::Value&>(message));
  if (name == "google.protobuf.ListValue") {
    json out = json::array();
    for (const auto& item :
         static_cast<const google::protobuf::ListValue&>(message).values())
      out.push_back(ValueToJson(item));
    return out;
  }
  if (type->file()->name().rfind("google/protobuf/", 0) == 0)
    return ByProtobufPrinter(message);

  json out = json::object();
  const Reflection* r = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  // Set fields only: proto3's defaults and empty repeated fields are left
  // out, as protobuf's printer does by default.
  r->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->is_map()) {
      json map = json::object();
      const Descriptor* entry = field->message_type();
      const FieldDescriptor* key = entry->map_key();
      const FieldDescriptor* value = entry->map_value();
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        const Message& item = r->GetRepeatedMessage(message, field, i);
        json k = Scalar(item, key, -1);
        map[k.is_string() ? k.get<std::string>() : k.dump()] =
            Scalar(item, value, -1);
      }
      out[field->name()] = std::move(map);
    } else if (field->is_repeated()) {
      json list = json::array();
      for (int i = 0; i < r->FieldSize(message, field); ++i)
        list.push_back(Scalar(message, field, i));
      out[field->name()] = std::move(list);
    } else {
      out[field->name()] = Scalar(message, field, -1);
    }
  }
  return out;
}

}  // namespace

nlohmann::json ProtoToJson(const google::protobuf::Message& message) {
  return MessageToJson(message);
}

}  // namespace adcp
