// The media-buy tasks over real gRPC against a throwaway PostgreSQL, with the
// registry and auth beside them (MediaBuyTest,
// testing/media_buy_test_fixture.h): get_adcp_capabilities, get_products (with
// refine), list_creative_formats and product upserts.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/media-buy/testing/media_buy_test_fixture.h"

namespace adcp::media_buy::testing {
namespace {

TEST_F(MediaBuyTest, CapabilitiesNameVersionFeaturesAndTheTenantsPortfolio) {
  v1::GetAdcpCapabilitiesRequest request;
  schemas_.Add("protocol/get-adcp-capabilities-request.json", "request",
               request);
  auto nyt = Call(&Stub::GetAdcpCapabilities, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(nyt.ok()) << nyt.status.error_message();
  const nlohmann::json json = nlohmann::json::parse(AdcpJson(nyt.response));
  EXPECT_EQ(json["adcp"]["major_versions"], nlohmann::json::array({3}));
  EXPECT_EQ(json["adcp"]["idempotency"]["supported"], true);
  EXPECT_EQ(json["supported_protocols"], nlohmann::json::array({"media_buy"}));
  EXPECT_EQ(json["media_buy"]["features"]["inline_creative_management"], true);
  EXPECT_EQ(json["media_buy"]["portfolio"]["publisher_domains"],
            nlohmann::json::array({"nytimes.com"}));
  schemas_.Add("protocol/get-adcp-capabilities-response.json", "nytimes",
               nyt.response);

  auto local =
      Call(&Stub::GetAdcpCapabilities, kLocal, tokens_["local_a"], request);
  ASSERT_TRUE(local.ok());
  const nlohmann::json local_json =
      nlohmann::json::parse(AdcpJson(local.response));
  EXPECT_EQ(local_json["media_buy"]["portfolio"]["publisher_domains"],
            nlohmann::json::array({"localnews.sales-agent.example.com"}));
  schemas_.Add("protocol/get-adcp-capabilities-response.json", "localnews",
               local.response);

  request.set_adcp_major_version(2);
  auto old = Call(&Stub::GetAdcpCapabilities, kNyt, tokens_["nyt_a"], request);
  ExpectError(old, "VERSION_UNSUPPORTED", "adcp_major_version", "version 2");
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, ProductsAreTheTenantsOwnAndRestrictedOnesAreHidden) {
  auto products = [&](const std::string& tenant, const std::string& token) {
    v1::GetProductsRequest request;
    request.set_buying_mode("wholesale");
    auto got = Call(&Stub::GetProducts, tenant, token, request);
    EXPECT_TRUE(got.ok()) << got.status.error_message();
    schemas_.Add("media-buy/get-products-request.json", "wholesale", request);
    schemas_.Add("media-buy/get-products-response.json", tenant + " products",
                 got.response);
    std::set<std::string> ids;
    for (const auto& product : got.response.products())
      ids.insert(product.product_id());
    return ids;
  };
  EXPECT_EQ(products(kNyt, tokens_["nyt_a"]),
            (std::set<std::string>{"nyt_display", "nyt_private", "nyt_video"}));
  EXPECT_EQ(products(kNyt, tokens_["nyt_b"]),
            (std::set<std::string>{"nyt_display", "nyt_video"}));
  EXPECT_EQ(products(kLocal, tokens_["local_a"]),
            (std::set<std::string>{"local_display"}));

  // A brief ranks the matching product first and says why.
  v1::GetProductsRequest brief;
  brief.set_buying_mode("brief");
  brief.set_brief("video pre-roll for a sneaker launch");
  auto ranked = Call(&Stub::GetProducts, kNyt, tokens_["nyt_b"], brief);
  ASSERT_TRUE(ranked.ok());
  ASSERT_GE(ranked.response.products_size(), 1);
  EXPECT_EQ(ranked.response.products(0).product_id(), "nyt_video");
  EXPECT_FALSE(ranked.response.products(0).brief_relevance().empty());
  const auto& price = ranked.response.products(0).pricing_options(0);
  EXPECT_EQ(price.pricing_model(), "cpm");
  EXPECT_DOUBLE_EQ(price.floor_price(), 10.0);
  schemas_.Add("media-buy/get-products-response.json", "brief",
               ranked.response);
  // Products go into answers as cached encodings: what arrives decodes to
  // whole products, with the other fields of the answer beside them.
  brief.mutable_pagination()->set_max_results(1);
  auto first = Call(&Stub::GetProducts, kNyt, tokens_["nyt_b"], brief);
  ASSERT_TRUE(first.ok()) << first.status.error_message();
  ASSERT_EQ(first.response.products_size(), 1);
  EXPECT_EQ(first.response.products(0).product_id(), "nyt_video");
  EXPECT_EQ(first.response.products(0).brief_relevance(),
            ranked.response.products(0).brief_relevance());
  EXPECT_TRUE(first.response.pagination().has_more());
  EXPECT_EQ(first.response.products(0).reporting_capabilities().DebugString(),
            ranked.response.products(0).reporting_capabilities().DebugString());

  // Bad requests name the field.
  v1::GetProductsRequest bad;
  ExpectError(Call(&Stub::GetProducts, kNyt, tokens_["nyt_a"], bad),
              "VALIDATION_ERROR", "buying_mode", "no buying_mode");
  bad.set_buying_mode("brief");
  ExpectError(Call(&Stub::GetProducts, kNyt, tokens_["nyt_a"], bad),
              "VALIDATION_ERROR", "brief", "brief mode without a brief");
  bad.set_buying_mode("auction");
  ExpectError(Call(&Stub::GetProducts, kNyt, tokens_["nyt_a"], bad),
              "VALIDATION_ERROR", "buying_mode", "unknown mode");
  bad.set_buying_mode("wholesale");
  bad.mutable_pagination()->set_max_results(0);
  ExpectError(Call(&Stub::GetProducts, kNyt, tokens_["nyt_a"], bad),
              "VALIDATION_ERROR", "pagination.max_results", "page of 0");
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, ProductsComeFromMemoryUntilAChangeIsAnnounced) {
  ProductCache& cache = suite_->media_buy_server().products();
  ASSERT_TRUE(cache.WaitUntilListening(absl::Seconds(10)));
  v1::GetProductsRequest request;
  request.set_buying_mode("wholesale");
  auto names = [&](const std::string& token) {
    auto got = Call(&Stub::GetProducts, kNyt, token, request);
    EXPECT_TRUE(got.ok()) << got.status.error_message();
    std::map<std::string, std::string> out;
    for (const auto& product : got.response.products())
      out[product.product_id()] = product.name();
    return out;
  };
  names(tokens_["nyt_a"]);
  const uint64_t reads = cache.database_reads();
  // Steady state: other principals of the tenant, again and again, and no
  // read; the per-principal visibility still holds.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(names(tokens_["nyt_a"]).count("nyt_private"), 1u);
    EXPECT_EQ(names(tokens_["nyt_b"]).count("nyt_private"), 0u);
  }
  EXPECT_EQ(cache.database_reads(), reads);

  // The tenant admin's change is read back at once from this replica.
  auto listed = Call(&Stub::GetProducts, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(listed.ok());
  v1::UpsertProductRequest upsert;
  for (const auto& product : listed.response.products()) {
    if (product.product_id() == "nyt_video")
      *upsert.mutable_definition()->mutable_product() = product;
  }
  upsert.mutable_definition()->mutable_product()->set_name("Video, renamed");
  upsert.mutable_definition()->set_is_active(true);
  auto upserted =
      Call(&Stub::UpsertProduct, kNyt, tokens_["nyt_admin"], upsert);
  ASSERT_TRUE(upserted.ok()) << upserted.status.error_message();
  EXPECT_EQ(names(tokens_["nyt_b"])["nyt_video"], "Video, renamed");

  // A change written by another replica (here: SQL) reaches this one by the
  // trigger's notification.
  Exec(
      "UPDATE products SET name = 'Renamed elsewhere' WHERE tenant_id = "
      "'nytimes' AND product_id = 'nyt_display'");
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (names(tokens_["nyt_a"])["nyt_display"] != "Renamed elsewhere" &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(names(tokens_["nyt_a"])["nyt_display"], "Renamed elsewhere");
  Exec(
      "UPDATE products SET allowed_principal_ids = NULL WHERE tenant_id = "
      "'nytimes' AND product_id = 'nyt_private'");
  const absl::Time deadline2 = absl::Now() + absl::Seconds(5);
  while (names(tokens_["nyt_b"]).count("nyt_private") == 0 &&
         absl::Now() < deadline2) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(names(tokens_["nyt_b"]).count("nyt_private"), 1u);
  // An empty list (not NULL) lets no principal see the product, as in SQL.
  Exec(
      "UPDATE products SET allowed_principal_ids = '{}' WHERE tenant_id = "
      "'nytimes' AND product_id = 'nyt_display'");
  const absl::Time deadline3 = absl::Now() + absl::Seconds(5);
  while (names(tokens_["nyt_a"]).count("nyt_display") == 1 &&
         absl::Now() < deadline3) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(names(tokens_["nyt_a"]).count("nyt_display"), 0u);
  EXPECT_EQ(names(tokens_["nyt_b"]).count("nyt_display"), 0u);
  // The other tenant's entry was not dropped by nytimes's changes.
  const uint64_t before_local = cache.database_reads();
  auto local = Call(&Stub::GetProducts, kLocal, tokens_["local_a"], request);
  ASSERT_TRUE(local.ok());
  const uint64_t after_first_local = cache.database_reads();
  local = Call(&Stub::GetProducts, kLocal, tokens_["local_a"], request);
  ASSERT_TRUE(local.ok());
  EXPECT_LE(after_first_local - before_local, 1u);
  EXPECT_EQ(cache.database_reads(), after_first_local);
}

TEST_F(MediaBuyTest, CreativeFormatsAreListedAndFiltered) {
  v1::ListCreativeFormatsRequest request;
  auto all = Call(&Stub::ListCreativeFormats, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(all.ok());
  EXPECT_GE(all.response.formats_size(), 7);
  schemas_.Add("media-buy/list-creative-formats-response.json", "all",
               all.response);
  request.set_name_search("video");
  auto video =
      Call(&Stub::ListCreativeFormats, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(video.ok());
  EXPECT_EQ(video.response.formats_size(), 2);
  for (const auto& format : video.response.formats())
    EXPECT_TRUE(absl::StartsWith(format.format_id().id(), "video_"));
  schemas_.Add("media-buy/list-creative-formats-request.json", "by name",
               request);
  schemas_.Add("media-buy/list-creative-formats-response.json", "video",
               video.response);
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, OnlyTheTenantAdminManagesProducts) {
  v1::UpsertProductRequest request;
  request.mutable_definition()->mutable_product()->set_product_id("sneaky");
  auto refused = Call(&Stub::UpsertProduct, kNyt, tokens_["nyt_a"], request);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  auto invalid =
      Call(&Stub::UpsertProduct, kNyt, tokens_["nyt_admin"], request);
  ExpectError(invalid, "VALIDATION_ERROR", "product.name", "no name");
  EXPECT_EQ(Count("SELECT count(*) FROM products WHERE product_id = 'sneaky'"),
            0);
}

TEST_F(MediaBuyTest, RefineAppliesEachChangeRequestAndSaysHow) {
  v1::GetProductsRequest request;
  request.set_buying_mode("refine");
  auto entry = [&](const std::string& json) {
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(json, request.add_refine())
            .ok());
  };
  entry(R"({"scope":"request","ask":"Only guaranteed packages, 80% VCR SLA"})");
  entry(R"({"scope":"product","product_id":"nyt_video","action":"include"})");
  entry(R"({"scope":"product","product_id":"nyt_display","action":"omit"})");
  entry(R"({"scope":"product","product_id":"local_display"})");
  entry(R"({"scope":"proposal","proposal_id":"p1"})");
  schemas_.Add("media-buy/get-products-request.json", "refine", request);
  auto refined = Call(&Stub::GetProducts, kNyt, tokens_["nyt_b"], request);
  ASSERT_TRUE(refined.ok()) << refined.status.error_message();
  schemas_.Add("media-buy/get-products-response.json", "refined",
               refined.response);
  std::set<std::string> ids;
  for (const auto& product : refined.response.products())
    ids.insert(product.product_id());
  // Guaranteed only (display), then video put back, then display omitted.
  EXPECT_EQ(ids, std::set<std::string>{"nyt_video"});
  ASSERT_EQ(refined.response.refinement_applied_size(), 5);
  const nlohmann::json applied =
      nlohmann::json::parse(AdcpJson(refined.response))["refinement_applied"];
  EXPECT_EQ(applied[0]["status"], "partial");
  EXPECT_EQ(applied[1]["status"], "applied");
  EXPECT_EQ(applied[2]["status"], "applied");
  EXPECT_EQ(applied[3]["status"], "unable");  // another tenant's product
  EXPECT_EQ(applied[4]["status"], "unable");
  v1::GetProductsRequest empty;
  empty.set_buying_mode("refine");
  ExpectError(Call(&Stub::GetProducts, kNyt, tokens_["nyt_b"], empty),
              "VALIDATION_ERROR", "refine", "refine without entries");
  schemas_.ExpectAllValid();
}

}  // namespace
}  // namespace adcp::media_buy::testing
