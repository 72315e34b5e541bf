// AppendProtoJson and ProtoToJson write what protobuf's JSON printer writes
// (proto field names, default presence), for the messages the edge answers
// with.
#include "libs/json/proto_json.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "adcp/media_buy/v1/media_buy.pb.h"
#include "adcp/tenant/v1/tenant_registry.pb.h"

namespace adcp::agent_edge {
namespace {

namespace pb = adcp::media_buy::v1;

// The message's text as AppendProtoJson writes it, read back as a tree.
nlohmann::json ByText(const google::protobuf::Message& message) {
  std::string text;
  AppendProtoJson(message, &text);
  return nlohmann::json::parse(text);
}

std::string ByPrinter(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  std::string text;
  EXPECT_TRUE(
      google::protobuf::util::MessageToJsonString(message, &text, print).ok());
  return nlohmann::json::parse(text).dump();
}

google::protobuf::Struct StructOf(const std::string& json) {
  google::protobuf::Struct out;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &out).ok());
  return out;
}

TEST(ProtoJsonTest, WritesWhatProtobufsPrinterWrites) {
  pb::GetProductsResponse products;
  pb::Product* product = products.add_products();
  product->set_product_id("p1");
  product->set_name("Display \"quoted\" \\ and ünïcode");
  product->add_channels("display");
  product->add_channels("olv");
  *product->add_publisher_properties() = StructOf(
      R"({"selection_type":"all","publisher_domain":"a.example",
          "tags":[1, 2.5, -3, 1e20, true, null, {"x": []}]})");
  *product->mutable_reporting_capabilities() = StructOf(R"({})");
  pb::PricingOption* option = product->add_pricing_options();
  option->set_pricing_option_id("cpm_usd_fixed");
  option->set_fixed_price(10);
  option->set_floor_price(0);  // optional: set to zero is still printed
  option->set_min_spend_per_package(0.1);
  product->add_format_ids()->set_id("display_300x250");
  products.add_products();  // an empty product
  products.mutable_pagination()->set_has_more(false);
  EXPECT_EQ(ProtoToJson(products).dump(), ByPrinter(products));
  EXPECT_EQ(ByText(products).dump(), ByPrinter(products));

  pb::CreateMediaBuyResponse created;
  created.set_media_buy_id("mb_1");
  created.set_revision(0);  // optional int32 zero
  created.add_packages()->set_budget(1234.5);
  EXPECT_EQ(ProtoToJson(created).dump(), ByPrinter(created));
  EXPECT_EQ(ByText(created).dump(), ByPrinter(created));

  pb::GetProductsResponse empty;
  EXPECT_EQ(ProtoToJson(empty).dump(), ByPrinter(empty));
  EXPECT_EQ(ProtoToJson(empty).dump(), "{}");
  std::string text;
  AppendProtoJson(empty, &text);
  EXPECT_EQ(text, "{}");
}

TEST(ProtoJsonTest, OtherWellKnownTypesAsProtobufWritesThem) {
  adcp::tenant::v1::Tenant tenant;
  tenant.set_tenant_id("t1");
  tenant.mutable_created_at()->set_seconds(1764000000);
  tenant.mutable_created_at()->set_nanos(5000000);
  tenant.mutable_config()->mutable_features()->set_max_daily_budget(250);
  const nlohmann::json printed = nlohmann::json::parse(ByPrinter(tenant));
  EXPECT_EQ(printed["created_at"], "2025-11-24T16:00:00.005Z");
  EXPECT_EQ(ByText(tenant), printed);
  EXPECT_EQ(ProtoToJson(tenant), printed);
}

TEST(ProtoJsonTest, MapsAreObjects) {
  adcp::tenant::v1::DeleteTenantResponse deleted;
  (*deleted.mutable_deleted_rows())["tenants"] = 1;
  (*deleted.mutable_deleted_rows())["media_buys \"x\""] = 1234567890123;
  EXPECT_EQ(ByText(deleted).dump(), ByPrinter(deleted));
  EXPECT_EQ(ProtoToJson(deleted).dump(), ByPrinter(deleted));
}

TEST(ProtoJsonTest, NumbersReadBackAsTheSameDouble) {
  for (double value : {0.1, -2.5e-7, 1e15, 123456789.123, 1e300}) {
    google::protobuf::Value number;
    number.set_number_value(value);
    std::string text;
    AppendProtoJson(number, &text);
    EXPECT_EQ(nlohmann::json::parse(text).get<double>(), value) << text;
  }
  google::protobuf::Value integral;
  integral.set_number_value(42);
  std::string text;
  AppendProtoJson(integral, &text);
  EXPECT_EQ(text, "42");
}

TEST(ProtoJsonTest, StringsAreEscapedAsJson) {
  const std::string raw =
      std::string("q\"b\\s/\b\f\n\r\t") + '\x01' + '\x1f' + "\xc3\xbc\x7f";
  std::string text;
  AppendJsonString(raw, &text);
  EXPECT_EQ(text, R"("q\"b\\s/\b\f\n\r\t\u0001\u001f)"
                  "\xc3\xbc\x7f\"");
  EXPECT_EQ(nlohmann::json::parse(text).get<std::string>(), raw);
  // The same text nlohmann's serializer writes.
  EXPECT_EQ(text, nlohmann::json(raw).dump());
  text.clear();
  AppendJsonString("", &text);
  EXPECT_EQ(text, R"("")");
}

}  // namespace
}  // namespace adcp::agent_edge
