// The media-buy tasks over real gRPC against a throwaway PostgreSQL, with the
// registry and auth beside them, for the seed's two example tenants. Every
// payload a test sends or receives is also checked against the AdCP 3.0 JSON
// schemas of @adcp/sdk.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/media-buy/testing/media_buy_harness.h"

namespace adcp::media_buy::testing {
namespace {

constexpr char kNyt[] = "nytimes";
constexpr char kLocal[] = "localnews";

class MediaBuyTest : public MediaBuyHarness {
 protected:
  absl::Time Day(int n) const { return Epoch() + absl::Hours(24 * n); }

  // A live nytimes buy of buyer_a: two display packages of 10,000 USD over
  // days 1-11.
  v1::CreateMediaBuyResponse NytBuy(const std::string& token = "") {
    return MustCreate(
        kNyt, token.empty() ? tokens_["nyt_a"] : token,
        BuyRequest(Key("nyt-buy"), "nyt_display", 10000, Day(1), Day(11), 2));
  }

  // A creative of a format, for sync_creatives.
  static v1::CreativeAsset Creative(const std::string& id,
                                    const std::string& format) {
    v1::CreativeAsset creative;
    creative.set_creative_id(id);
    creative.set_name("Creative " + id);
    *creative.mutable_format_id() = Format(format);
    google::protobuf::Struct asset;
    (*asset.mutable_fields())["asset_type"].set_string_value("image");
    (*asset.mutable_fields())["url"].set_string_value(
        "https://cdn.acme.example/" + id + ".png");
    (*asset.mutable_fields())["width"].set_number_value(300);
    (*asset.mutable_fields())["height"].set_number_value(250);
    (*creative.mutable_assets()->mutable_fields())["image"]
        .mutable_struct_value()
        ->Swap(&asset);
    return creative;
  }

  template <typename R>
  void ExpectError(const Outcome<R>& outcome, const std::string& code,
                   const std::string& field, const std::string& what) {
    EXPECT_FALSE(outcome.ok()) << what;
    EXPECT_EQ(outcome.error.code(), code)
        << what << ": " << outcome.status.error_message();
    EXPECT_EQ(outcome.error.field(), field) << what;
    if (!field.empty()) {
      EXPECT_TRUE(absl::StrContains(outcome.error.message(), field))
          << what << ": the message does not name the field: "
          << outcome.error.message();
    }
    EXPECT_FALSE(outcome.error.recovery().empty()) << what;
    for (const char* tenant : {kNyt, kLocal}) {
      EXPECT_FALSE(absl::StrContains(outcome.status.error_message(), tenant))
          << what << " names a tenant: " << outcome.status.error_message();
    }
  }

  // The error as the AdCP error arm of a response schema.
  void RecordError(const std::string& schema, const v1::Error& error) {
    schemas_.AddJson(schema, "error " + error.code(),
                     absl::StrCat(R"({"errors":[)", AdcpJson(error), "]}"));
  }
};

// ------------------------------------------------------------ discovery --

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

TEST_F(MediaBuyTest, AccountsComeFromMemoryUntilAChangeIsAnnounced) {
  AccountCache& cache = suite_->media_buy_server().accounts();
  ASSERT_TRUE(cache.WaitUntilListening(absl::Seconds(10)));
  const auto first = NytBuy();  // opens the account (brand and operator)
  const std::string account = Scalar(
      "SELECT account_id FROM accounts WHERE tenant_id = 'nytimes' AND "
      "principal_id = 'buyer_a'");
  ASSERT_FALSE(account.empty());
  // The account's INSERT announced a change; once read again, the tenant's
  // accounts stay in memory: more buys, by natural key and by id, and no
  // read.
  const absl::Time settle = absl::Now() + absl::Seconds(5);
  uint64_t reads = cache.database_reads();
  do {
    reads = cache.database_reads();
    NytBuy();
    absl::SleepFor(absl::Milliseconds(50));
  } while (cache.database_reads() != reads && absl::Now() < settle);
  reads = cache.database_reads();
  for (int i = 0; i < 3; ++i) {
    NytBuy();
    v1::CreateMediaBuyRequest by_id =
        BuyRequest(Key("by-id"), "nyt_display", 10000, Day(1), Day(11), 1);
    by_id.mutable_account()->Clear();
    by_id.mutable_account()->set_account_id(account);
    EXPECT_EQ(MustCreate(kNyt, tokens_["nyt_a"], by_id).status(),
              first.status());
  }
  EXPECT_EQ(cache.database_reads(), reads);
  // Another buyer naming that account id is told it does not exist, cached
  // or not.
  v1::CreateMediaBuyRequest stolen =
      BuyRequest(Key("stolen"), "nyt_display", 10000, Day(1), Day(11), 1);
  stolen.mutable_account()->Clear();
  stolen.mutable_account()->set_account_id(account);
  auto refused = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_b"], stolen);
  EXPECT_EQ(refused.error.code(), "ACCOUNT_NOT_FOUND");

  // The answer came from memory: with the trigger off, a status written by
  // SQL goes unseen, by natural key and by id.
  const std::string suspend =
      "UPDATE accounts SET status = 'suspended' WHERE tenant_id = 'nytimes' "
      "AND account_id = '" +
      account + "'";
  Exec("ALTER TABLE accounts DISABLE TRIGGER accounts_notify");
  Exec(suspend);
  NytBuy();
  v1::CreateMediaBuyRequest by_id =
      BuyRequest(Key("by-id"), "nyt_display", 10000, Day(1), Day(11), 1);
  by_id.mutable_account()->Clear();
  by_id.mutable_account()->set_account_id(account);
  MustCreate(kNyt, tokens_["nyt_a"], by_id);
  EXPECT_EQ(cache.database_reads(), reads);
  Exec("ALTER TABLE accounts ENABLE TRIGGER accounts_notify");

  // A status written by another replica (here: SQL) reaches this one by the
  // trigger's notification: the next buy is refused.
  Exec(suspend);
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  std::string code;
  while (absl::Now() < deadline) {
    auto tried = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"],
                      BuyRequest(Key("after-suspend"), "nyt_display", 10000,
                                 Day(1), Day(11), 1));
    code = tried.error.code();
    if (!tried.ok()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(code, "ACCOUNT_SUSPENDED");
  EXPECT_GT(cache.database_reads(), reads);
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

// ----------------------------------------------------------- media buys --

TEST_F(MediaBuyTest, NytimesBuyGoesStraightToTheAdServer) {
  v1::CreateMediaBuyRequest request =
      BuyRequest(Key("nyt"), "nyt_display", 10000, Day(1), Day(11), 2);
  (*request.mutable_context()->mutable_fields())["trace"].set_string_value(
      "t-1");
  schemas_.Add("media-buy/create-media-buy-request.json", "request", request);
  auto created = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(created.ok()) << created.status.error_message();
  const auto& response = created.response;
  schemas_.Add("media-buy/create-media-buy-response.json", "created", response);
  ASSERT_FALSE(response.media_buy_id().empty());
  EXPECT_TRUE(response.task_id().empty());
  EXPECT_EQ(response.status(), "pending_creatives");
  ASSERT_EQ(response.packages_size(), 2);
  EXPECT_EQ(response.context().fields().at("trace").string_value(), "t-1");
  const std::string id = response.media_buy_id();
  EXPECT_EQ(Scalar("SELECT adapter_order_id FROM media_buys WHERE media_buy_id "
                   "= '" +
                   id + "'"),
            "mock-order-" + id);
  EXPECT_EQ(Scalar("SELECT adapter FROM media_buys WHERE media_buy_id = '" +
                   id + "'"),
            "google_ad_manager");
  EXPECT_EQ(Scalar("SELECT total_budget::text FROM media_buys WHERE "
                   "media_buy_id = '" +
                   id + "'"),
            "20000.000000");
  EXPECT_EQ(Count("SELECT count(*) FROM packages WHERE tenant_id = 'nytimes' "
                  "AND media_buy_id = '" +
                  id +
                  "' AND adapter_line_id LIKE "
                  "'mock-line-%'"),
            2);
  EXPECT_EQ(Count("SELECT count(*) FROM human_tasks"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE tenant_id = 'nytimes' "
                  "AND operation = 'create_media_buy' AND principal_id = "
                  "'buyer_a' AND success AND details->>'media_buy_id' = '" +
                  id + "'"),
            1);

  const v1::MediaBuy buy = MustGetBuy(kNyt, tokens_["nyt_a"], id);
  EXPECT_EQ(buy.status(), "pending_creatives");
  EXPECT_EQ(buy.revision(), 1);
  EXPECT_DOUBLE_EQ(buy.total_budget(), 20000);
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, LocalnewsBuyWaitsForAPersonThenGoesLive) {
  v1::CreateMediaBuyRequest request =
      BuyRequest(Key("local"), "local_display", 5000, Day(1), Day(11));
  auto submitted =
      Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"], request);
  ASSERT_TRUE(submitted.ok()) << submitted.status.error_message();
  EXPECT_EQ(submitted.response.status(), "submitted");
  EXPECT_TRUE(submitted.response.media_buy_id().empty());
  const std::string task_id = submitted.response.task_id();
  ASSERT_FALSE(task_id.empty());
  schemas_.Add("media-buy/create-media-buy-response.json", "submitted",
               submitted.response);
  EXPECT_EQ(Count("SELECT count(*) FROM media_buys WHERE tenant_id = "
                  "'localnews' AND status = 'pending_approval' AND "
                  "adapter_order_id IS NULL AND adapter = 'kevel'"),
            1);

  // The buyer sees its task and the buy it is about.
  v1::GetHumanTaskRequest get;
  get.set_task_id(task_id);
  auto task = Call(&Stub::GetHumanTask, kLocal, tokens_["local_a"], get);
  ASSERT_TRUE(task.ok()) << task.status.error_message();
  EXPECT_EQ(task.response.task_type(), "media_buy_approval");
  EXPECT_EQ(task.response.status(), "pending");
  const std::string media_buy_id = task.response.media_buy_id();
  ASSERT_FALSE(media_buy_id.empty());
  const v1::MediaBuy waiting =
      MustGetBuy(kLocal, tokens_["local_a"], media_buy_id);
  EXPECT_EQ(waiting.status(), "pending_start");
  EXPECT_EQ(std::count(waiting.valid_actions().begin(),
                       waiting.valid_actions().end(), "pause"),
            0);
  v1::ListHumanTasksRequest pending;
  pending.set_status("pending");
  auto listed =
      Call(&Stub::ListHumanTasks, kLocal, tokens_["local_a"], pending);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed.response.tasks_size(), 1);
  EXPECT_EQ(listed.response.tasks(0).task_id(), task_id);

  // A buyer cannot approve; the tenant admin can, which runs the adapter.
  v1::ResolveHumanTaskRequest approve;
  approve.set_task_id(task_id);
  EXPECT_EQ(Call(&Stub::ApproveHumanTask, kLocal, tokens_["local_a"], approve)
                .status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto approved =
      Call(&Stub::ApproveHumanTask, kLocal, tokens_["local_admin"], approve);
  ASSERT_TRUE(approved.ok()) << approved.status.error_message();
  EXPECT_EQ(approved.response.status(), "approved");
  EXPECT_EQ(approved.response.resolved_by(), "localnews_admin");
  EXPECT_FALSE(approved.response.resolved_at().empty());
  EXPECT_EQ(Scalar("SELECT adapter_order_id FROM media_buys WHERE "
                   "media_buy_id = '" +
                   media_buy_id + "'"),
            "mock-order-" + media_buy_id);
  const v1::MediaBuy live =
      MustGetBuy(kLocal, tokens_["local_a"], media_buy_id);
  EXPECT_EQ(live.status(), "pending_creatives");
  EXPECT_EQ(live.revision(), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE tenant_id = "
                  "'localnews' AND operation = 'approve_human_task' AND "
                  "success"),
            1);
  // Approving twice is a state error and changes nothing.
  auto again =
      Call(&Stub::ApproveHumanTask, kLocal, tokens_["local_admin"], approve);
  ExpectError(again, "INVALID_STATE", "task_id", "second approval");

  // Rejection needs a reason and rejects the buy.
  auto second =
      Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"],
           BuyRequest(Key("local2"), "local_display", 5000, Day(1), Day(11)));
  ASSERT_TRUE(second.ok());
  v1::ResolveHumanTaskRequest reject;
  reject.set_task_id(second.response.task_id());
  ExpectError(
      Call(&Stub::RejectHumanTask, kLocal, tokens_["local_admin"], reject),
      "VALIDATION_ERROR", "reason", "reject without reason");
  reject.set_reason("Creative policy: no alcohol ads on the kids section");
  auto rejected =
      Call(&Stub::RejectHumanTask, kLocal, tokens_["local_admin"], reject);
  ASSERT_TRUE(rejected.ok()) << rejected.status.error_message();
  EXPECT_EQ(rejected.response.status(), "rejected");
  EXPECT_EQ(rejected.response.resolution(), reject.reason());
  const v1::MediaBuy gone =
      MustGetBuy(kLocal, tokens_["local_a"], rejected.response.media_buy_id());
  EXPECT_EQ(gone.status(), "rejected");
  EXPECT_EQ(gone.valid_actions_size(), 0);
  // Canceling a buy that awaits approval closes its task as failed.
  auto third =
      Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"],
           BuyRequest(Key("local3"), "local_display", 5000, Day(1), Day(11)));
  ASSERT_TRUE(third.ok());
  v1::GetHumanTaskRequest third_task;
  third_task.set_task_id(third.response.task_id());
  const std::string third_buy =
      Call(&Stub::GetHumanTask, kLocal, tokens_["local_a"], third_task)
          .response.media_buy_id();
  v1::UpdateMediaBuyRequest cancel = UpdateRequest(third_buy);
  cancel.set_canceled(true);
  ASSERT_TRUE(
      Call(&Stub::UpdateMediaBuy, kLocal, tokens_["local_a"], cancel).ok());
  auto closed =
      Call(&Stub::GetHumanTask, kLocal, tokens_["local_a"], third_task);
  EXPECT_EQ(closed.response.status(), "failed");
  // A buy whose flight ended while it waited cannot be approved.
  auto late =
      Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"],
           BuyRequest(Key("local4"), "local_display", 5000, Day(1), Day(2)));
  ASSERT_TRUE(late.ok());
  SetNow(Day(3));
  v1::ResolveHumanTaskRequest approve_late;
  approve_late.set_task_id(late.response.task_id());
  ExpectError(Call(&Stub::ApproveHumanTask, kLocal, tokens_["local_admin"],
                   approve_late),
              "INVALID_STATE", "task_id", "approval after the flight");
  // A rejected buy cannot be changed.
  v1::UpdateMediaBuyRequest update = UpdateRequest(gone.media_buy_id());
  update.set_paused(true);
  ExpectError(Call(&Stub::UpdateMediaBuy, kLocal, tokens_["local_a"], update),
              "INVALID_STATE", "media_buy_id", "update of a rejected buy");
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, DailyBudgetLimitIsEachTenantsOwn) {
  // Ten flight days: nytimes allows 10,000,000 in all, localnews 100,000.
  auto nyt_ok =
      Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"],
           BuyRequest(Key("n"), "nyt_display", 5000000, Day(1), Day(11), 2));
  EXPECT_TRUE(nyt_ok.ok()) << nyt_ok.status.error_message();
  const std::string before = DataProbe();
  auto nyt_over =
      Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"],
           BuyRequest(Key("n"), "nyt_display", 5000000.5, Day(1), Day(11), 2));
  ExpectError(nyt_over, "BUDGET_EXCEEDED", "packages", "nytimes over");
  EXPECT_TRUE(absl::StrContains(nyt_over.error.message(), "max_daily_budget"));
  EXPECT_TRUE(absl::StrContains(nyt_over.error.message(), "1,000,000"))
      << nyt_over.error.message();
  RecordError("media-buy/create-media-buy-response.json", nyt_over.error);

  auto local_ok =
      Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"],
           BuyRequest(Key("l"), "local_display", 100000, Day(1), Day(11)));
  EXPECT_TRUE(local_ok.ok()) << local_ok.status.error_message();
  const std::string local_before = DataProbe();
  auto local_over =
      Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"],
           BuyRequest(Key("l"), "local_display", 100001, Day(1), Day(11)));
  ExpectError(local_over, "BUDGET_EXCEEDED", "packages", "localnews over");
  EXPECT_TRUE(absl::StrContains(local_over.error.message(), "10,000"))
      << local_over.error.message();
  EXPECT_EQ(DataProbe(), local_before);
  // A short flight counts as one day; total_budget is checked when given.
  v1::CreateMediaBuyRequest one_day = BuyRequest(
      Key("l"), "local_display", 9000, Day(1), Day(1) + absl::Hours(3));
  one_day.mutable_total_budget()->set_amount(10001);
  one_day.mutable_total_budget()->set_currency("USD");
  ExpectError(Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"], one_day),
              "BUDGET_EXCEEDED", "total_budget", "one-day total");
  // The limit follows the tenant's config without a restart.
  ASSERT_TRUE(suite_
                  ->PatchTenantConfig(
                      kLocal, R"({"features":{"max_daily_budget":20000}})")
                  .ok());
  bool raised = false;
  for (int i = 0; i < 200 && !raised; ++i) {
    raised =
        Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"],
             BuyRequest(Key("l"), "local_display", 150000, Day(1), Day(11)))
            .ok();
    if (!raised) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(raised) << "the raised limit never took effect";
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, IdempotencyReplaysConflictsAndIsScopedToTheBuyer) {
  const std::string key = Key("idem");
  v1::CreateMediaBuyRequest request =
      BuyRequest(key, "nyt_display", 1000, Day(1), Day(11));
  auto first = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(first.ok());
  // Same key, same payload (a different context does not matter): the same
  // answer, nothing new.
  (*request.mutable_context()->mutable_fields())["retry"].set_number_value(1);
  auto replay = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(replay.ok()) << replay.status.error_message();
  EXPECT_EQ(replay.response.media_buy_id(), first.response.media_buy_id());
  EXPECT_EQ(replay.response.context().fields().at("retry").number_value(), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM media_buys"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE operation = "
                  "'create_media_buy'"),
            1);
  // Same key, different payload: a conflict that changes nothing.
  const std::string before = DataProbe();
  v1::CreateMediaBuyRequest changed = request;
  changed.mutable_packages(0)->set_budget(2000);
  auto conflict = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], changed);
  // Code and message only: nothing about the original request.
  EXPECT_EQ(conflict.error.code(), "IDEMPOTENCY_CONFLICT");
  EXPECT_TRUE(absl::StrContains(conflict.error.message(), "idempotency_key"));
  EXPECT_TRUE(conflict.error.field().empty());
  EXPECT_TRUE(conflict.error.recovery().empty());
  EXPECT_TRUE(conflict.error.suggestion().empty());
  EXPECT_EQ(DataProbe(), before);
  RecordError("media-buy/create-media-buy-response.json", conflict.error);
  // The same key is another buyer's own, and another tenant's.
  auto other_buyer =
      Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_b"], request);
  ASSERT_TRUE(other_buyer.ok()) << other_buyer.status.error_message();
  EXPECT_NE(other_buyer.response.media_buy_id(), first.response.media_buy_id());
  v1::CreateMediaBuyRequest local =
      BuyRequest(key, "local_display", 1000, Day(1), Day(11));
  auto other_tenant =
      Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"], local);
  ASSERT_TRUE(other_tenant.ok()) << other_tenant.status.error_message();
  EXPECT_EQ(other_tenant.response.status(), "submitted");
  EXPECT_EQ(Count("SELECT count(*) FROM media_buys"), 3);
  // Replays are kept for the TTL (24 hours by default).
  EXPECT_EQ(Count("SELECT count(*) FROM idempotency_keys WHERE expires_at > "
                  "now() + interval '23 hours'"),
            3);
  // A key past its TTL is not run again: the buyer is told to use a new one.
  Exec(
      "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' "
      "WHERE idempotency_key = '" +
      key +
      "' AND principal_id = 'buyer_a' "
      "AND tenant_id = 'nytimes'");
  auto expired = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], request);
  ExpectError(expired, "IDEMPOTENCY_EXPIRED", "idempotency_key", "expired key");
  EXPECT_EQ(Count("SELECT count(*) FROM media_buys"), 3);
  // Keys are validated.
  v1::CreateMediaBuyRequest short_key = request;
  short_key.set_idempotency_key("short");
  ExpectError(Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], short_key),
              "VALIDATION_ERROR", "idempotency_key", "short key");
  short_key.clear_idempotency_key();
  ExpectError(Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], short_key),
              "VALIDATION_ERROR", "idempotency_key", "no key");
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, ConcurrentRetriesOfOneKeyMakeOneBuy) {
  const v1::CreateMediaBuyRequest request =
      BuyRequest(Key("race"), "nyt_display", 1000, Day(1), Day(11));
  constexpr int kThreads = 8;
  std::vector<std::string> ids(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto created =
          Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], request);
      ids[static_cast<size_t>(i)] =
          created.ok() ? created.response.media_buy_id()
                       : "error: " + created.status.error_message();
    });
  }
  for (auto& thread : threads) thread.join();
  for (const std::string& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(ids[0].rfind("mb_", 0), 0u) << ids[0];
  EXPECT_EQ(Count("SELECT count(*) FROM media_buys"), 1);
}

TEST_F(MediaBuyTest, EachBadFieldIsNamedAndNothingChanges) {
  NytBuy();
  const std::string before = DataProbe();
  struct Case {
    const char* what;
    std::function<void(v1::CreateMediaBuyRequest&)> edit;
    const char* code;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"start in the past",
       [&](auto& r) { r.set_start_time("2027-02-01T00:00:00Z"); },
       "VALIDATION_ERROR", "start_time"},
      {"start not a time", [&](auto& r) { r.set_start_time("tomorrow"); },
       "VALIDATION_ERROR", "start_time"},
      {"end before start",
       [&](auto& r) { r.set_end_time("2027-03-01T12:00:00Z"); },
       "VALIDATION_ERROR", "end_time"},
      {"no end", [&](auto& r) { r.clear_end_time(); }, "VALIDATION_ERROR",
       "end_time"},
      {"no packages", [&](auto& r) { r.clear_packages(); }, "VALIDATION_ERROR",
       "packages"},
      {"zero budget", [&](auto& r) { r.mutable_packages(0)->set_budget(0); },
       "VALIDATION_ERROR", "packages[0].budget"},
      {"negative budget",
       [&](auto& r) { r.mutable_packages(1)->set_budget(-5); },
       "VALIDATION_ERROR", "packages[1].budget"},
      {"sub-micro budget",
       [&](auto& r) { r.mutable_packages(0)->set_budget(1e-9); },
       "VALIDATION_ERROR", "packages[0].budget"},
      {"unknown product",
       [&](auto& r) { r.mutable_packages(0)->set_product_id("nope"); },
       "PRODUCT_NOT_FOUND", "packages[0].product_id"},
      {"another tenant's product",
       [&](auto& r) { r.mutable_packages(0)->set_product_id("local_display"); },
       "PRODUCT_NOT_FOUND", "packages[0].product_id"},
      {"a product restricted to another buyer",
       [&](auto& r) {
         r.mutable_packages(0)->set_product_id("nyt_private");
         r.mutable_packages(0)->set_pricing_option_id("flat_usd");
       },
       "PRODUCT_NOT_FOUND", "packages[0].product_id"},
      {"unknown pricing option",
       [&](auto& r) { r.mutable_packages(1)->set_pricing_option_id("cheap"); },
       "VALIDATION_ERROR", "packages[1].pricing_option_id"},
      {"bad pacing",
       [&](auto& r) { r.mutable_packages(0)->set_pacing("fast"); },
       "VALIDATION_ERROR", "packages[0].pacing"},
      {"auction without a bid",
       [&](auto& r) {
         r.mutable_packages(0)->set_product_id("nyt_video");
         r.mutable_packages(0)->set_pricing_option_id("cpm_usd_auction");
       },
       "VALIDATION_ERROR", "packages[0].bid_price"},
      {"bid below the floor",
       [&](auto& r) {
         r.mutable_packages(0)->set_product_id("nyt_video");
         r.mutable_packages(0)->set_pricing_option_id("cpm_usd_auction");
         r.mutable_packages(0)->set_bid_price(9.99);
       },
       "VALIDATION_ERROR", "packages[0].bid_price"},
      {"format the product lacks",
       [&](auto& r) {
         *r.mutable_packages(0)->add_format_ids() = Format("video_30s");
       },
       "VALIDATION_ERROR", "packages[0].format_ids[0]"},
      {"total below the packages",
       [&](auto& r) {
         r.mutable_total_budget()->set_amount(100);
         r.mutable_total_budget()->set_currency("USD");
       },
       "VALIDATION_ERROR", "total_budget.amount"},
      {"total in another currency",
       [&](auto& r) {
         r.mutable_total_budget()->set_amount(1e6);
         r.mutable_total_budget()->set_currency("EUR");
       },
       "VALIDATION_ERROR", "total_budget.currency"},
      {"a flight ending in ten years",
       [&](auto& r) { r.set_end_time("2037-03-01T00:00:00Z"); },
       "VALIDATION_ERROR", "end_time"},
      {"an over-long po_number",
       [&](auto& r) { r.set_po_number(std::string(256, 'x')); },
       "VALIDATION_ERROR", "po_number"},
      {"an account operator that is no domain",
       [&](auto& r) { r.mutable_account()->set_operator_("not a domain"); },
       "VALIDATION_ERROR", "account.operator"},
      {"a brand that is no domain",
       [&](auto& r) { r.mutable_brand()->set_domain("acme"); },
       "VALIDATION_ERROR", "brand.domain"},
      {"an account of nobody",
       [&](auto& r) {
         r.clear_account();
         r.mutable_account()->set_account_id("acct_0000000000000000");
       },
       "ACCOUNT_NOT_FOUND", "account.account_id"},
  };
  for (const Case& c : cases) {
    v1::CreateMediaBuyRequest request =
        BuyRequest(Key("bad"), "nyt_display", 1000, Day(1), Day(11), 2);
    c.edit(request);
    auto outcome = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_b"], request);
    ExpectError(outcome, c.code, c.field, c.what);
    RecordError("media-buy/create-media-buy-response.json", outcome.error);
  }
  EXPECT_EQ(DataProbe(), before);
  // Each failed call left a failure row in the audit log.
  suite_->media_buy_server().audit().Flush();
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE tenant_id = 'nytimes' "
                  "AND operation = 'CreateMediaBuy' AND NOT success AND "
                  "principal_id = 'buyer_b'"),
            static_cast<int64_t>(cases.size()));
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, UpdatesFollowTheLifecycleAndTheRevision) {
  const auto created = NytBuy();
  const std::string id = created.media_buy_id();
  SetNow(Day(2));
  auto update = [&](std::function<void(v1::UpdateMediaBuyRequest&)> edit) {
    v1::UpdateMediaBuyRequest request = UpdateRequest(id);
    edit(request);
    if (request.has_account())
      schemas_.Add("media-buy/update-media-buy-request.json", "update",
                   request);
    return Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], request);
  };
  auto paused = update([](auto& r) { r.set_paused(true); });
  ASSERT_TRUE(paused.ok()) << paused.status.error_message();
  EXPECT_EQ(paused.response.status(), "paused");
  EXPECT_EQ(paused.response.revision(), 2);
  schemas_.Add("media-buy/update-media-buy-response.json", "paused",
               paused.response);
  ExpectError(update([](auto& r) { r.set_paused(true); }), "INVALID_STATE",
              "paused", "pause twice");
  ExpectError(update([](auto& r) {
                r.set_revision(1);
                r.set_paused(false);
              }),
              "CONFLICT", "revision", "stale revision");
  auto resumed = update([](auto& r) {
    r.set_revision(2);
    r.set_paused(false);
  });
  ASSERT_TRUE(resumed.ok()) << resumed.status.error_message();
  EXPECT_EQ(resumed.response.revision(), 3);
  EXPECT_NE(resumed.response.status(), "paused");

  // Package budget: raising it raises the total; over the limit it fails.
  const std::string package_id = created.packages(0).package_id();
  auto raised = update([&](auto& r) {
    auto* package = r.add_packages();
    package->set_package_id(package_id);
    package->set_budget(15000);
  });
  ASSERT_TRUE(raised.ok()) << raised.status.error_message();
  ASSERT_EQ(raised.response.affected_packages_size(), 1);
  EXPECT_DOUBLE_EQ(raised.response.affected_packages(0).budget(), 15000);
  EXPECT_DOUBLE_EQ(MustGetBuy(kNyt, tokens_["nyt_a"], id).total_budget(),
                   25000);
  schemas_.Add("media-buy/update-media-buy-response.json", "budget",
               raised.response);
  const std::string before = DataProbe();
  ExpectError(update([&](auto& r) {
                auto* package = r.add_packages();
                package->set_package_id(package_id);
                package->set_budget(20000000);
              }),
              "BUDGET_EXCEEDED", "packages", "over the daily limit");
  ExpectError(
      update([&](auto& r) { r.add_packages()->set_package_id("pkg_unknown"); }),
      "PACKAGE_NOT_FOUND", "packages[0].package_id", "unknown package");
  ExpectError(update([](auto& r) { r.set_end_time("2027-02-01T00:00:00Z"); }),
              "VALIDATION_ERROR", "end_time", "end in the past");
  ExpectError(update([](auto& r) { r.set_start_time("2027-03-05T00:00:00Z"); }),
              "VALIDATION_ERROR", "start_time", "moving a started flight");
  ExpectError(update([](auto& r) {
                r.clear_account();
                r.mutable_account()->set_account_id("acct_0000000000000000");
                r.set_paused(true);
              }),
              "ACCOUNT_NOT_FOUND", "account.account_id", "nobody's account");
  ExpectError(update([](auto& r) { r.clear_account(); }), "VALIDATION_ERROR",
              "account", "no account");
  EXPECT_EQ(DataProbe(), before);

  v1::UpdateMediaBuyRequest negative_goal = UpdateRequest(id);
  auto* goal = negative_goal.add_packages();
  goal->set_package_id(package_id);
  goal->set_impressions(-3);
  ExpectError(
      Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], negative_goal),
      "VALIDATION_ERROR", "packages[0].impressions", "negative goal");
  EXPECT_EQ(DataProbe(), before);
  // After the publisher lowers its limit below this buy, pausing still works.
  // (A dry-run budget change shows when the new limit has arrived.)
  auto limit_in_force = [&](bool lowered) {
    for (int i = 0; i < 200; ++i) {
      v1::UpdateMediaBuyRequest probe = UpdateRequest(id);
      auto* package = probe.add_packages();
      package->set_package_id(package_id);
      package->set_budget(15001);
      auto outcome =
          Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], probe, true);
      if ((outcome.error.code() == "BUDGET_EXCEEDED") == lowered) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  };
  ASSERT_TRUE(
      suite_
          ->PatchTenantConfig(kNyt, R"({"features":{"max_daily_budget":100}})")
          .ok());
  ASSERT_TRUE(limit_in_force(true));
  EXPECT_TRUE(update([](auto& r) { r.set_paused(true); }).ok());
  EXPECT_TRUE(update([](auto& r) { r.set_paused(false); }).ok());
  ASSERT_TRUE(suite_
                  ->PatchTenantConfig(
                      kNyt, R"({"features":{"max_daily_budget":1000000}})")
                  .ok());
  ASSERT_TRUE(limit_in_force(false));

  // Extending the flight works; cancelling ends the lifecycle.
  auto extended =
      update([](auto& r) { r.set_end_time("2027-03-20T00:00:00Z"); });
  ASSERT_TRUE(extended.ok()) << extended.status.error_message();
  auto canceled = update([](auto& r) { r.set_canceled(true); });
  ASSERT_TRUE(canceled.ok()) << canceled.status.error_message();
  EXPECT_EQ(canceled.response.status(), "canceled");
  ExpectError(update([](auto& r) { r.set_paused(false); }), "INVALID_STATE",
              "media_buy_id", "resume after cancel");
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE operation = "
                  "'update_media_buy' AND success"),
            7);
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, MockDeliveryFollowsTheClockDeterministically) {
  v1::CreateMediaBuyRequest request =
      BuyRequest(Key("dlv"), "nyt_display", 10000, Day(1), Day(11), 2);
  request.mutable_packages(1)->set_pacing("asap");
  const auto created = MustCreate(kNyt, tokens_["nyt_a"], request);
  auto delivery = [&]() {
    v1::GetMediaBuyDeliveryRequest get;
    get.add_media_buy_ids(created.media_buy_id());
    auto got = Call(&Stub::GetMediaBuyDelivery, kNyt, tokens_["nyt_a"], get);
    EXPECT_TRUE(got.ok()) << got.status.error_message();
    schemas_.Add("media-buy/get-media-buy-delivery-request.json", "request",
                 get);
    schemas_.Add("media-buy/get-media-buy-delivery-response.json", "delivery",
                 got.response);
    return got.response;
  };
  // Before the flight: nothing.
  auto before = delivery();
  ASSERT_EQ(before.media_buy_deliveries_size(), 1);
  EXPECT_EQ(before.media_buy_deliveries(0).totals().impressions(), 0);
  // A quarter through: even pacing spent a quarter, asap half.
  SetNow(Day(1) + absl::Hours(60));
  auto quarter = delivery();
  const auto& q = quarter.media_buy_deliveries(0);
  ASSERT_EQ(q.by_package_size(), 2);
  EXPECT_DOUBLE_EQ(q.by_package(0).spend(), 2500);
  EXPECT_DOUBLE_EQ(q.by_package(0).impressions(), 100000);  // 2,500 at 25 CPM
  EXPECT_DOUBLE_EQ(q.by_package(0).clicks(), 120);
  EXPECT_DOUBLE_EQ(q.by_package(1).spend(), 5000);
  EXPECT_DOUBLE_EQ(q.by_package(1).pacing_index(), 2.0);
  EXPECT_EQ(q.by_package(0).delivery_status(), "delivering");
  EXPECT_DOUBLE_EQ(q.totals().spend(), 7500);
  // The same clock gives the same numbers.
  EXPECT_EQ(AdcpJson(delivery().media_buy_deliveries(0)), AdcpJson(q));
  // A date window reports only what accrued inside it.
  v1::GetMediaBuyDeliveryRequest window;
  window.add_media_buy_ids(created.media_buy_id());
  window.set_start_date("2027-03-02");
  window.set_end_date("2027-03-02");
  auto day = Call(&Stub::GetMediaBuyDelivery, kNyt, tokens_["nyt_a"], window);
  ASSERT_TRUE(day.ok()) << day.status.error_message();
  EXPECT_DOUBLE_EQ(day.response.media_buy_deliveries(0).by_package(0).spend(),
                   1000);
  // Paused, it stops accruing.
  v1::UpdateMediaBuyRequest pause = UpdateRequest(created.media_buy_id());
  pause.set_paused(true);
  ASSERT_TRUE(Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], pause).ok());
  SetNow(Day(8));
  EXPECT_DOUBLE_EQ(delivery().media_buy_deliveries(0).by_package(0).spend(),
                   2500);
  // After the flight (resumed at day 8) the whole budget is spent.
  pause.set_idempotency_key(Key("resume"));
  pause.set_paused(false);
  ASSERT_TRUE(Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], pause).ok());
  SetNow(Day(12));
  auto done = delivery();
  EXPECT_EQ(done.media_buy_deliveries(0).status(), "completed");
  EXPECT_DOUBLE_EQ(done.media_buy_deliveries(0).by_package(0).spend(), 10000);
  EXPECT_EQ(done.media_buy_deliveries(0).by_package(0).delivery_status(),
            "completed");
  v1::GetMediaBuyDeliveryRequest by_status;
  by_status.add_status_filter("running");
  ExpectError(
      Call(&Stub::GetMediaBuyDelivery, kNyt, tokens_["nyt_a"], by_status),
      "VALIDATION_ERROR", "status_filter[0]", "unknown status");
  // Bad dates name the field.
  window.set_end_date("2027-02-30");
  ExpectError(Call(&Stub::GetMediaBuyDelivery, kNyt, tokens_["nyt_a"], window),
              "VALIDATION_ERROR", "end_date", "impossible date");
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, AnUpdateKeepsToThePricingOption) {
  const auto created =
      MustCreate(kNyt, tokens_["nyt_a"],
                 BuyRequest(Key("video"), "nyt_video", 5000, Day(1), Day(11)));
  v1::UpdateMediaBuyRequest request = UpdateRequest(created.media_buy_id());
  auto* package = request.add_packages();
  package->set_package_id(created.packages(0).package_id());
  package->set_bid_price(9.5);  // the floor is 10
  ExpectError(Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], request),
              "VALIDATION_ERROR", "packages[0].bid_price",
              "bid under the floor");
  package->set_bid_price(11);
  request.set_idempotency_key(Key("upd"));
  auto raised = Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(raised.ok()) << raised.status.error_message();
  EXPECT_DOUBLE_EQ(raised.response.affected_packages(0).bid_price(), 11);
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

TEST_F(MediaBuyTest, MeasurementTermsOutsideTheSellersAreRejected) {
  v1::CreateMediaBuyRequest request =
      BuyRequest(Key("terms"), "nyt_display", 5000, Day(1), Day(11));
  auto terms = [&](const std::string& json) {
    request.set_idempotency_key(Key("terms"));
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(
            json, request.mutable_packages(0)->mutable_measurement_terms())
            .ok());
  };
  const std::string before = DataProbe();
  terms(R"({"billing_measurement":{"vendor":{"domain":"videoamp.example"},
            "measurement_window":"c30","max_variance_percent":0}})");
  auto rejected = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], request);
  ExpectError(
      rejected, "TERMS_REJECTED",
      "packages[0].measurement_terms.billing_measurement.measurement_window",
      "c30 window");
  RecordError("media-buy/create-media-buy-response.json", rejected.error);
  request.mutable_packages(0)->clear_measurement_terms();
  terms(
      R"({"billing_measurement":{"vendor":{"domain":"videoamp.example"},"measurement_window":"c7","max_variance_percent":5}})");
  ExpectError(
      Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], request),
      "TERMS_REJECTED",
      "packages[0].measurement_terms.billing_measurement.max_variance_percent",
      "5% variance");
  EXPECT_EQ(DataProbe(), before);
  request.mutable_packages(0)->clear_measurement_terms();
  terms(
      R"({"billing_measurement":{"vendor":{"domain":"videoamp.example"},"measurement_window":"c7","max_variance_percent":10},
            "makegood_policy":{"available_remedies":["additional_delivery","credit"]}})");
  auto accepted = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(accepted.ok()) << accepted.status.error_message();
  const nlohmann::json package =
      nlohmann::json::parse(AdcpJson(accepted.response))["packages"][0];
  EXPECT_EQ(
      package["measurement_terms"]["billing_measurement"]["measurement_window"],
      "c7");
  schemas_.Add("media-buy/create-media-buy-response.json", "terms",
               accepted.response);
  // Canceling twice: the second is NOT_CANCELLABLE.
  v1::UpdateMediaBuyRequest cancel =
      UpdateRequest(accepted.response.media_buy_id());
  cancel.set_canceled(true);
  ASSERT_TRUE(Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], cancel).ok());
  cancel.set_idempotency_key(Key("cancel"));
  ExpectError(Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], cancel),
              "NOT_CANCELLABLE", "canceled", "second cancel");
  schemas_.ExpectAllValid();
}

// ------------------------------------------------------------ creatives --

TEST_F(MediaBuyTest, CreativesAreAutoApprovedOrWaitForReview) {
  const auto buy = NytBuy();
  const std::string package_id = buy.packages(0).package_id();
  v1::SyncCreativesRequest request =
      Sync({Creative("banner-1", "display_300x250"),
            Creative("video-1", "video_30s")});
  Assign(request, "banner-1", package_id);
  Assign(request, "video-1", package_id);
  schemas_.Add("creative/sync-creatives-request.json", "request", request);
  auto synced = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(synced.ok()) << synced.status.error_message();
  schemas_.Add("creative/sync-creatives-response.json", "synced",
               synced.response);
  ASSERT_EQ(synced.response.creatives_size(), 2);
  const auto& banner = synced.response.creatives(0);
  EXPECT_EQ(banner.action(), "created");
  EXPECT_EQ(banner.status(), "approved");
  EXPECT_EQ(banner.platform_id(), "mock-creative-banner-1");
  EXPECT_EQ(banner.assigned_to_size(), 1);
  const auto& video = synced.response.creatives(1);
  EXPECT_EQ(video.status(), "pending_review");
  EXPECT_TRUE(video.platform_id().empty());
  // The buy now has an approved creative: it is live (the flight started).
  SetNow(Day(2));
  EXPECT_EQ(MustGetBuy(kNyt, tokens_["nyt_a"], buy.media_buy_id()).status(),
            "active");

  // The video waits as a creative_review task that the admin approves.
  v1::ListHumanTasksRequest list;
  list.set_status("pending");
  auto tasks = Call(&Stub::ListHumanTasks, kNyt, tokens_["nyt_admin"], list);
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks.response.tasks_size(), 1);
  EXPECT_EQ(tasks.response.tasks(0).task_type(), "creative_review");
  EXPECT_EQ(tasks.response.tasks(0).creative_id(), "video-1");
  // Syncing the same creative again opens no second task.
  request.set_idempotency_key(Key("sync"));
  auto resync = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(resync.ok()) << resync.status.error_message();
  EXPECT_EQ(resync.response.creatives(0).action(), "unchanged");
  EXPECT_EQ(resync.response.creatives(1).action(), "unchanged");
  EXPECT_EQ(Count("SELECT count(*) FROM human_tasks"), 1);
  v1::ResolveHumanTaskRequest approve;
  approve.set_task_id(tasks.response.tasks(0).task_id());
  auto approved =
      Call(&Stub::ApproveHumanTask, kNyt, tokens_["nyt_admin"], approve);
  ASSERT_TRUE(approved.ok()) << approved.status.error_message();
  EXPECT_EQ(Scalar("SELECT status || ' ' || adapter_creative_id FROM creatives "
                   "WHERE creative_id = 'video-1'"),
            "approved mock-creative-video-1");

  // A review task whose creative was approved meanwhile closes as failed.
  ASSERT_TRUE(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"],
                   Sync({Creative("video-2", "video_30s")}))
                  .ok());
  auto second_tasks =
      Call(&Stub::ListHumanTasks, kNyt, tokens_["nyt_admin"], list);
  ASSERT_EQ(second_tasks.response.tasks_size(), 1);
  Exec(
      "UPDATE creatives SET status = 'approved' WHERE creative_id = "
      "'video-2'");
  v1::ResolveHumanTaskRequest stale;
  stale.set_task_id(second_tasks.response.tasks(0).task_id());
  stale.set_reason("too loud");
  auto failed = Call(&Stub::RejectHumanTask, kNyt, tokens_["nyt_admin"], stale);
  ASSERT_TRUE(failed.ok()) << failed.status.error_message();
  EXPECT_EQ(failed.response.status(), "failed");
  EXPECT_EQ(
      Scalar("SELECT status FROM creatives WHERE creative_id = 'video-2'"),
      "approved");

  // localnews auto-approves nothing.
  auto local = Call(&Stub::SyncCreatives, kLocal, tokens_["local_a"],
                    Sync({Creative("banner-1", "display_300x250")}));
  ASSERT_TRUE(local.ok()) << local.status.error_message();
  EXPECT_EQ(local.response.creatives(0).status(), "pending_review");
  // With a config change the format is approved at once.
  ASSERT_TRUE(
      suite_
          ->PatchTenantConfig(
              kLocal,
              R"({"creative_engine":{"auto_approve_formats":["display_300x250"]}})")
          .ok());
  bool auto_approved = false;
  for (int i = 0; i < 200 && !auto_approved; ++i) {
    auto next = Call(
        &Stub::SyncCreatives, kLocal, tokens_["local_a"],
        Sync({Creative(absl::StrCat("banner-", 10 + i), "display_300x250")}));
    auto_approved =
        next.ok() && next.response.creatives(0).status() == "approved";
    if (!auto_approved) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(auto_approved);
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, SyncCreativesStrictLenientAndDryRun) {
  const auto buy = NytBuy();
  const std::string before = DataProbe();
  v1::CreativeAsset bad_format = Creative("bad-1", "display_300x250");
  bad_format.mutable_format_id()->set_id("hologram_3d");
  v1::CreativeAsset no_assets = Creative("bad-2", "display_300x250");
  no_assets.clear_assets();
  // Strict (the default): one bad creative fails the whole sync.
  auto strict = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"],
                     Sync({Creative("ok-1", "display_300x250"), bad_format}));
  ExpectError(strict, "VALIDATION_ERROR", "creatives[1].format_id", "strict");
  EXPECT_EQ(DataProbe(), before);
  // Lenient: the good ones land, the bad ones say why.
  v1::SyncCreativesRequest lenient =
      Sync({Creative("ok-1", "display_300x250"), bad_format, no_assets});
  lenient.set_validation_mode("lenient");
  auto partial = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], lenient);
  ASSERT_TRUE(partial.ok()) << partial.status.error_message();
  ASSERT_EQ(partial.response.creatives_size(), 3);
  EXPECT_EQ(partial.response.creatives(0).action(), "created");
  EXPECT_EQ(partial.response.creatives(1).action(), "failed");
  EXPECT_TRUE(partial.response.creatives(1).status().empty());
  EXPECT_EQ(partial.response.creatives(1).errors(0).field(),
            "creatives[1].format_id");
  EXPECT_EQ(partial.response.creatives(2).errors(0).field(),
            "creatives[2].assets");
  schemas_.Add("creative/sync-creatives-response.json", "lenient",
               partial.response);
  EXPECT_EQ(Count("SELECT count(*) FROM creatives"), 1);
  // Assignments to another buyer's package are NOT_FOUND and change nothing.
  const auto other = NytBuy(tokens_["nyt_b"]);
  const std::string after_lenient = DataProbe();
  v1::SyncCreativesRequest foreign =
      Sync({Creative("ok-2", "display_300x250")});
  Assign(foreign, "ok-2", other.packages(0).package_id());
  ExpectError(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], foreign),
              "PACKAGE_NOT_FOUND", "assignments[0].package_id",
              "foreign package");
  EXPECT_EQ(DataProbe(), after_lenient);
  // Dry run: the answer of a real sync, nothing kept.
  v1::SyncCreativesRequest dry = Sync({Creative("ok-3", "display_728x90")});
  Assign(dry, "ok-3", buy.packages(1).package_id());
  dry.set_dry_run(true);
  auto preview = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], dry);
  ASSERT_TRUE(preview.ok()) << preview.status.error_message();
  EXPECT_TRUE(preview.response.dry_run());
  EXPECT_EQ(preview.response.creatives(0).action(), "created");
  EXPECT_EQ(preview.response.creatives(0).status(), "approved");
  EXPECT_EQ(DataProbe(), after_lenient);
  schemas_.Add("creative/sync-creatives-response.json", "dry run",
               preview.response);
  // Bad requests.
  v1::SyncCreativesRequest no_account =
      Sync({Creative("x", "display_300x250")});
  no_account.clear_account();
  ExpectError(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], no_account),
              "VALIDATION_ERROR", "account", "no account");
  v1::SyncCreativesRequest twice = Sync(
      {Creative("x", "display_300x250"), Creative("x", "display_300x250")});
  ExpectError(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], twice),
              "VALIDATION_ERROR", "creatives[1].creative_id", "duplicate id");
  // A library creative referenced again with our format id under another
  // agent URL is the same creative; a new one is not accepted that way.
  v1::CreativeAsset again = Creative("ok-1", "display_300x250");
  again.mutable_format_id()->set_agent_url("https://your-platform.example.com");
  auto reused =
      Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], Sync({again}));
  ASSERT_TRUE(reused.ok()) << reused.status.error_message();
  EXPECT_EQ(reused.response.creatives(0).action(), "unchanged");
  v1::CreativeAsset stranger = Creative("new-1", "display_300x250");
  stranger.mutable_format_id()->set_agent_url(
      "https://your-platform.example.com");
  ExpectError(
      Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], Sync({stranger})),
      "VALIDATION_ERROR", "creatives[0].format_id", "foreign agent");
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, ListCreativesFiltersPagesAndSummarises) {
  const auto buy = NytBuy();
  std::vector<v1::CreativeAsset> creatives;
  for (int i = 0; i < 5; ++i)
    creatives.push_back(
        Creative(absl::StrCat("banner-", i), "display_300x250"));
  creatives.push_back(Creative("video-0", "video_15s"));
  v1::SyncCreativesRequest sync = Sync(creatives);
  Assign(sync, "banner-0", buy.packages(0).package_id());
  ASSERT_TRUE(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], sync).ok());
  // Another buyer's creatives never show.
  ASSERT_TRUE(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_b"],
                   Sync({Creative("theirs", "display_300x250")}))
                  .ok());

  v1::ListCreativesRequest request;
  request.mutable_pagination()->set_max_results(4);
  schemas_.Add("creative/list-creatives-request.json", "page 1", request);
  auto page1 = Call(&Stub::ListCreatives, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(page1.ok()) << page1.status.error_message();
  schemas_.Add("creative/list-creatives-response.json", "page 1",
               page1.response);
  EXPECT_EQ(page1.response.creatives_size(), 4);
  EXPECT_TRUE(page1.response.pagination().has_more());
  const nlohmann::json summary =
      nlohmann::json::parse(AdcpJson(page1.response.query_summary()));
  EXPECT_EQ(summary["total_matching"], 6);
  EXPECT_EQ(summary["returned"], 4);
  const nlohmann::json statuses =
      nlohmann::json::parse(AdcpJson(page1.response.status_summary()));
  EXPECT_EQ(statuses["approved"], 5);
  EXPECT_EQ(statuses["pending_review"], 1);
  request.mutable_pagination()->set_cursor(
      page1.response.pagination().cursor());
  auto page2 = Call(&Stub::ListCreatives, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(page2.ok());
  EXPECT_EQ(page2.response.creatives_size(), 2);
  EXPECT_FALSE(page2.response.pagination().has_more());
  std::set<std::string> seen;
  for (const auto* page : {&page1.response, &page2.response})
    for (const auto& creative : page->creatives())
      seen.insert(creative.creative_id());
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_FALSE(seen.count("theirs"));

  v1::ListCreativesRequest filtered;
  (*filtered.mutable_filters()->mutable_fields())["statuses"]
      .mutable_list_value()
      ->add_values()
      ->set_string_value("pending_review");
  auto pending = Call(&Stub::ListCreatives, kNyt, tokens_["nyt_a"], filtered);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending.response.creatives_size(), 1);
  EXPECT_EQ(pending.response.creatives(0).creative_id(), "video-0");
  v1::ListCreativesRequest assigned;
  (*assigned.mutable_filters()->mutable_fields())["media_buy_ids"]
      .mutable_list_value()
      ->add_values()
      ->set_string_value(buy.media_buy_id());
  auto of_buy = Call(&Stub::ListCreatives, kNyt, tokens_["nyt_a"], assigned);
  ASSERT_TRUE(of_buy.ok());
  ASSERT_EQ(of_buy.response.creatives_size(), 1);
  EXPECT_EQ(of_buy.response.creatives(0).assignments().assignment_count(), 1);
  schemas_.Add("creative/list-creatives-response.json", "by buy",
               of_buy.response);
  v1::ListCreativesRequest bad;
  (*bad.mutable_filters()->mutable_fields())["statuses"]
      .mutable_list_value()
      ->add_values()
      ->set_string_value("live");
  ExpectError(Call(&Stub::ListCreatives, kNyt, tokens_["nyt_a"], bad),
              "VALIDATION_ERROR", "filters.statuses", "unknown status");
  schemas_.ExpectAllValid();
}

// --------------------------------------------- feedback and accounts --

TEST_F(MediaBuyTest, PerformanceFeedbackIsStoredForOwnBuysOnly) {
  const auto buy = NytBuy();
  v1::ProvidePerformanceFeedbackRequest request;
  request.set_idempotency_key(Key("fb"));
  request.set_media_buy_id(buy.media_buy_id());
  request.mutable_measurement_period()->set_start("2027-03-02T00:00:00Z");
  request.mutable_measurement_period()->set_end("2027-03-03T00:00:00Z");
  request.set_performance_index(1.25);
  request.set_package_id(buy.packages(0).package_id());
  schemas_.Add("media-buy/provide-performance-feedback-request.json", "request",
               request);
  auto stored =
      Call(&Stub::ProvidePerformanceFeedback, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(stored.ok()) << stored.status.error_message();
  EXPECT_TRUE(stored.response.success());
  schemas_.Add("media-buy/provide-performance-feedback-response.json", "stored",
               stored.response);
  EXPECT_EQ(Scalar("SELECT performance_index::text || ' ' || metric_type FROM "
                   "performance_feedback"),
            "1.250000 overall_performance");
  request.set_idempotency_key(Key("fb"));
  auto other =
      Call(&Stub::ProvidePerformanceFeedback, kNyt, tokens_["nyt_b"], request);
  ExpectError(other, "MEDIA_BUY_NOT_FOUND", "media_buy_id", "other buyer");
  request.set_performance_index(-1);
  ExpectError(
      Call(&Stub::ProvidePerformanceFeedback, kNyt, tokens_["nyt_a"], request),
      "VALIDATION_ERROR", "performance_index", "negative index");
  request.set_performance_index(1);
  request.set_metric_type("vibes");
  ExpectError(
      Call(&Stub::ProvidePerformanceFeedback, kNyt, tokens_["nyt_a"], request),
      "VALIDATION_ERROR", "metric_type", "unknown metric");
  EXPECT_EQ(Count("SELECT count(*) FROM performance_feedback"), 1);
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, AccountsSyncByNaturalKeyAndListPerBuyer) {
  v1::SyncAccountsRequest request;
  request.set_idempotency_key(Key("acct"));
  auto* acme = request.add_accounts();
  acme->mutable_brand()->set_domain("acme.example");
  acme->set_operator_("agency.example");
  acme->set_billing("operator");
  auto* globex = request.add_accounts();
  globex->mutable_brand()->set_domain("globex.example");
  globex->set_operator_("globex.example");
  globex->set_billing("advertiser");
  schemas_.Add("account/sync-accounts-request.json", "request", request);
  auto synced = Call(&Stub::SyncAccounts, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(synced.ok()) << synced.status.error_message();
  schemas_.Add("account/sync-accounts-response.json", "created",
               synced.response);
  ASSERT_EQ(synced.response.accounts_size(), 2);
  EXPECT_EQ(synced.response.accounts(0).action(), "created");
  const std::string acme_id = synced.response.accounts(0).account_id();
  // Again: unchanged; with a new billing: updated, same id.
  request.set_idempotency_key(Key("acct"));
  request.mutable_accounts(0)->set_billing("agent");
  auto again = Call(&Stub::SyncAccounts, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.response.accounts(0).action(), "updated");
  EXPECT_EQ(again.response.accounts(0).account_id(), acme_id);
  EXPECT_EQ(again.response.accounts(1).action(), "unchanged");
  // A buy can name the account; another buyer cannot.
  v1::CreateMediaBuyRequest buy =
      BuyRequest(Key("b"), "nyt_display", 1000, Day(1), Day(11));
  buy.clear_account();
  buy.mutable_account()->set_account_id(acme_id);
  auto created = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], buy);
  ASSERT_TRUE(created.ok()) << created.status.error_message();
  EXPECT_EQ(MustGetBuy(kNyt, tokens_["nyt_a"], created.response.media_buy_id())
                .account()
                .account_id(),
            acme_id);
  buy.set_idempotency_key(Key("b"));
  ExpectError(Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_b"], buy),
              "ACCOUNT_NOT_FOUND", "account.account_id", "another's account");

  v1::ListAccountsRequest list;
  auto mine = Call(&Stub::ListAccounts, kNyt, tokens_["nyt_a"], list);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine.response.accounts_size(), 2);
  schemas_.Add("account/list-accounts-response.json", "mine", mine.response);
  auto theirs = Call(&Stub::ListAccounts, kNyt, tokens_["nyt_b"], list);
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(theirs.response.accounts_size(), 0);
  auto local = Call(&Stub::ListAccounts, kLocal, tokens_["local_a"], list);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local.response.accounts_size(), 0);

  request.set_idempotency_key(Key("acct"));
  request.mutable_accounts(1)->set_operator_("not a domain");
  ExpectError(Call(&Stub::SyncAccounts, kNyt, tokens_["nyt_a"], request),
              "VALIDATION_ERROR", "accounts[1].operator", "bad operator");
  schemas_.ExpectAllValid();
}

// ------------------------------------------------------------- isolation --

// Every task that takes an id answers another tenant's or another buyer's
// object exactly as it answers an id that never existed.
TEST_F(MediaBuyTest, ForeignIdsAreIndistinguishableFromMissingOnes) {
  // buyer_a of nytimes owns a buy, a creative and (after a localnews buy) a
  // task; buyer_b of nytimes and buyer_a of localnews probe them.
  const auto buy = NytBuy();
  const std::string package_id = buy.packages(0).package_id();
  ASSERT_TRUE(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"],
                   Sync({Creative("mine", "video_30s")}))
                  .ok());
  v1::ListHumanTasksRequest all;
  auto tasks = Call(&Stub::ListHumanTasks, kNyt, tokens_["nyt_a"], all);
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks.response.tasks_size(), 1);
  const std::string task_id = tasks.response.tasks(0).task_id();
  const std::string before = DataProbe();
  const std::string kMissingBuy = "mb_00000000deadbeef";

  struct Prober {
    std::string tenant, token;
  };
  const std::vector<Prober> probers = {{kNyt, tokens_["nyt_b"]},
                                       {kLocal, tokens_["local_a"]},
                                       {kLocal, tokens_["local_admin"]}};
  // The messages may echo the id the caller sent; apart from it they match.
  auto same = [&](const auto& foreign, const auto& missing, const char* what,
                  const std::string& foreign_id,
                  const std::string& missing_id) {
    EXPECT_EQ(foreign.status.error_code(), grpc::StatusCode::NOT_FOUND) << what;
    EXPECT_EQ(foreign.status.error_code(), missing.status.error_code()) << what;
    EXPECT_EQ(foreign.error.code(), missing.error.code()) << what;
    EXPECT_EQ(foreign.error.field(), missing.error.field()) << what;
    EXPECT_EQ(absl::StrReplaceAll(foreign.status.error_message(),
                                  {{foreign_id, "<id>"}}),
              absl::StrReplaceAll(missing.status.error_message(),
                                  {{missing_id, "<id>"}}))
        << what;
  };
  for (const Prober& p : probers) {
    SCOPED_TRACE(p.tenant);
    auto with = [&](const std::string& media_buy_id) {
      v1::UpdateMediaBuyRequest request = UpdateRequest(media_buy_id);
      request.set_paused(true);
      return Call(&Stub::UpdateMediaBuy, p.tenant, p.token, request);
    };
    same(with(buy.media_buy_id()), with(kMissingBuy), "update",
         buy.media_buy_id(), kMissingBuy);

    auto get = [&](const std::string& media_buy_id) {
      v1::GetMediaBuysRequest request;
      request.add_media_buy_ids(media_buy_id);
      return Call(&Stub::GetMediaBuys, p.tenant, p.token, request);
    };
    same(get(buy.media_buy_id()), get(kMissingBuy), "get_media_buys",
         buy.media_buy_id(), kMissingBuy);

    auto delivery = [&](const std::string& media_buy_id) {
      v1::GetMediaBuyDeliveryRequest request;
      request.add_media_buy_ids(media_buy_id);
      return Call(&Stub::GetMediaBuyDelivery, p.tenant, p.token, request);
    };
    same(delivery(buy.media_buy_id()), delivery(kMissingBuy), "delivery",
         buy.media_buy_id(), kMissingBuy);

    auto feedback = [&](const std::string& media_buy_id) {
      v1::ProvidePerformanceFeedbackRequest request;
      request.set_idempotency_key(Key("probe"));
      request.set_media_buy_id(media_buy_id);
      request.mutable_measurement_period()->set_start("2027-03-02T00:00:00Z");
      request.mutable_measurement_period()->set_end("2027-03-03T00:00:00Z");
      request.set_performance_index(1);
      return Call(&Stub::ProvidePerformanceFeedback, p.tenant, p.token,
                  request);
    };
    same(feedback(buy.media_buy_id()), feedback(kMissingBuy), "feedback",
         buy.media_buy_id(), kMissingBuy);

    auto assign = [&](const std::string& package) {
      v1::SyncCreativesRequest request =
          Sync({Creative("probe", "display_300x250")});
      Assign(request, "probe", package);
      return Call(&Stub::SyncCreatives, p.tenant, p.token, request);
    };
    same(assign(package_id), assign("pkg_00000000deadbeef"), "assignment",
         package_id, "pkg_00000000deadbeef");

    auto creative_in_buy = [&](const std::string& creative_id) {
      v1::CreateMediaBuyRequest request = BuyRequest(
          Key("probe"), p.tenant == kNyt ? "nyt_display" : "local_display", 100,
          Day(1), Day(11));
      request.mutable_packages(0)->add_creative_assignments()->set_creative_id(
          creative_id);
      return Call(&Stub::CreateMediaBuy, p.tenant, p.token, request,
                  /*dry_run=*/true);
    };
    // A creative not in the caller's library is held for its upload,
    // whether another buyer has one of that id or nobody does (dry runs:
    // nothing is kept).
    const auto foreign_creative = creative_in_buy("mine");
    const auto no_creative = creative_in_buy("never-made");
    EXPECT_TRUE(foreign_creative.ok())
        << foreign_creative.status.error_message();
    EXPECT_TRUE(no_creative.ok()) << no_creative.status.error_message();
    EXPECT_EQ(foreign_creative.response.message(),
              no_creative.response.message());
    EXPECT_EQ(foreign_creative.response.status(),
              no_creative.response.status());

    auto task = [&](const std::string& id) {
      v1::GetHumanTaskRequest request;
      request.set_task_id(id);
      return Call(&Stub::GetHumanTask, p.tenant, p.token, request);
    };
    same(task(task_id), task("task_00000000deadbeef"), "get task", task_id,
         "task_00000000deadbeef");

    if (p.token == tokens_["local_admin"]) {
      auto approve = [&](const std::string& id) {
        v1::ResolveHumanTaskRequest request;
        request.set_task_id(id);
        request.set_reason("probe");
        return Call(&Stub::RejectHumanTask, p.tenant, p.token, request);
      };
      same(approve(task_id), approve("task_00000000deadbeef"), "reject task",
           task_id, "task_00000000deadbeef");
    }
  }
  // Listing tasks as another buyer shows none of buyer_a's.
  auto theirs = Call(&Stub::ListHumanTasks, kNyt, tokens_["nyt_b"], all);
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(theirs.response.tasks_size(), 0);
  // The nytimes admin sees it; localnews's admin does not.
  EXPECT_EQ(Call(&Stub::ListHumanTasks, kNyt, tokens_["nyt_admin"], all)
                .response.tasks_size(),
            1);
  EXPECT_EQ(Call(&Stub::ListHumanTasks, kLocal, tokens_["local_admin"], all)
                .response.tasks_size(),
            0);
  EXPECT_EQ(DataProbe(), before);
}

TEST_F(MediaBuyTest, DryRunAnswersAndKeepsNothing) {
  const std::string before = DataProbe();
  const int64_t audit_before = Count("SELECT count(*) FROM audit_log");
  auto preview =
      Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"],
           BuyRequest(Key("dry"), "nyt_display", 1000, Day(1), Day(11)),
           /*dry_run=*/true);
  ASSERT_TRUE(preview.ok()) << preview.status.error_message();
  EXPECT_FALSE(preview.response.media_buy_id().empty());
  EXPECT_EQ(preview.response.packages_size(), 1);
  auto manual =
      Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"],
           BuyRequest(Key("dry"), "local_display", 1000, Day(1), Day(11)),
           /*dry_run=*/true);
  ASSERT_TRUE(manual.ok()) << manual.status.error_message();
  EXPECT_EQ(manual.response.status(), "submitted");
  EXPECT_EQ(DataProbe(), before);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log"), audit_before);
  // The buy the preview named does not exist.
  v1::GetMediaBuysRequest get;
  get.add_media_buy_ids(preview.response.media_buy_id());
  EXPECT_EQ(Call(&Stub::GetMediaBuys, kNyt, tokens_["nyt_a"], get).error.code(),
            "MEDIA_BUY_NOT_FOUND");
}

// A creative assigned at create time before it is uploaded: held on its
// package, assigned when the same buyer's sync_creatives brings it; another
// buyer's creative of that id never binds.
TEST_F(MediaBuyTest, AssignmentsOfCreativesNotYetUploadedWaitForThem) {
  v1::CreateMediaBuyRequest request =
      BuyRequest(Key("held"), "nyt_display", 10000, Day(1), Day(11));
  request.mutable_packages(0)->add_creative_assignments()->set_creative_id(
      "late-banner");
  const auto created = MustCreate(kNyt, tokens_["nyt_a"], request);
  EXPECT_TRUE(absl::StrContains(created.message(), "sync_creatives"))
      << created.message();
  EXPECT_EQ(created.status(), "pending_creatives");
  const std::string package = created.packages(0).package_id();
  EXPECT_EQ(Count("SELECT count(*) FROM creative_assignments"), 0);

  // Another buyer's creative of that id stays its own.
  ASSERT_TRUE(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_b"],
                   Sync({Creative("late-banner", "display_300x250")}))
                  .ok());
  EXPECT_EQ(Count("SELECT count(*) FROM creative_assignments"), 0);

  auto synced = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"],
                     Sync({Creative("late-banner", "display_300x250")}));
  ASSERT_TRUE(synced.ok()) << synced.status.error_message();
  ASSERT_EQ(synced.response.creatives_size(), 1);
  ASSERT_EQ(synced.response.creatives(0).assigned_to_size(), 1);
  EXPECT_EQ(synced.response.creatives(0).assigned_to(0), package);
  EXPECT_EQ(Count("SELECT count(*) FROM creative_assignments WHERE "
                  "creative_id = 'late-banner' AND principal_id = 'buyer_a'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM packages WHERE extra ? "
                  "'held_creative_ids'"),
            0);
  schemas_.Add("media-buy/create-media-buy-response.json", "held", created);
  schemas_.Add("creative/sync-creatives-response.json", "bound",
               synced.response);
}

}  // namespace
}  // namespace adcp::media_buy::testing
