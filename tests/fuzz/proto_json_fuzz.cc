// The protobuf-to-JSON writer (AppendProtoJson, ProtoToJson) against
// protobuf's own JSON parser. Input: byte 0 picks a message type (every
// message of media_buy.proto, tenant_registry.proto and tenant_config.proto,
// and google.protobuf.Struct, sorted by full name), bit 0 of byte 1 the form
// of the rest: protobuf wire format (0) or JSON (1), parsed with protobuf.
// Properties:
//  - AppendProtoJson writes valid JSON (UTF-8 included), and ProtoToJson
//    builds the same tree;
//  - JsonStringToMessage reads that text back to the same message, up to
//    the differences listed at Normalize;
//  - where protobuf's own printer succeeds (and the message holds no
//    google.protobuf.Value: see Normalize), its JSON reads back to the same
//    message as ours.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "adcp/media_buy/v1/media_buy.pb.h"
#include "adcp/tenant/v1/tenant_registry.pb.h"
#include "libs/json/proto_json.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/fuzz/proto_compare.h"

namespace {

using adcp_fuzz::NanEqual;

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

const std::vector<const Descriptor*>& Types() {
  static const std::vector<const Descriptor*> types = [] {
    std::vector<const Descriptor*> out;
    for (const google::protobuf::FileDescriptor* file :
         {adcp::media_buy::v1::GetProductsRequest::descriptor()->file(),
          adcp::tenant::v1::Tenant::descriptor()->file(),
          adcp::tenant::v1::TenantConfig::descriptor()->file()}) {
      for (int i = 0; i < file->message_type_count(); ++i)
        out.push_back(file->message_type(i));
    }
    out.push_back(google::protobuf::Struct::descriptor());
    std::sort(out.begin(), out.end(),
              [](const Descriptor* a, const Descriptor* b) {
                return a->full_name() < b->full_name();
              });
    return out;
  }();
  return types;
}

bool IsWellKnown(const Descriptor* type) {
  return type->file()->name().rfind("google/protobuf/", 0) == 0;
}

bool IsStructType(const Descriptor* type) {
  const std::string& name = type->full_name();
  return name == "google.protobuf.Struct" || name == "google.protobuf.Value" ||
         name == "google.protobuf.ListValue";
}

// Whether protobuf's printer can write a well-known message (Timestamp and
// Duration have ranges; out of them it refuses, and our writer writes null).
bool PrintableWellKnown(const Message& message) {
  std::string ignored;
  return google::protobuf::util::MessageToJsonString(message, &ignored).ok();
}

// The message as it must read back from our JSON. The expected
// differences, all where JSON or protobuf's JSON mapping cannot say more:
//  - unknown fields are dropped (JSON has no form for them);
//  - a google.protobuf.Value with no kind, or a null_value of a number
//    NullValue does not name (the wire allows any), is written null, so
//    reads back as null_value NULL_VALUE;
//  - a Value's number that is NaN or infinite is written as the string
//    "NaN"/"Infinity"/"-Infinity" (protobuf's printer refuses such a
//    Value), so reads back as that string;
//  - a Timestamp or Duration out of protobuf's range is written null, so
//    the field reads back unset (protobuf's printer refuses the message);
//  - -0.0 is written 0 (equal under ==, which the comparison uses).
// Counts the google.protobuf.Values in *values: protobuf's own printer
// (3.21) drops a kind-less Value from a list (shifting it) and a Struct
// member whose value is an empty list, where ours writes null and [] (and
// reads back exactly); the comparison with that printer skips them.
void Normalize(Message* message, int* values) {
  message->DiscardUnknownFields();
  const Descriptor* type = message->GetDescriptor();
  if (type->full_name() == "google.protobuf.Value") {
    auto* value = static_cast<google::protobuf::Value*>(message);
    ++*values;
    if (value->kind_case() == google::protobuf::Value::KIND_NOT_SET ||
        value->kind_case() == google::protobuf::Value::kNullValue) {
      value->set_null_value(google::protobuf::NULL_VALUE);
    } else if (value->kind_case() == google::protobuf::Value::kNumberValue &&
               !std::isfinite(value->number_value())) {
      const double number = value->number_value();
      value->set_string_value(std::isnan(number) ? "NaN"
                              : number > 0       ? "Infinity"
                                                 : "-Infinity");
    }
  }
  const Reflection* r = message->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(*message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const Descriptor* sub = field->message_type();
    if (field->is_repeated()) {
      for (int i = 0; i < r->FieldSize(*message, field); ++i) {
        Message* item = r->MutableRepeatedMessage(message, field, i);
        FUZZ_CHECK(
            !IsWellKnown(sub) || IsStructType(sub) || PrintableWellKnown(*item),
            "a repeated " + sub->full_name() +
                " protobuf cannot print: the writer writes null");
        Normalize(item, values);
      }
    } else if (IsWellKnown(sub) && !IsStructType(sub) &&
               !PrintableWellKnown(r->GetMessage(*message, field))) {
      r->ClearField(message, field);
    } else {
      Normalize(r->MutableMessage(message, field), values);
    }
  }
}

std::string Describe(const Message& message) {
  return message.GetDescriptor()->full_name() + " " +
         message.ShortDebugString();
}

}  // namespace

// PROTO_JSON_FUZZ_TYPES=1 lists the types by their byte (for writing seeds).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (std::getenv("PROTO_JSON_FUZZ_TYPES") != nullptr) {
    for (size_t i = 0; i < Types().size(); ++i)
      std::printf("%zu %s\n", i, Types()[i]->full_name().c_str());
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const Descriptor* type = Types()[data[0] % Types().size()];
  const bool json_input = data[1] & 1;
  const std::string_view payload = adcp_fuzz::AsText(data + 2, size - 2);

  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  std::unique_ptr<Message> message(prototype->New());
  if (json_input) {
    if (!google::protobuf::util::JsonStringToMessage(std::string(payload),
                                                     message.get())
             .ok())
      return 0;
  } else if (!message->ParseFromArray(payload.data(),
                                      static_cast<int>(payload.size()))) {
    return 0;
  }

  std::string text;
  adcp::AppendProtoJson(*message, &text);
  const nlohmann::json parsed =
      nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!parsed.is_discarded(),
             "AppendProtoJson wrote invalid JSON: " + text);
  const nlohmann::json tree = adcp::ProtoToJson(*message);
  FUZZ_CHECK(tree == parsed, "ProtoToJson differs from AppendProtoJson:\n" +
                                 adcp_fuzz::Show(tree) + "\n" + text);

  std::unique_ptr<Message> back(prototype->New());
  const auto read =
      google::protobuf::util::JsonStringToMessage(text, back.get());
  FUZZ_CHECK(read.ok(), "protobuf cannot read our JSON back (" +
                            read.ToString() + "): " + text);
  std::unique_ptr<Message> expected(message->New());
  expected->CopyFrom(*message);
  int values = 0;
  Normalize(expected.get(), &values);
  std::string difference;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&NanEqual());
  differencer.ReportDifferencesToString(&difference);
  FUZZ_CHECK(differencer.Compare(*expected, *back),
             "round trip changed the message: " + difference + "\nwritten " +
                 text + "\nexpected " + Describe(*expected) + "\nread " +
                 Describe(*back));

  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  std::string theirs;
  if (values == 0 &&
      google::protobuf::util::MessageToJsonString(*message, &theirs, print)
          .ok()) {
    std::unique_ptr<Message> their_back(prototype->New());
    const auto their_read =
        google::protobuf::util::JsonStringToMessage(theirs, their_back.get());
    if (their_read.ok()) {
      google::protobuf::util::MessageDifferencer same;
      same.set_field_comparator(&NanEqual());
      difference.clear();
      same.ReportDifferencesToString(&difference);
      FUZZ_CHECK(same.Compare(*their_back, *back),
                 "protobuf's printer and ours read back differently: " +
                     difference + "\nours   " + text + "\ntheirs " + theirs);
    }
  }

  // The string escaper alone, over the raw payload (any bytes).
  std::string literal;
  adcp::AppendJsonString(payload, &literal);
  FUZZ_CHECK(literal.size() >= payload.size() + 2 && literal.front() == '"' &&
                 literal.back() == '"',
             literal);
  for (unsigned char c : literal)
    FUZZ_CHECK(c >= 0x20, "a control character left unescaped: " + literal);
  const nlohmann::json as_json =
      nlohmann::json::parse(literal, nullptr, /*allow_exceptions=*/false);
  // Invalid UTF-8 stays invalid, by contract; anything else reads back.
  FUZZ_CHECK(as_json.is_discarded() != adcp_fuzz::IsUtf8(payload),
             "AppendJsonString's literal reads back iff the text is UTF-8: " +
                 literal);
  if (!as_json.is_discarded())
    FUZZ_CHECK(as_json.is_string() && as_json.get<std::string>() == payload,
               "AppendJsonString does not read back: " + literal);
  return 0;
}
