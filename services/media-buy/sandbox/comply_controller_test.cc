// The sandbox-only comply_test_controller and anonymous discovery, over real
// gRPC and PostgreSQL (MediaBuyHarness: the seed's nytimes and localnews).
#include <google/protobuf/util/json_util.h>

#include "absl/strings/match.h"
#include "services/media-buy/testing/media_buy_harness.h"

namespace adcp::media_buy::testing {
namespace {

using nlohmann::json;

constexpr char kNyt[] = "nytimes";
constexpr char kLocal[] = "localnews";

class ComplyControllerTest : public MediaBuyHarness {
 protected:
  absl::Time Day(int n) const { return Epoch() + absl::Hours(24 * n); }

  Outcome<v1::ComplyTestControllerResponse> Control(
      const std::string& token, const std::string& scenario,
      const json& params = json::object(), const std::string& tenant = kNyt) {
    v1::ComplyTestControllerRequest request;
    request.set_scenario(scenario);
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(
                    params.dump(), request.mutable_params())
                    .ok());
    request.mutable_context()
        ->mutable_fields()
        ->
        operator[]("run")
        .set_string_value(scenario);
    return Call(&Stub::ComplyTestController, tenant, token, request);
  }

  // Patches the tenant's config and waits until media-buy sees `seen`.
  void Configure(const std::string& tenant, const std::string& patch,
                 const std::function<bool()>& seen) {
    ASSERT_TRUE(suite_->PatchTenantConfig(tenant, patch).ok());
    for (int i = 0; i < 500 && !seen(); ++i)
      absl::SleepFor(absl::Milliseconds(10));
    ASSERT_TRUE(seen()) << tenant << " never saw " << patch;
  }

  void MakeSandbox(const std::string& tenant) {
    Configure(tenant, R"({"sandbox":true})", [&] {
      return Control(tokens_[tenant == kNyt ? "nyt_a" : "local_a"],
                     "list_scenarios", json::object(), tenant)
          .ok();
    });
  }

  // Seeds product `id` with the single pricing option `option` (CPM 20 USD).
  void SeedProduct(const std::string& id, const std::string& option) {
    auto product = Control(tokens_["nyt_a"], "seed_product",
                           {{"product_id", id},
                            {"fixture",
                             {{"delivery_type", "guaranteed"},
                              {"channels", {"olv"}},
                              {"format_ids", {{{"id", "video_30s"}}}}}}});
    ASSERT_TRUE(product.ok()) << product.status.error_message();
    ASSERT_TRUE(product.response.success()) << product.response.error_detail();
    auto pricing = Control(tokens_["nyt_a"], "seed_pricing_option",
                           {{"product_id", id},
                            {"pricing_option_id", option},
                            {"fixture",
                             {{"pricing_model", "cpm"},
                              {"currency", "USD"},
                              {"fixed_price", 20}}}});
    ASSERT_TRUE(pricing.ok());
    ASSERT_TRUE(pricing.response.success()) << pricing.response.error_detail();
  }

  v1::CreateMediaBuyRequest FixtureBuy(const std::string& label) const {
    v1::CreateMediaBuyRequest request =
        BuyRequest(Key(label), "fx", 5000, Day(1), Day(11));
    request.mutable_packages(0)->set_pricing_option_id("cpm_fx");
    return request;
  }

  static void ExpectRefused(const Outcome<v1::ComplyTestControllerResponse>& r,
                            const std::string& code, const std::string& what) {
    ASSERT_TRUE(r.ok()) << what << ": " << r.status.error_message();
    EXPECT_FALSE(r.response.success()) << what;
    EXPECT_EQ(r.response.error(), code)
        << what << ": " << r.response.error_detail();
    EXPECT_FALSE(r.response.error_detail().empty()) << what;
    EXPECT_TRUE(r.response.context().fields().contains("run"))
        << what << ": the context is not echoed";
  }
};

TEST_F(ComplyControllerTest, ExistsOnlyInSandboxTenants) {
  auto absent = Control(tokens_["nyt_a"], "list_scenarios");
  EXPECT_EQ(absent.status.error_code(), grpc::StatusCode::NOT_FOUND);
  v1::GetAdcpCapabilitiesResponse before =
      Call(&Stub::GetAdcpCapabilities, kNyt, tokens_["nyt_a"],
           v1::GetAdcpCapabilitiesRequest())
          .response;
  EXPECT_FALSE(before.has_compliance_testing());

  MakeSandbox(kNyt);
  auto listed = Control(tokens_["nyt_a"], "list_scenarios");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed.response.success());
  EXPECT_GE(listed.response.scenarios_size(), 9);
  EXPECT_EQ(listed.response.context().fields().at("run").string_value(),
            "list_scenarios");
  auto capabilities = Call(&Stub::GetAdcpCapabilities, kNyt, tokens_["nyt_a"],
                           v1::GetAdcpCapabilitiesRequest());
  ASSERT_TRUE(capabilities.ok());
  EXPECT_EQ(capabilities.response.compliance_testing()
                .fields()
                .at("scenarios")
                .list_value()
                .values_size(),
            5);
  schemas_.Add("protocol/get-adcp-capabilities-response.json", "sandbox",
               capabilities.response);
  // The other tenant is untouched.
  EXPECT_EQ(
      Control(tokens_["local_a"], "list_scenarios", json::object(), kLocal)
          .status.error_code(),
      grpc::StatusCode::NOT_FOUND);

  ExpectRefused(Control(tokens_["nyt_a"], "no_such_scenario"),
                "UNKNOWN_SCENARIO", "unknown scenario");
  ExpectRefused(Control(tokens_["nyt_a"], "force_creative_status"),
                "INVALID_PARAMS", "no params");
  ExpectRefused(Control(tokens_["nyt_a"], "force_creative_status",
                        {{"creative_id", "nobody"}, {"status", "approved"}}),
                "NOT_FOUND", "unknown creative");
}

TEST_F(ComplyControllerTest, SeedsProductsAndForcesBuyStates) {
  MakeSandbox(kNyt);
  SeedProduct("fx", "cpm_fx");
  v1::GetProductsRequest wholesale;
  wholesale.set_buying_mode("wholesale");
  auto products =
      Call(&Stub::GetProducts, kNyt, tokens_["nyt_b"], wholesale).response;
  const v1::Product* seeded = nullptr;
  for (const auto& product : products.products())
    if (product.product_id() == "fx") seeded = &product;
  ASSERT_NE(seeded, nullptr);
  ASSERT_EQ(seeded->pricing_options_size(), 1);  // the placeholder is gone
  EXPECT_EQ(seeded->pricing_options(0).pricing_option_id(), "cpm_fx");
  EXPECT_EQ(seeded->format_ids(0).agent_url(), Format("video_30s").agent_url());
  EXPECT_EQ(seeded->delivery_type(), "guaranteed");
  schemas_.Add("media-buy/get-products-response.json", "seeded", products);

  const auto buy = MustCreate(kNyt, tokens_["nyt_a"], FixtureBuy("fx-buy"));
  const std::string id = buy.media_buy_id();
  EXPECT_EQ(MustGetBuy(kNyt, tokens_["nyt_a"], id).status(),
            "pending_creatives");
  // Another buyer's buy is NOT_FOUND, exactly like a missing one.
  ExpectRefused(Control(tokens_["nyt_b"], "force_media_buy_status",
                        {{"media_buy_id", id}, {"status", "active"}}),
                "NOT_FOUND", "another buyer's buy");
  ExpectRefused(Control(tokens_["nyt_a"], "force_media_buy_status",
                        {{"media_buy_id", id}, {"status", "dreaming"}}),
                "INVALID_PARAMS", "unknown status");

  auto active = Control(tokens_["nyt_a"], "force_media_buy_status",
                        {{"media_buy_id", id}, {"status", "active"}});
  ASSERT_TRUE(active.response.success()) << active.response.error_detail();
  EXPECT_EQ(active.response.previous_state(), "pending_creatives");
  EXPECT_EQ(active.response.current_state(), "active");
  EXPECT_EQ(MustGetBuy(kNyt, tokens_["nyt_a"], id).status(), "active");

  auto completed = Control(tokens_["nyt_a"], "force_media_buy_status",
                           {{"media_buy_id", id}, {"status", "completed"}});
  ASSERT_TRUE(completed.response.success());
  EXPECT_EQ(MustGetBuy(kNyt, tokens_["nyt_a"], id).status(), "completed");
  auto back = Control(tokens_["nyt_a"], "force_media_buy_status",
                      {{"media_buy_id", id}, {"status", "active"}});
  ExpectRefused(back, "INVALID_TRANSITION", "completed -> active");
  EXPECT_EQ(back.response.current_state(), "completed");
  EXPECT_EQ(MustGetBuy(kNyt, tokens_["nyt_a"], id).status(), "completed");
}

// seed_media_buy: a buy of the caller's under the storyboard's id, with one
// package on a product the caller sees, in the forced status; get_media_buys
// lists it with a valid answer. Another buyer's id and bad fixtures are
// refused; the caller's own id is re-seeded in place.
TEST_F(ComplyControllerTest, SeedsMediaBuysOfTheCaller) {
  MakeSandbox(kNyt);
  SeedProduct("fx", "cpm_fx");
  auto seeded = Control(tokens_["nyt_a"], "seed_media_buy",
                        {{"media_buy_id", "seeded_mb_1"},
                         {"fixture",
                          {{"status", "active"},
                           {"product_id", "fx"},
                           {"budget", {{"total", 4000}, {"currency", "USD"}}},
                           {"flight",
                            {{"start", "2026-04-01T00:00:00Z"},
                             {"end", "2036-06-30T23:59:59Z"}}}}}});
  ASSERT_TRUE(seeded.response.success()) << seeded.response.error_detail();
  v1::GetMediaBuysRequest by_id;
  by_id.add_media_buy_ids("seeded_mb_1");
  auto listed = Call(&Stub::GetMediaBuys, kNyt, tokens_["nyt_a"], by_id);
  ASSERT_TRUE(listed.ok()) << listed.status.error_message();
  ASSERT_EQ(listed.response.media_buys_size(), 1);
  const v1::MediaBuy& buy = listed.response.media_buys(0);
  EXPECT_EQ(buy.status(), "active");
  EXPECT_EQ(buy.currency(), "USD");
  EXPECT_EQ(buy.total_budget(), 4000);
  ASSERT_EQ(buy.packages_size(), 1);
  EXPECT_EQ(buy.packages(0).product_id(), "fx");
  EXPECT_EQ(buy.packages(0).pricing_option_id(), "cpm_fx");
  EXPECT_FALSE(listed.response.pagination().has_more());
  schemas_.Add("media-buy/get-media-buys-response.json", "seeded buy",
               listed.response);

  // Re-seeded in place: the fixture's status, the same package.
  auto paused = Control(
      tokens_["nyt_a"], "seed_media_buy",
      {{"media_buy_id", "seeded_mb_1"}, {"fixture", {{"status", "paused"}}}});
  ASSERT_TRUE(paused.response.success()) << paused.response.error_detail();
  EXPECT_EQ(MustGetBuy(kNyt, tokens_["nyt_a"], "seeded_mb_1").status(),
            "paused");
  EXPECT_EQ(Scalar("SELECT count(*) FROM packages WHERE media_buy_id = "
                   "'seeded_mb_1'"),
            "1");

  // Another buyer cannot take the id, and does not see the buy.
  ExpectRefused(Control(tokens_["nyt_b"], "seed_media_buy",
                        {{"media_buy_id", "seeded_mb_1"}}),
                "FORBIDDEN", "another buyer's media buy id");
  EXPECT_EQ(Scalar("SELECT principal_id FROM media_buys WHERE media_buy_id = "
                   "'seeded_mb_1'"),
            "buyer_a");
  ExpectRefused(Control(tokens_["nyt_a"], "seed_media_buy", json::object()),
                "INVALID_PARAMS", "no media_buy_id");
  ExpectRefused(Control(tokens_["nyt_a"], "seed_media_buy",
                        {{"media_buy_id", "seeded_mb_2"},
                         {"fixture", {{"status", "dreaming"}}}}),
                "INVALID_PARAMS", "unknown status");
  ExpectRefused(Control(tokens_["nyt_a"], "seed_media_buy",
                        {{"media_buy_id", "seeded_mb_2"},
                         {"fixture", {{"budget", {{"total", -5}}}}}}),
                "INVALID_PARAMS", "negative budget");
  ExpectRefused(Control(tokens_["nyt_a"], "seed_media_buy",
                        {{"media_buy_id", "seeded_mb_2"},
                         {"fixture", {{"flight", {{"start", "soon"}}}}}}),
                "INVALID_PARAMS", "a flight start that is no time");
  ExpectRefused(Control(tokens_["nyt_a"], "seed_media_buy",
                        {{"media_buy_id", "seeded_mb_1"},
                         {"fixture", {{"currency", "EUR"}}}}),
                "INVALID_PARAMS", "another currency on re-seed");
  EXPECT_EQ(Scalar("SELECT count(*) FROM media_buys WHERE media_buy_id = "
                   "'seeded_mb_2'"),
            "0");
}

// A buy forced active has gone live: the buyer's next update clears the
// forced status and the buy still reads active (AdCP's lifecycle has no edge
// back to pending_creatives), and the controller refuses that edge too.
TEST_F(ComplyControllerTest, ALiveBuyStaysOutOfThePendingStates) {
  MakeSandbox(kNyt);
  SeedProduct("fx", "cpm_fx");
  const std::string id =
      MustCreate(kNyt, tokens_["nyt_a"], FixtureBuy("fx-live")).media_buy_id();
  ASSERT_EQ(MustGetBuy(kNyt, tokens_["nyt_a"], id).status(),
            "pending_creatives");
  ASSERT_TRUE(Control(tokens_["nyt_a"], "force_media_buy_status",
                      {{"media_buy_id", id}, {"status", "active"}})
                  .response.success());
  v1::UpdateMediaBuyRequest later = UpdateRequest(id);
  later.set_end_time(
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", Day(12), absl::UTCTimeZone()));
  auto updated = Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], later);
  ASSERT_TRUE(updated.ok()) << updated.status.error_message();
  EXPECT_EQ(updated.response.status(), "active");
  EXPECT_EQ(MustGetBuy(kNyt, tokens_["nyt_a"], id).status(), "active");
  EXPECT_EQ(Scalar("SELECT forced_status IS NULL AND went_live FROM "
                   "media_buys WHERE media_buy_id = '" +
                   id + "'"),
            "t");
  ExpectRefused(
      Control(tokens_["nyt_a"], "force_media_buy_status",
              {{"media_buy_id", id}, {"status", "pending_creatives"}}),
      "INVALID_TRANSITION", "active -> pending_creatives");
}

// The controller changes only what the caller could buy: another buyer's
// restricted product is refused, untouched; a forced status gives way to the
// buyer's own next change; a final forced state closes the buy for real.
TEST_F(ComplyControllerTest, ForcedStatesAndSeedsStayWithinTheCallersReach) {
  MakeSandbox(kNyt);
  Exec(
      "UPDATE products SET allowed_principal_ids = ARRAY['buyer_b'] "
      "WHERE tenant_id = 'nytimes' AND product_id = 'nyt_display'");
  const std::string before = Scalar(
      "SELECT md5(p::text) FROM products p WHERE product_id = 'nyt_display'");
  ExpectRefused(Control(tokens_["nyt_a"], "seed_pricing_option",
                        {{"product_id", "nyt_display"},
                         {"pricing_option_id", "cheap"},
                         {"fixture", {{"fixed_price", 0.01}}}}),
                "FORBIDDEN", "another buyer's restricted product");
  ExpectRefused(Control(tokens_["nyt_a"], "seed_product",
                        {{"product_id", "nyt_display"}}),
                "FORBIDDEN", "re-seeding another buyer's restricted product");
  EXPECT_EQ(Scalar("SELECT md5(p::text) FROM products p WHERE product_id = "
                   "'nyt_display'"),
            before);
  // The buyer it is open to may re-seed it; it stays restricted to them.
  auto own = Control(tokens_["nyt_b"], "seed_pricing_option",
                     {{"product_id", "nyt_display"},
                      {"pricing_option_id", "sandbox_cpm"},
                      {"fixture", {{"fixed_price", 3}}}});
  ASSERT_TRUE(own.response.success()) << own.response.error_detail();
  EXPECT_EQ(Scalar("SELECT allowed_principal_ids::text FROM products WHERE "
                   "product_id = 'nyt_display'"),
            "{buyer_b}");

  SeedProduct("fx", "cpm_fx");
  const std::string id =
      MustCreate(kNyt, tokens_["nyt_a"], FixtureBuy("fx-force")).media_buy_id();
  ASSERT_TRUE(Control(tokens_["nyt_a"], "force_media_buy_status",
                      {{"media_buy_id", id}, {"status", "paused"}})
                  .response.success());
  v1::UpdateMediaBuyRequest resume;
  resume.set_idempotency_key(Key("resume"));
  resume.set_media_buy_id(id);
  resume.mutable_account()->mutable_brand()->set_domain("acme.example");
  resume.mutable_account()->set_operator_("agency.example");
  resume.set_paused(false);
  auto resumed = Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], resume);
  ASSERT_TRUE(resumed.ok()) << resumed.status.error_message();
  EXPECT_NE(resumed.response.status(), "paused");
  EXPECT_EQ(MustGetBuy(kNyt, tokens_["nyt_a"], id).status(),
            resumed.response.status());

  ASSERT_TRUE(Control(tokens_["nyt_a"], "force_media_buy_status",
                      {{"media_buy_id", id}, {"status", "canceled"}})
                  .response.success());
  EXPECT_EQ(
      Scalar("SELECT status FROM media_buys WHERE media_buy_id = '" + id + "'"),
      "canceled");

  // A task id of another buyer cannot be forced.
  ASSERT_TRUE(Control(tokens_["nyt_a"], "force_create_media_buy_arm",
                      {{"arm", "submitted"}, {"task_id", "task_of_a"}})
                  .response.success());
  MustCreate(kNyt, tokens_["nyt_a"], FixtureBuy("fx-task-a"));
  ExpectRefused(Control(tokens_["nyt_b"], "force_create_media_buy_arm",
                        {{"arm", "submitted"}, {"task_id", "task_of_a"}}),
                "INVALID_PARAMS", "another buyer's task id");
  EXPECT_EQ(Scalar("SELECT principal_id FROM human_tasks WHERE task_id = "
                   "'task_of_a'"),
            "buyer_a");
}

TEST_F(ComplyControllerTest, CreativeStatesFollowTheirMachine) {
  MakeSandbox(kNyt);
  auto seeded = Control(tokens_["nyt_a"], "seed_creative",
                        {{"creative_id", "cr_fx"},
                         {"fixture",
                          {{"status", "processing"},
                           {"format_id", {{"id", "display_300x250"}}}}}});
  ASSERT_TRUE(seeded.response.success()) << seeded.response.error_detail();
  auto approve = Control(tokens_["nyt_a"], "force_creative_status",
                         {{"creative_id", "cr_fx"}, {"status", "approved"}});
  ASSERT_TRUE(approve.response.success()) << approve.response.error_detail();
  EXPECT_EQ(approve.response.previous_state(), "processing");
  auto archive = Control(tokens_["nyt_a"], "force_creative_status",
                         {{"creative_id", "cr_fx"}, {"status", "archived"}});
  ASSERT_TRUE(archive.response.success());
  auto invalid = Control(tokens_["nyt_a"], "force_creative_status",
                         {{"creative_id", "cr_fx"}, {"status", "processing"}});
  ExpectRefused(invalid, "INVALID_TRANSITION", "archived -> processing");
  EXPECT_EQ(invalid.response.current_state(), "archived");
  // The creative is the caller's: another buyer cannot see it.
  ExpectRefused(Control(tokens_["nyt_b"], "force_creative_status",
                        {{"creative_id", "cr_fx"}, {"status", "approved"}}),
                "NOT_FOUND", "another buyer's creative");
  EXPECT_EQ(Scalar("SELECT status FROM creatives WHERE creative_id = 'cr_fx'"),
            "archived");
}

TEST_F(ComplyControllerTest, SimulatedDeliveryAndTheSubmittedArm) {
  MakeSandbox(kNyt);
  SeedProduct("fx", "cpm_fx");
  const std::string id =
      MustCreate(kNyt, tokens_["nyt_a"], FixtureBuy("fx-delivery"))
          .media_buy_id();
  auto simulated =
      Control(tokens_["nyt_a"], "simulate_delivery",
              {{"media_buy_id", id},
               {"impressions", 10000},
               {"clicks", 150},
               {"reported_spend", {{"amount", 150}, {"currency", "USD"}}}});
  ASSERT_TRUE(simulated.response.success())
      << simulated.response.error_detail();
  Control(tokens_["nyt_a"], "simulate_delivery",
          {{"media_buy_id", id}, {"impressions", 5}});
  v1::GetMediaBuyDeliveryRequest delivery_request;
  delivery_request.add_media_buy_ids(id);
  auto delivery = Call(&Stub::GetMediaBuyDelivery, kNyt, tokens_["nyt_a"],
                       delivery_request);
  ASSERT_TRUE(delivery.ok()) << delivery.status.error_message();
  ASSERT_EQ(delivery.response.media_buy_deliveries_size(), 1);
  EXPECT_EQ(delivery.response.media_buy_deliveries(0).totals().impressions(),
            10005);
  EXPECT_EQ(delivery.response.media_buy_deliveries(0).totals().clicks(), 150);
  EXPECT_EQ(delivery.response.media_buy_deliveries(0).totals().spend(), 150);
  schemas_.Add("media-buy/get-media-buy-delivery-response.json", "simulated",
               delivery.response);

  auto spend = Control(tokens_["nyt_a"], "simulate_budget_spend",
                       {{"media_buy_id", id}, {"spend_percentage", 95}});
  ASSERT_TRUE(spend.response.success()) << spend.response.error_detail();
  EXPECT_EQ(
      spend.response.simulated().fields().at("computed_spend").number_value(),
      4750);
  ExpectRefused(Control(tokens_["nyt_a"], "simulate_budget_spend",
                        {{"media_buy_id", id}, {"spend_percentage", 101}}),
                "INVALID_PARAMS", "over 100 percent");

  auto armed = Control(tokens_["nyt_a"], "force_create_media_buy_arm",
                       {{"arm", "submitted"},
                        {"task_id", "task_fx_io"},
                        {"message", "Awaiting IO signature"}});
  ASSERT_TRUE(armed.response.success()) << armed.response.error_detail();
  EXPECT_EQ(armed.response.forced().fields().at("task_id").string_value(),
            "task_fx_io");
  // The directive is the caller's: another buyer's create is untouched.
  EXPECT_FALSE(MustCreate(kNyt, tokens_["nyt_b"], FixtureBuy("fx-b"))
                   .media_buy_id()
                   .empty());
  const auto submitted =
      MustCreate(kNyt, tokens_["nyt_a"], FixtureBuy("fx-submitted"));
  EXPECT_EQ(submitted.status(), "submitted");
  EXPECT_EQ(submitted.task_id(), "task_fx_io");
  EXPECT_EQ(submitted.message(), "Awaiting IO signature");
  EXPECT_TRUE(submitted.media_buy_id().empty());
  EXPECT_EQ(submitted.packages_size(), 0);
  schemas_.Add("media-buy/create-media-buy-response.json", "submitted arm",
               submitted);
  // Consumed: the next create is confirmed at once.
  EXPECT_FALSE(MustCreate(kNyt, tokens_["nyt_a"], FixtureBuy("fx-after"))
                   .media_buy_id()
                   .empty());
  // The same task id can be armed again (the earlier task is renamed).
  ASSERT_TRUE(Control(tokens_["nyt_a"], "force_create_media_buy_arm",
                      {{"arm", "submitted"}, {"task_id", "task_fx_io"}})
                  .response.success());
  EXPECT_EQ(
      MustCreate(kNyt, tokens_["nyt_a"], FixtureBuy("fx-again")).task_id(),
      "task_fx_io");
  EXPECT_EQ(Count("SELECT count(*) FROM human_tasks WHERE task_id LIKE "
                  "'task_fx_io%'"),
            2);
}

TEST_F(ComplyControllerTest, AccountsOutOfGoodStandingCannotBuy) {
  MakeSandbox(kNyt);
  SeedProduct("fx", "cpm_fx");
  MustCreate(kNyt, tokens_["nyt_a"], FixtureBuy("fx-first"));
  const std::string account = Scalar(
      "SELECT account_id FROM accounts WHERE tenant_id = 'nytimes' LIMIT 1");
  ASSERT_FALSE(account.empty());
  ExpectRefused(Control(tokens_["nyt_b"], "force_account_status",
                        {{"account_id", account}, {"status", "suspended"}}),
                "NOT_FOUND", "another buyer's account");
  for (const auto& [status, code] :
       std::vector<std::pair<std::string, std::string>>{
           {"suspended", "ACCOUNT_SUSPENDED"},
           {"payment_required", "ACCOUNT_PAYMENT_REQUIRED"}}) {
    auto forced = Control(tokens_["nyt_a"], "force_account_status",
                          {{"account_id", account}, {"status", status}});
    ASSERT_TRUE(forced.response.success()) << forced.response.error_detail();
    EXPECT_EQ(forced.response.previous_state(), "active");
    v1::CreateMediaBuyRequest request = FixtureBuy("fx-" + status);
    auto refused = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], request);
    EXPECT_FALSE(refused.ok()) << status;
    EXPECT_EQ(refused.error.code(), code);
    EXPECT_EQ(refused.error.recovery(), "terminal");
    ASSERT_TRUE(Control(tokens_["nyt_a"], "force_account_status",
                        {{"account_id", account}, {"status", "active"}})
                    .response.success());
    EXPECT_TRUE(
        Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], request).ok())
        << "the same request once the account is active again";
  }
  auto closed = Control(tokens_["nyt_a"], "force_account_status",
                        {{"account_id", account}, {"status", "closed"}});
  ASSERT_TRUE(closed.response.success());
  ExpectRefused(Control(tokens_["nyt_a"], "force_account_status",
                        {{"account_id", account}, {"status", "active"}}),
                "INVALID_TRANSITION", "closed is final");
}

TEST_F(ComplyControllerTest,
       AnonymousDiscoveryOnlyWhereAllowedAndWithoutPrices) {
  v1::GetProductsRequest wholesale;
  wholesale.set_buying_mode("wholesale");
  EXPECT_EQ(Call(&Stub::GetProducts, kNyt, "", wholesale).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call(&Stub::ListCreativeFormats, kNyt, "",
                 v1::ListCreativeFormatsRequest())
                .status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  Configure(kNyt, R"({"features":{"anonymous_discovery":true}})",
            [&] { return Call(&Stub::GetProducts, kNyt, "", wholesale).ok(); });
  Exec(
      "UPDATE products SET allowed_principal_ids = ARRAY['buyer_b'] "
      "WHERE tenant_id = 'nytimes' AND product_id = 'nyt_display'");
  // Products are cached until the change's NOTIFY arrives (milliseconds).
  auto restricted_seen = [&] {
    auto got = Call(&Stub::GetProducts, kNyt, tokens_["nyt_a"], wholesale);
    for (const auto& product : got.response.products())
      if (product.product_id() == "nyt_display") return false;
    return got.ok();
  };
  for (int i = 0; i < 500 && !restricted_seen(); ++i)
    absl::SleepFor(absl::Milliseconds(10));
  ASSERT_TRUE(restricted_seen());
  auto anonymous = Call(&Stub::GetProducts, kNyt, "", wholesale);
  ASSERT_TRUE(anonymous.ok());
  ASSERT_GT(anonymous.response.products_size(), 0);
  for (const auto& product : anonymous.response.products()) {
    EXPECT_NE(product.product_id(), "nyt_display") << "a restricted product";
    for (const auto& option : product.pricing_options()) {
      EXPECT_FALSE(option.has_fixed_price()) << product.product_id();
      EXPECT_FALSE(option.has_floor_price()) << product.product_id();
      EXPECT_FALSE(option.has_min_spend_per_package()) << product.product_id();
      EXPECT_FALSE(option.has_price_guidance()) << product.product_id();
      EXPECT_FALSE(option.pricing_option_id().empty());
    }
  }
  schemas_.Add("media-buy/get-products-response.json", "anonymous",
               anonymous.response);
  // A principal still sees prices; other tasks still need one.
  auto known = Call(&Stub::GetProducts, kNyt, tokens_["nyt_a"], wholesale);
  ASSERT_GT(known.response.products_size(), 0);
  bool priced = false;
  for (const auto& product : known.response.products())
    for (const auto& option : product.pricing_options())
      priced |= option.has_fixed_price() || option.has_floor_price();
  EXPECT_TRUE(priced);
  EXPECT_TRUE(Call(&Stub::ListCreativeFormats, kNyt, "",
                   v1::ListCreativeFormatsRequest())
                  .ok());
  EXPECT_EQ(Call(&Stub::CreateMediaBuy, kNyt, "",
                 BuyRequest(Key("anon"), "nyt_display", 100, Day(1), Day(2)))
                .status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // The other tenant did not opt in.
  EXPECT_EQ(Call(&Stub::GetProducts, kLocal, "", wholesale).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

// REST transcoded by a gateway (Envoy's grpc_json_transcoder) reaches
// media-buy without x-tenant-id: the gateway forwards the Host it received
// as x-adcp-tenant-host and the guard resolves the tenant from it, like the
// agent edge does.
TEST_F(ComplyControllerTest, TheTenantCanComeFromTheForwardedHost) {
  v1::GetProductsRequest wholesale;
  wholesale.set_buying_mode("wholesale");
  auto products = [&](const std::string& host, const std::string& token) {
    auto context = adcp::testing::Suite::Context("", token, "");
    context->AddMetadata(kTenantHostKey, host);
    v1::GetProductsResponse response;
    const grpc::Status status =
        stub_->GetProducts(context.get(), wholesale, &response);
    return std::make_pair(status, response);
  };
  auto [ok, response] = products("NYTimes.sales.test:443", tokens_["nyt_a"]);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  ASSERT_GT(response.products_size(), 0);
  for (const auto& product : response.products())
    EXPECT_TRUE(absl::StartsWith(product.product_id(), "nyt_"));
  // The host decides the tenant: nytimes' token is worthless at localnews.
  EXPECT_EQ(
      products("localnews.sales.test", tokens_["nyt_a"]).first.error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  // Unknown hosts, the bare base domain and deeper names are no tenant.
  for (const char* host : {"nobody.sales.test", "sales.test",
                           "a.nytimes.sales.test", "nytimes.example.org"}) {
    const grpc::Status status = products(host, tokens_["nyt_a"]).first;
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << host;
    EXPECT_EQ(status.error_message(), "Tenant not found") << host;
  }
}

}  // namespace
}  // namespace adcp::media_buy::testing
