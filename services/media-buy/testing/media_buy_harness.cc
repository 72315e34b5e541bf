#include "services/media-buy/testing/media_buy_harness.h"

#include <cstdio>
#include <fstream>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "libs/tenancy/service_channel.h"
#include "services/media-buy/adapters/mock/mock_adapter.h"

#ifndef ADCP_TOOLS_DIR
#error "ADCP_TOOLS_DIR must name tests/adcp-tools"
#endif

namespace adcp::media_buy::testing {
namespace {

constexpr char kNytimesConfig[] = R"({
  "adapters": {"google_ad_manager": {"enabled": true, "network_code": "123456",
                                     "manual_approval_required": false}},
  "features": {"max_daily_budget": 1000000, "enable_aee_signals": true,
               "allow_programmatic_guaranteed": true},
  "creative_engine": {"auto_approve_formats": ["display_300x250", "display_728x90"],
                      "human_review_required": true},
  "publisher_domains": ["nytimes.com"]
})";

constexpr char kLocalnewsConfig[] = R"({
  "adapters": {"kevel": {"enabled": true, "network_id": "789",
                         "manual_approval_required": true}},
  "features": {"max_daily_budget": 10000, "enable_aee_signals": false},
  "creative_engine": {"human_review_required": true}
})";

v1::PricingOption Price(const std::string& id, const std::string& model,
                        std::optional<double> fixed,
                        std::optional<double> floor) {
  v1::PricingOption option;
  option.set_pricing_option_id(id);
  option.set_pricing_model(model);
  option.set_currency("USD");
  if (fixed) option.set_fixed_price(*fixed);
  if (floor) option.set_floor_price(*floor);
  return option;
}

v1::UpsertProductRequest ProductRequest(const std::string& id,
                                        const std::string& name,
                                        const std::string& delivery_type,
                                        std::vector<std::string> formats,
                                        v1::PricingOption price,
                                        std::vector<std::string> allowed = {}) {
  v1::UpsertProductRequest request;
  v1::ProductDefinition* definition = request.mutable_definition();
  v1::Product* product = definition->mutable_product();
  product->set_product_id(id);
  product->set_name(name);
  product->set_description(name + " across the site");
  product->set_delivery_type(delivery_type);
  for (const std::string& format : formats)
    *product->add_format_ids() = MediaBuyHarness::Format(format);
  *product->add_pricing_options() = std::move(price);
  for (const std::string& principal : allowed)
    definition->add_allowed_principal_ids(principal);
  return request;
}

}  // namespace

std::string AdcpJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status =
      google::protobuf::util::MessageToJsonString(message, &json, options);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return json;
}

void SchemaRecorder::Add(const std::string& schema, const std::string& name,
                         const google::protobuf::Message& message) {
  AddJson(schema, name, AdcpJson(message));
}

void SchemaRecorder::AddJson(const std::string& schema, const std::string& name,
                             const std::string& json) {
  nlohmann::json line = {{"schema", schema},
                         {"name", name},
                         {"instance", nlohmann::json::parse(json)}};
  lines_.push_back(line.dump());
}

void SchemaRecorder::ExpectAllValid() {
  ASSERT_FALSE(lines_.empty()) << "nothing recorded to validate";
  char path[] = "/tmp/adcp-schema-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream out(path);
    for (const std::string& line : lines_) out << line << "\n";
  }
  const std::string command = absl::StrCat("node '", ADCP_TOOLS_DIR,
                                           "/validate.mjs' '", path, "' 2>&1");
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    output.append(buffer, n);
  const int rc = pclose(pipe);
  std::remove(path);
  EXPECT_EQ(rc, 0) << "AdCP schema validation failed:\n" << output;
  EXPECT_NE(output.find(absl::StrCat(lines_.size(), " of ", lines_.size(),
                                     " payloads valid")),
            std::string::npos)
      << output;
  lines_.clear();
}

absl::Time MediaBuyHarness::Epoch() {
  return absl::FromCivil(absl::CivilSecond(2027, 3, 1, 0, 0, 0),
                         absl::UTCTimeZone());
}

v1::FormatId MediaBuyHarness::Format(const std::string& id) {
  v1::FormatId format;
  format.set_agent_url(kStandardFormatAgent);
  format.set_id(id);
  return format;
}

std::string MediaBuyHarness::Key(const std::string& label) {
  return absl::StrCat(label, "-", RandomHex(12));
}

void MediaBuyHarness::SetUp() {
  SetNow(Epoch());
  auto suite = adcp::testing::Suite::Start(
      {.media_buy_clock = [this] { return now(); },
       .configure_media_buy =
           [this](MediaBuyConfig& config) { ConfigureMediaBuy(config); },
       .through_pgbouncer = ThroughPgBouncer(),
       .replicas = Replicas()});
  ASSERT_TRUE(suite.ok()) << suite.status();
  suite_ = *std::move(suite);
  ASSERT_TRUE(suite_->CreateTenant("nytimes", kNytimesConfig).ok());
  ASSERT_TRUE(suite_->CreateTenant("localnews", kLocalnewsConfig).ok());
  for (const auto& [name, tenant, principal] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"nyt_admin", "nytimes", "nytimes_admin"},
           {"nyt_a", "nytimes", "buyer_a"},
           {"nyt_b", "nytimes", "buyer_b"},
           {"local_admin", "localnews", "localnews_admin"},
           {"local_a", "localnews", "buyer_a"}}) {
    auto issued = suite_->CreatePrincipal(tenant, principal);
    ASSERT_TRUE(issued.ok()) << issued.status();
    tokens_[name] = issued->access_token();
  }

  stub_ = v1::MediaBuyService::NewStub(MakeServiceChannel(
      suite_->media_buy_address(), suite_->internal_token()));

  for (const auto& [tenant, admin, request] : std::vector<
           std::tuple<std::string, std::string, v1::UpsertProductRequest>>{
           {"nytimes", "nyt_admin",
            ProductRequest("nyt_display", "Homepage display", "guaranteed",
                           {"display_300x250", "display_728x90"},
                           Price("cpm_usd_fixed", "cpm", 25.0, std::nullopt))},
           {"nytimes", "nyt_admin",
            ProductRequest(
                "nyt_video", "Video pre-roll", "non_guaranteed",
                {"video_30s", "video_15s"},
                Price("cpm_usd_auction", "cpm", std::nullopt, 10.0))},
           {"nytimes", "nyt_admin",
            ProductRequest("nyt_private", "Private sponsorship", "guaranteed",
                           {"display_970x250"},
                           Price("flat_usd", "flat_rate", 5000.0, std::nullopt),
                           {"buyer_a"})},
           {"localnews", "local_admin",
            ProductRequest(
                "local_display", "Local display", "guaranteed",
                {"display_300x250"},
                Price("cpm_usd_fixed", "cpm", 8.0, std::nullopt))}}) {
    auto upserted = Call(&Stub::UpsertProduct, tenant, tokens_[admin], request);
    ASSERT_TRUE(upserted.ok()) << upserted.status.error_message();
  }
}

void MediaBuyHarness::TearDown() {
  // Whatever a test recorded and did not check yet is checked now.
  if (schemas_.size() > 0) schemas_.ExpectAllValid();
  stub_.reset();
  suite_.reset();
}

v1::UpdateMediaBuyRequest MediaBuyHarness::UpdateRequest(
    const std::string& media_buy_id) {
  v1::UpdateMediaBuyRequest request;
  request.set_idempotency_key(Key("upd"));
  request.set_media_buy_id(media_buy_id);
  request.mutable_account()->mutable_brand()->set_domain("acme.example");
  request.mutable_account()->set_operator_("agency.example");
  return request;
}

v1::SyncCreativesRequest MediaBuyHarness::Sync(
    std::vector<v1::CreativeAsset> creatives) {
  v1::SyncCreativesRequest request;
  request.set_idempotency_key(Key("sync"));
  request.mutable_account()->mutable_brand()->set_domain("acme.example");
  request.mutable_account()->set_operator_("agency.example");
  for (auto& creative : creatives) *request.add_creatives() = creative;
  return request;
}

void MediaBuyHarness::Assign(v1::SyncCreativesRequest& request,
                             const std::string& creative_id,
                             const std::string& package_id) {
  google::protobuf::Struct* assignment = request.add_assignments();
  (*assignment->mutable_fields())["creative_id"].set_string_value(creative_id);
  (*assignment->mutable_fields())["package_id"].set_string_value(package_id);
}

v1::CreateMediaBuyRequest MediaBuyHarness::BuyRequest(
    const std::string& key, const std::string& product_id, double budget,
    absl::Time start, absl::Time end, int packages) const {
  v1::CreateMediaBuyRequest request;
  request.set_idempotency_key(key);
  request.mutable_account()->mutable_brand()->set_domain("acme.example");
  request.mutable_account()->set_operator_("agency.example");
  request.mutable_brand()->set_domain("acme.example");
  request.set_start_time(
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", start, absl::UTCTimeZone()));
  request.set_end_time(
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", end, absl::UTCTimeZone()));
  for (int i = 0; i < packages; ++i) {
    v1::PackageRequest* package = request.add_packages();
    package->set_product_id(product_id);
    package->set_pricing_option_id(product_id == "nyt_video" ? "cpm_usd_auction"
                                   : product_id == "nyt_private"
                                       ? "flat_usd"
                                       : "cpm_usd_fixed");
    if (product_id == "nyt_video") package->set_bid_price(12.0);
    package->set_budget(budget);
  }
  return request;
}

v1::CreateMediaBuyResponse MediaBuyHarness::MustCreate(
    const std::string& tenant, const std::string& token,
    const v1::CreateMediaBuyRequest& request) {
  auto created = Call(&Stub::CreateMediaBuy, tenant, token, request);
  EXPECT_TRUE(created.ok())
      << created.status.error_message() << " " << created.error.field();
  return created.response;
}

v1::MediaBuy MediaBuyHarness::MustGetBuy(const std::string& tenant,
                                         const std::string& token,
                                         const std::string& media_buy_id) {
  v1::GetMediaBuysRequest request;
  request.add_media_buy_ids(media_buy_id);
  auto got = Call(&Stub::GetMediaBuys, tenant, token, request);
  EXPECT_TRUE(got.ok()) << got.status.error_message();
  schemas_.Add("media-buy/get-media-buys-request.json", "by id", request);
  schemas_.Add("media-buy/get-media-buys-response.json", "buy " + media_buy_id,
               got.response);
  if (!got.ok() || got.response.media_buys_size() != 1) return {};
  return got.response.media_buys(0);
}

int64_t MediaBuyHarness::Count(const std::string& sql) {
  return std::stoll(Scalar(sql));
}

std::string MediaBuyHarness::Scalar(const std::string& sql) {
  pqxx::connection connection(suite_->db().SuperuserUrl());
  pqxx::work txn(connection);
  auto row = txn.exec1(sql);
  return row[0].is_null() ? "" : row[0].as<std::string>();
}

void MediaBuyHarness::Exec(const std::string& sql) {
  pqxx::connection connection(suite_->db().SuperuserUrl());
  pqxx::work txn(connection);
  txn.exec0(sql);
  txn.commit();
}

std::string MediaBuyHarness::DataProbe() {
  std::string sql = "SELECT md5(''";
  for (const char* table : {"products", "accounts", "media_buys", "packages",
                            "creatives", "creative_assignments", "human_tasks",
                            "idempotency_keys", "performance_feedback"}) {
    absl::StrAppend(&sql,
                    " || '#' || COALESCE((SELECT string_agg(t::text, "
                    "'|' ORDER BY t::text) FROM ",
                    table, " t), '')");
  }
  sql += ")";
  return Scalar(sql);
}

}  // namespace adcp::media_buy::testing
