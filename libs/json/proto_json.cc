#include "libs/json/proto_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <charconv>
#include <cmath>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace adcp {

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The mapping from protobuf to JSON, written once for the two outputs: a
// Sink receives the document as events (TextSink appends JSON text,
// TreeSink builds a nlohmann::json).
template <typename Sink>
class Writer {
 public:
  explicit Writer(Sink& sink) : sink_(sink) {}

  void Message(const google::protobuf::Message& message) {
    const Descriptor* type = message.GetDescriptor();
    if (type->file()->name().rfind("google/protobuf/", 0) == 0)
      return WellKnown(message);
    const Reflection* r = message.GetReflection();
    std::vector<const FieldDescriptor*> fields;
    // Set fields only: proto3's defaults and empty repeated fields are left
    // out, as protobuf's printer does by default.
    r->ListFields(message, &fields);
    sink_.BeginObject();
    for (const FieldDescriptor* field : fields) {
      sink_.Key(field->name());
      if (field->is_map()) {
        const Descriptor* entry = field->message_type();
        sink_.BeginObject();
        for (int i = 0; i < r->FieldSize(message, field); ++i) {
          const google::protobuf::Message& item =
              r->GetRepeatedMessage(message, field, i);
          MapKey(item, entry->map_key());
          Scalar(item, entry->map_value(), -1);
        }
        sink_.EndObject();
      } else if (field->is_repeated()) {
        sink_.BeginArray();
        for (int i = 0; i < r->FieldSize(message, field); ++i)
          Scalar(message, field, i);
        sink_.EndArray();
      } else {
        Scalar(message, field, -1);
      }
    }
    sink_.EndObject();
  }

 private:
  // A number as protobuf's JSON printer writes a Value or a double field:
  // integral values without a fraction, non-finite ones as the strings NaN,
  // Infinity and -Infinity (JsonNumber in struct_json.h makes the same
  // choice).
  void Number(double value) {
    if (std::isnan(value)) {
      sink_.String("NaN");
    } else if (std::isinf(value)) {
      sink_.String(value > 0 ? "Infinity" : "-Infinity");
    } else if (value == std::trunc(value) && std::fabs(value) < 1e15) {
      sink_.Int(static_cast<int64_t>(value));
    } else {
      sink_.Double(value);
    }
  }

  void Value(const google::protobuf::Value& value) {
    switch (value.kind_case()) {
      case google::protobuf::Value::kNumberValue:
        return Number(value.number_value());
      case google::protobuf::Value::kStringValue:
        return sink_.String(value.string_value());
      case google::protobuf::Value::kBoolValue:
        return sink_.Bool(value.bool_value());
      case google::protobuf::Value::kStructValue:
        return Struct(value.struct_value());
      case google::protobuf::Value::kListValue:
        return List(value.list_value());
      case google::protobuf::Value::kNullValue:
      case google::protobuf::Value::KIND_NOT_SET:
        break;
    }
    sink_.Null();
  }

  void Struct(const google::protobuf::Struct& value) {
    sink_.BeginObject();
    for (const auto& [key, item] : value.fields()) {
      sink_.Key(key);
      Value(item);
    }
    sink_.EndObject();
  }

  void List(const google::protobuf::ListValue& list) {
    sink_.BeginArray();
    for (const auto& item : list.values()) Value(item);
    sink_.EndArray();
  }

  void WellKnown(const google::protobuf::Message& message) {
    const std::string& name = message.GetDescriptor()->full_name();
    if (name == "google.protobuf.Struct")
      return Struct(static_cast<const google::protobuf::Struct&>(message));
    if (name == "google.protobuf.Value")
      return Value(static_cast<const google::protobuf::Value&>(message));
    if (name == "google.protobuf.ListValue")
      return List(static_cast<const google::protobuf::ListValue&>(message));
    // Timestamp, Duration, wrappers...: protobuf's printer knows their forms.
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    std::string text;
    if (google::protobuf::util::MessageToJsonString(message, &text, print)
            .ok()) {
      sink_.Json(text);
    } else {
      sink_.Null();
    }
  }

  // One value of a field: the field's only one (index < 0) or the index'th
  // of a repeated one.
  void Scalar(const google::protobuf::Message& message,
              const FieldDescriptor* field, int index) {
    const Reflection* r = message.GetReflection();
    const bool repeated = index >= 0;
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return sink_.Int(repeated ? r->GetRepeatedInt32(message, field, index)
                                  : r->GetInt32(message, field));
      case FieldDescriptor::CPPTYPE_UINT32:
        return sink_.Int(repeated ? r->GetRepeatedUInt32(message, field, index)
                                  : r->GetUInt32(message, field));
      case FieldDescriptor::CPPTYPE_INT64:  // as a string, like protobuf
        return sink_.String(
            absl::StrCat(repeated ? r->GetRepeatedInt64(message, field, index)
                                  : r->GetInt64(message, field)));
      case FieldDescriptor::CPPTYPE_UINT64:
        return sink_.String(
            absl::StrCat(repeated ? r->GetRepeatedUInt64(message, field, index)
                                  : r->GetUInt64(message, field)));
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return Number(repeated ? r->GetRepeatedDouble(message, field, index)
                               : r->GetDouble(message, field));
      case FieldDescriptor::CPPTYPE_FLOAT:
        return Number(repeated ? r->GetRepeatedFloat(message, field, index)
                               : r->GetFloat(message, field));
      case FieldDescriptor::CPPTYPE_BOOL:
        return sink_.Bool(repeated ? r->GetRepeatedBool(message, field, index)
                                   : r->GetBool(message, field));
      case FieldDescriptor::CPPTYPE_ENUM: {
        if (field->enum_type()->full_name() == "google.protobuf.NullValue")
          return sink_.Null();
        const int number = repeated
                               ? r->GetRepeatedEnumValue(message, field, index)
                               : r->GetEnumValue(message, field);
        const auto* value = field->enum_type()->FindValueByNumber(number);
        if (value != nullptr) return sink_.String(value->name());
        return sink_.Int(number);
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& text =
            repeated
                ? r->GetRepeatedStringReference(message, field, index, &scratch)
                : r->GetStringReference(message, field, &scratch);
        if (field->type() == FieldDescriptor::TYPE_BYTES)
          return sink_.String(absl::Base64Escape(text));
        return sink_.String(text);
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return Message(repeated ? r->GetRepeatedMessage(message, field, index)
                                : r->GetMessage(message, field));
    }
    sink_.Null();
  }

  // A map entry's key as an object key: protobuf's printer writes integral
  // and boolean keys as their text.
  void MapKey(const google::protobuf::Message& entry,
              const FieldDescriptor* key) {
    const Reflection* r = entry.GetReflection();
    switch (key->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        return sink_.Key(r->GetStringReference(entry, key, &scratch));
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        return sink_.Key(r->GetBool(entry, key) ? "true" : "false");
      case FieldDescriptor::CPPTYPE_INT32:
        return sink_.Key(absl::StrCat(r->GetInt32(entry, key)));
      case FieldDescriptor::CPPTYPE_UINT32:
        return sink_.Key(absl::StrCat(r->GetUInt32(entry, key)));
      case FieldDescriptor::CPPTYPE_INT64:
        return sink_.Key(absl::StrCat(r->GetInt64(entry, key)));
      case FieldDescriptor::CPPTYPE_UINT64:
        return sink_.Key(absl::StrCat(r->GetUInt64(entry, key)));
      default:  // protobuf allows no other key types
        return sink_.Key("");
    }
  }

  Sink& sink_;
};

// JSON text, appended to a string.
class TextSink {
 public:
  explicit TextSink(std::string* out) : out_(out) {}
  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(std::string_view key) {
    Separate();
    AppendJsonString(key, out_);
    out_->push_back(':');
    after_value_ = false;
  }
  void String(std::string_view text) {
    Separate();
    AppendJsonString(text, out_);
    after_value_ = true;
  }
  void Int(int64_t value) { Raw(absl::StrCat(value)); }
  void Double(double value) {
    char buffer[32];  // the shortest text that reads back as the same double
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    Raw(std::string_view(buffer, end - buffer));
  }
  void Bool(bool value) { Raw(value ? "true" : "false"); }
  void Null() { Raw("null"); }
  void Json(std::string_view text) { Raw(text); }

 private:
  void Separate() {
    if (after_value_) out_->push_back(',');
  }
  void Raw(std::string_view text) {
    Separate();
    out_->append(text);
    after_value_ = true;
  }
  void Open(char bracket) {
    Separate();
    out_->push_back(bracket);
    after_value_ = false;
  }
  void Close(char bracket) {
    out_->push_back(bracket);
    after_value_ = true;
  }

  std::string* out_;
  bool after_value_ = false;  // a value ended: the next one needs a comma
};

// A nlohmann::json tree: each value goes into the innermost open object
// (under the last key) or array, or becomes the root.
class TreeSink {
 public:
  explicit TreeSink(nlohmann::json* root) : root_(root) {}
  void BeginObject() { open_.push_back(Add(nlohmann::json::object())); }
  void EndObject() { open_.pop_back(); }
  void BeginArray() { open_.push_back(Add(nlohmann::json::array())); }
  void EndArray() { open_.pop_back(); }
  void Key(std::string_view key) { key_.assign(key.data(), key.size()); }
  void String(std::string_view text) { Add(std::string(text)); }
  void Int(int64_t value) { Add(value); }
  void Double(double value) { Add(value); }
  void Bool(bool value) { Add(value); }
  void Null() { Add(nullptr); }
  void Json(std::string_view text) {
    Add(nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false));
  }

 private:
  nlohmann::json* Add(nlohmann::json value) {
    if (open_.empty()) {
      *root_ = std::move(value);
      return root_;
    }
    nlohmann::json& container = *open_.back();
    if (container.is_object()) {
      nlohmann::json& slot = container[key_];
      slot = std::move(value);
      return &slot;
    }
    container.push_back(std::move(value));
    return &container.back();
  }

  nlohmann::json* root_;
  // Pointers stay valid: only the innermost container grows, and a
  // container's own slot is not moved while it is open.
  std::vector<nlohmann::json*> open_;
  std::string key_;
};

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
    // The characters with a two-character escape, and its letter.
    static constexpr std::string_view kShort = "\"\\\b\f\n\r\t";
    static constexpr std::string_view kLetter = "\"\\bfnrt";
    if (const size_t k = kShort.find(static_cast<char>(c));
        k != std::string_view::npos) {
      const char escaped[] = {'\\', kLetter[k]};
      out->append(escaped, sizeof escaped);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out->append(escaped, sizeof escaped);
    }
  }
  out->append(text.data() + run, text.size() - run);
  out->push_back('"');
}

void AppendProtoJson(const google::protobuf::Message& message,
                     std::string* out) {
  TextSink sink(out);
  Writer<TextSink>(sink).Message(message);
}

nlohmann::json ProtoToJson(const google::protobuf::Message& message) {
  nlohmann::json root;
  TreeSink sink(&root);
  Writer<TreeSink>(sink).Message(message);
  return root;
}

}  // namespace adcp
