// ProtoToJson writes what protobuf's JSON printer writes (proto field names,
// default presence), for the messages the edge answers with.
#include "adcp/common/proto_json.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "adcp/media_buy/v1/media_buy.pb.h"

namespace adcp::agent_edge {
namespace {

namespace pb = adcp::media_buy::v1;

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

  pb::CreateMediaBuyResponse created;
  created.set_media_buy_id("mb_1");
  created.set_revision(0);  // optional int32 zero
  created.add_packages()->set_budget(1234.5);
  EXPECT_EQ(ProtoToJson(created).dump(), ByPrinter(created));

  pb::GetProductsResponse empty;
  EXPECT_EQ(ProtoToJson(empty).dump(), ByPrinter(empty));
  EXPECT_EQ(ProtoToJson(empty).dump(), "{}");
}

}  // namespace
}  // namespace adcp::agent_edge
