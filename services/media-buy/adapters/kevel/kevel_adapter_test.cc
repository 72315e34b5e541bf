// The Kevel adapter against a fake Kevel: the exact requests of creating,
// resuming, changing a buy, its creatives and delivery, dry runs and
// credentials (kevel_upstream_test.cc has refusals, retries and the breaker).
#include <gtest/gtest.h>

#include "services/media-buy/adapters/kevel/kevel_adapter_test_fixture.h"

namespace adcp::media_buy::kevel_test {
namespace {

TEST_F(KevelAdapterTest, CreateSendsCampaignAndOneFlightPerPackage) {
  auto adapter = Adapter(Context());
  CreatedOrder order;
  ASSERT_TRUE(adapter->CreateMediaBuy(Buy(), order).ok());

  auto campaigns = Requests("POST", "/v1/campaign");
  ASSERT_EQ(campaigns.size(), 1u);
  EXPECT_EQ(campaigns[0].headers["x-adzerk-apikey"], kKey);
  EXPECT_EQ(campaigns[0].headers["content-type"], "application/json");
  const json campaign = json::parse(campaigns[0].body);
  EXPECT_EQ(campaign["Name"], "AdCP mb_1");
  EXPECT_EQ(campaign["AdvertiserId"], 42);  // the principal's mapping
  EXPECT_EQ(campaign["IsActive"], false);   // until every flight exists
  EXPECT_EQ(json::parse(campaign["CustomFieldsJson"].get<std::string>()),
            json({{"adcp_media_buy_id", "mb_1"}}));
  EXPECT_TRUE(Requests("GET", "/v1/advertiser").empty());

  auto flights = Requests("POST", "/v1/flight");
  ASSERT_EQ(flights.size(), 2u);
  const json cpm = json::parse(flights[0].body);
  EXPECT_EQ(cpm["Name"], "AdCP mb_1 pkg_1");
  EXPECT_EQ(cpm["CampaignId"], std::stoll(order.order_id));
  EXPECT_EQ(cpm["PriorityId"], 7);
  EXPECT_EQ(cpm["StartDateISO"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(cpm["EndDateISO"], "2026-02-01T00:00:00Z");
  EXPECT_EQ(cpm["RateType"], 2);
  EXPECT_DOUBLE_EQ(cpm["Price"].get<double>(), 12.5);
  EXPECT_EQ(cpm["GoalType"], 8);  // lifetime revenue = the budget
  EXPECT_EQ(cpm["Impressions"], 5000);
  EXPECT_EQ(cpm["CapType"], 4);
  EXPECT_EQ(cpm["LifetimeCapAmount"], 5000);
  const json flat = json::parse(flights[1].body);
  EXPECT_EQ(flat["RateType"], 1);
  EXPECT_DOUBLE_EQ(flat["Price"].get<double>(), 1500);
  EXPECT_EQ(flat["GoalType"], 1);
  EXPECT_EQ(flat["Impressions"], 100000);

  EXPECT_FALSE(order.order_id.empty());
  EXPECT_EQ(order.line_ids.size(), 2u);
  EXPECT_NE(order.line_ids["pkg_1"], order.line_ids["pkg_2"]);
  EXPECT_TRUE(order.failed_step.empty());
  // Then the campaign is switched on, as a whole-object PUT.
  auto activated = Requests("PUT", "/v1/campaign/" + order.order_id);
  ASSERT_EQ(activated.size(), 1u);
  EXPECT_EQ(json::parse(activated[0].body)["IsActive"], true);
  EXPECT_EQ(order.upstream["activated"], true);
}

TEST_F(KevelAdapterTest, AdvertiserIsFoundByTitleOrCreated) {
  AdapterContext context = Context();
  context.principal_mappings = json::object();
  server_.SetScript([](const RecordedRequest& r) {
    if (r.method == "GET" && r.target == "/v1/advertiser")
      return Json({{"items", {{{"Id", 77}, {"Title", "AdCP buyer_a"}}}}});
    return HappyKevel(r);
  });
  CreatedOrder found;
  ASSERT_TRUE(Adapter(context)->CreateMediaBuy(Buy(), found).ok());
  EXPECT_EQ(found.upstream["advertiser_id"], "77");
  EXPECT_TRUE(Requests("POST", "/v1/advertiser").empty());
  EXPECT_EQ(
      json::parse(Requests("POST", "/v1/campaign")[0].body)["AdvertiserId"],
      77);

  server_.SetScript(HappyKevel);
  server_.Clear();
  CreatedOrder created;
  ASSERT_TRUE(Adapter(context)->CreateMediaBuy(Buy(), created).ok());
  auto posted = Requests("POST", "/v1/advertiser");
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(json::parse(posted[0].body)["Title"], "AdCP buyer_a");
}

TEST_F(KevelAdapterTest, HalfwayFailureIsResumedWithoutDuplicates) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.method == "POST" && r.target == "/v1/flight" &&
        absl::StrContains(r.body, "pkg_2"))
      return Json({{"message", "internal error"}}, 503);
    return HappyKevel(r);
  });
  CreatedOrder order;
  absl::Status failed = Adapter(Context())->CreateMediaBuy(Buy(), order);
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(
      failed.message(),
      "Kevel failed create flight for package pkg_2: HTTP 503: internal "
      "error"))
      << failed.message();
  EXPECT_EQ(order.failed_step, "create_flight:pkg_2");
  EXPECT_FALSE(order.order_id.empty());
  EXPECT_EQ(order.line_ids.count("pkg_1"), 1u);
  EXPECT_EQ(order.line_ids.count("pkg_2"), 0u);
  // A create is never retried by the client: Kevel may have created it.
  EXPECT_EQ(Requests("POST", "/v1/flight").size(), 2u);

  // The retry starts from what was persisted: it looks for the flight whose
  // creation had an unknown outcome, then creates only that one.
  AdapterBuy retry = Buy();
  retry.order_id = order.order_id;
  retry.upstream = order.upstream;
  retry.packages[0].line_id = order.line_ids["pkg_1"];
  CreatedOrder resumed{.order_id = retry.order_id,
                       .line_ids = order.line_ids,
                       .upstream = order.upstream};
  server_.SetScript(HappyKevel);
  server_.Clear();
  ASSERT_TRUE(Adapter(Context())->CreateMediaBuy(retry, resumed).ok());
  EXPECT_TRUE(Requests("POST", "/v1/campaign").empty());
  EXPECT_EQ(
      Requests("GET", "/v1/campaign/" + order.order_id + "/flight").size(), 1u);
  auto flights = Requests("POST", "/v1/flight");
  ASSERT_EQ(flights.size(), 1u);
  EXPECT_EQ(json::parse(flights[0].body)["Name"], "AdCP mb_1 pkg_2");
  EXPECT_EQ(resumed.line_ids.size(), 2u);
  EXPECT_TRUE(resumed.failed_step.empty());
  EXPECT_FALSE(resumed.upstream.contains("uncertain"));
}

TEST_F(KevelAdapterTest, TimedOutCreateIsLookedUpBeforeItIsRetried) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.method == "POST" && r.target == "/v1/campaign")
      return FakeAnswer{.hang = true};
    return HappyKevel(r);
  });
  CreatedOrder order;
  absl::Status failed = Adapter(Context())->CreateMediaBuy(Buy(), order);
  server_.Release();
  EXPECT_EQ(failed.code(), absl::StatusCode::kDeadlineExceeded) << failed;
  EXPECT_EQ(order.failed_step, "create_campaign");
  EXPECT_EQ(order.upstream["uncertain"], "create_campaign");
  EXPECT_EQ(Requests("POST", "/v1/campaign").size(), 1u);

  // A retry while Kevel cannot even be asked keeps the doubt: it creates
  // nothing, and the next retry still looks first.
  server_.SetScript([](const RecordedRequest& r) {
    if (r.method == "GET" && r.target == "/v1/campaign")
      return Json({{"message", "unavailable"}}, 503);
    return HappyKevel(r);
  });
  server_.Clear();
  CreatedOrder unsure{.upstream = order.upstream};
  AdapterBuy again = Buy();
  again.upstream = order.upstream;
  EXPECT_FALSE(Adapter(Context())->CreateMediaBuy(again, unsure).ok());
  EXPECT_EQ(unsure.failed_step, "create_campaign");
  EXPECT_EQ(unsure.upstream["uncertain"], "create_campaign");
  EXPECT_TRUE(Requests("POST", "/v1/campaign").empty());
  order.upstream = unsure.upstream;
  now_ += deps_.policy.breaker_cooldown;  // those failures opened the breaker

  // Kevel did create it: the retry adopts it instead of creating another.
  server_.SetScript([](const RecordedRequest& r) {
    if (r.method == "GET" && r.target == "/v1/campaign")
      return Json(
          {{"items",
            {{{"Id", 9}, {"Name", "AdCP mb_1"}, {"AdvertiserId", 42}}}}});
    return HappyKevel(r);
  });
  server_.Clear();
  CreatedOrder resumed{.upstream = order.upstream};
  AdapterBuy retry = Buy();
  retry.upstream = order.upstream;
  ASSERT_TRUE(Adapter(Context())->CreateMediaBuy(retry, resumed).ok());
  EXPECT_EQ(resumed.order_id, "9");
  EXPECT_TRUE(Requests("POST", "/v1/campaign").empty());
  EXPECT_EQ(Requests("POST", "/v1/flight").size(), 2u);
}

TEST_F(KevelAdapterTest, PauseAndBudgetChangesRewriteWholeObjects) {
  AdapterBuy buy = Buy();
  buy.order_id = "9";
  buy.packages[0].line_id = "11";
  buy.packages[1].line_id = "12";
  AdapterPackage changed = buy.packages[0];
  changed.budget = 8000 * kMicrosPerUnit;
  changed.paused = true;
  ASSERT_TRUE(Adapter(Context())
                  ->UpdateMediaBuy(buy, {.paused = true, .packages = {changed}})
                  .ok());
  auto campaign = Requests("PUT", "/v1/campaign/9");
  ASSERT_EQ(campaign.size(), 1u);
  const json put = json::parse(campaign[0].body);
  EXPECT_EQ(put["IsActive"], false);
  EXPECT_EQ(put["Name"], "AdCP mb_1");  // what Kevel had is sent back
  auto flight = Requests("PUT", "/v1/flight/11");
  ASSERT_EQ(flight.size(), 1u);
  const json f = json::parse(flight[0].body);
  EXPECT_EQ(f["IsActive"], false);
  EXPECT_EQ(f["LifetimeCapAmount"], 8000);
  EXPECT_EQ(f["Impressions"], 8000);  // the revenue goal follows the budget
  EXPECT_EQ(f["Keywords"], "keep-me");
  EXPECT_TRUE(Requests("PUT", "/v1/flight/12").empty());

  server_.Clear();
  ASSERT_TRUE(Adapter(Context())->UpdateMediaBuy(buy, {.paused = false}).ok());
  EXPECT_EQ(json::parse(Requests("PUT", "/v1/campaign/9")[0].body)["IsActive"],
            true);
}

TEST_F(KevelAdapterTest, CreativesBecomeCreativesAndAds) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.method == "GET" && r.target == "/v1/flight/12/creative")
      return Json({{"items", {{{"Id", 1}, {"Creative", {{"Id", 555}}}}}}});
    return HappyKevel(r);
  });
  AdapterBuy buy = Buy();
  buy.order_id = "9";
  buy.packages[0].line_id = "11";
  buy.packages[1].line_id = "12";
  AdapterCreative banner{
      .creative_id = "cr_1",
      .name = "Spring banner",
      .format_id = "display_300x250",
      .assets = {{"image",
                  {{"asset_type", "image"},
                   {"url", "https://cdn.example/a.png"},
                   {"width", 300},
                   {"height", 250}}},
                 {"click_url",
                  {{"asset_type", "url"}, {"url", "https://acme.example/"}}}},
      .package_ids = {"pkg_1"}};
  AdapterCreative known{.creative_id = "cr_2",
                        .name = "Known",
                        .package_ids = {"pkg_2"},
                        .platform_id = "555"};
  std::map<std::string, std::string> ids;
  absl::Status added =
      Adapter(Context())->AddCreatives(buy, {banner, known}, ids);
  ASSERT_TRUE(added.ok()) << added;
  EXPECT_EQ(ids["cr_2"], "555");
  auto creatives = Requests("POST", "/v1/creative");
  ASSERT_EQ(creatives.size(), 1u);  // cr_2 was uploaded before
  const json c = json::parse(creatives[0].body);
  EXPECT_EQ(c["AdvertiserId"], 42);
  EXPECT_EQ(c["AdTypeId"], 5);
  EXPECT_EQ(c["Title"], "Spring banner");
  EXPECT_EQ(c["ImageLink"], "https://cdn.example/a.png");
  EXPECT_EQ(c["Url"], "https://acme.example/");
  auto ads = Requests("POST", "/v1/flight/11/creative");
  ASSERT_EQ(ads.size(), 1u);
  const json ad = json::parse(ads[0].body);
  EXPECT_EQ(ad["FlightId"], 11);
  EXPECT_EQ(ad["CampaignId"], 9);
  EXPECT_EQ(ad["Creative"]["Id"], std::stoll(ids["cr_1"]));
  EXPECT_EQ(ad["IsActive"], true);
  // cr_2 already has its ad on flight 12.
  EXPECT_TRUE(Requests("POST", "/v1/flight/12/creative").empty());
}

TEST_F(KevelAdapterTest, ACreativeUploadedBeforeAFailureIsReported) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.method == "POST" && r.target == "/v1/creative" &&
        absl::StrContains(r.body, "Second"))
      return Json({{"message", "ImageLink is not reachable"}}, 400);
    return HappyKevel(r);
  });
  AdapterBuy buy = Buy();
  buy.order_id = "9";
  buy.packages[0].line_id = "11";
  auto image = [](const std::string& url) {
    return json{{"image", {{"asset_type", "image"}, {"url", url}}}};
  };
  AdapterCreative first{.creative_id = "cr_1",
                        .name = "First",
                        .assets = image("https://cdn.example/1.png"),
                        .package_ids = {"pkg_1"}};
  AdapterCreative second{.creative_id = "cr_2",
                         .name = "Second",
                         .assets = image("https://cdn.example/2.png"),
                         .package_ids = {"pkg_1"}};
  std::map<std::string, std::string> ids;
  absl::Status refused =
      Adapter(Context())->AddCreatives(buy, {first, second}, ids);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(refused.message(),
                                "Kevel refused create creative cr_2: HTTP 400: "
                                "ImageLink is not reachable"));
  ASSERT_EQ(ids.size(), 1u);  // the caller keeps cr_1's id
  EXPECT_FALSE(ids["cr_1"].empty());
}

TEST_F(KevelAdapterTest, DeliveryComesFromAQueuedReport) {
  std::atomic<int> polls{0};
  server_.SetScript([&polls](const RecordedRequest& r) {
    if (r.method == "GET" && r.target == "/v1/report/queue/rep-1") {
      if (polls++ == 0) return Json({{"Id", "rep-1"}, {"Status", 1}});
      return Json({{"Id", "rep-1"},
                   {"Status", 2},
                   {"Result",
                    {{"Records",
                      {{{"Details",
                         {{{"Grouping", {{"flightId", 11}}},
                           {"Impressions", 1000},
                           {"Clicks", 3},
                           {"Revenue", 12.5}},
                          {{"Grouping", {{"flightId", 12}}},
                           {"Impressions", 400},
                           {"Clicks", 1},
                           {"Revenue", 700.0}}}}},
                       {{"Details",
                         {{{"Grouping", {{"flightId", 11}}},
                           {"Impressions", 200},
                           {"Clicks", 0},
                           {"Revenue", 2.5}}}}}}}}}});
    }
    return HappyKevel(r);
  });
  AdapterBuy buy = Buy();
  buy.order_id = "9";
  buy.packages[0].line_id = "11";
  buy.packages[1].line_id = "12";
  auto report = Adapter(Context())->GetDelivery(buy, now_);
  ASSERT_TRUE(report.ok()) << report.status();
  auto queued = Requests("POST", "/v1/report/queue");
  ASSERT_EQ(queued.size(), 1u);
  const json criteria = json::parse(queued[0].body);
  EXPECT_EQ(criteria["StartDateISO"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(criteria["EndDateISO"], "2026-01-15T00:00:00Z");
  EXPECT_EQ(criteria["GroupBy"], json({"flightId"}));
  EXPECT_EQ(criteria["Parameters"], json({{{"campaignId", 9}}}));
  EXPECT_EQ(Requests("GET", "/v1/report/queue/rep-1").size(), 2u);
  ASSERT_EQ(report->packages.size(), 2u);
  EXPECT_EQ(report->packages[0].package_id, "pkg_1");
  EXPECT_EQ(report->packages[0].impressions, 1200);
  EXPECT_EQ(report->packages[0].clicks, 3);
  EXPECT_EQ(report->packages[0].spend, 15 * kMicrosPerUnit);
  EXPECT_EQ(report->packages[0].delivery_status, "delivering");
  EXPECT_EQ(report->packages[1].impressions, 400);
  EXPECT_EQ(report->packages[1].spend, 700 * kMicrosPerUnit);
}

TEST_F(KevelAdapterTest, OddAnswersAreReadWithoutThrowing) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.method == "GET" && r.target == "/v1/advertiser")
      return Json(
          {{"items", {{{"Id", 77}, {"Title", nullptr}, {"IsDeleted", "no"}}}}});
    if (r.method == "GET" && r.target == "/v1/report/queue/rep-1")
      return Json({{"Status", 2}, {"Result", {{"Records", "none"}}}});
    if (r.method == "GET" && r.target == "/v1/campaign/9")
      return Json(json::array());  // not the campaign
    return HappyKevel(r);
  });
  AdapterContext context = Context();
  context.principal_mappings = json::object();
  CreatedOrder order;
  EXPECT_TRUE(Adapter(context)->CreateMediaBuy(Buy(), order).ok());
  EXPECT_EQ(Requests("POST", "/v1/advertiser").size(), 1u);
  AdapterBuy buy = Buy();
  buy.order_id = "9";
  auto report = Adapter(Context())->GetDelivery(buy, now_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->packages[0].impressions, 0);
  absl::Status paused =
      Adapter(Context())->UpdateMediaBuy(buy, {.paused = true});
  EXPECT_EQ(paused.code(), absl::StatusCode::kUnavailable) << paused;
}

TEST_F(KevelAdapterTest, DryRunSendsNothingAndJournalsTheExactCalls) {
  auto adapter = Adapter(Context(/*dry_run=*/true));
  ASSERT_TRUE(adapter->dry_run());
  CreatedOrder order;
  ASSERT_TRUE(adapter->CreateMediaBuy(Buy(), order).ok());
  AdapterBuy buy = Buy();
  buy.order_id = order.order_id;
  buy.packages[0].line_id = order.line_ids["pkg_1"];
  ASSERT_TRUE(adapter->UpdateMediaBuy(buy, {.paused = true}).ok());
  ASSERT_TRUE(adapter->GetDelivery(buy, now_).ok());
  EXPECT_TRUE(server_.requests().empty());
  EXPECT_FALSE(order.order_id.empty());
  EXPECT_EQ(order.line_ids.size(), 2u);
  const std::vector<std::string> journal = adapter->Journal();
  ASSERT_GE(journal.size(), 4u);
  EXPECT_TRUE(
      journal[0].starts_with("POST " + server_.base_url() + "/v1/campaign {"))
      << journal[0];
  EXPECT_TRUE(absl::StrContains(journal[0], "\"Name\":\"AdCP mb_1\""));
  EXPECT_TRUE(
      journal[1].starts_with("POST " + server_.base_url() + "/v1/flight"));
  for (const std::string& line : journal)
    EXPECT_FALSE(absl::StrContains(line, kKey));
}

TEST_F(KevelAdapterTest, CredentialsComeOnlyFromTheDeployment) {
  AdapterContext context = Context();
  context.config["api_key_secret"] = "kevel-missing";
  auto refused = KevelAdapterFactory(deps_)(context);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "adapters.kevel.api_key_secret: the deployment has no secret "
            "'kevel-missing'");

  // ./dev up: no credentials means dry_run, and nothing is sent.
  deps_.dry_run_without_credentials = true;
  auto dry = KevelAdapterFactory(deps_)(context);
  ASSERT_TRUE(dry.ok());
  EXPECT_TRUE((*dry)->dry_run());
  CreatedOrder order;
  ASSERT_TRUE((*dry)->CreateMediaBuy(Buy(), order).ok());
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(KevelAdapterTest, TheKeyNeverReachesTheLogs) {
  ::testing::internal::CaptureStderr();
  server_.SetScript([](const RecordedRequest& r) {
    if (r.method == "POST" && r.target == "/v1/flight")
      return Json({{"message", "down"}}, 500);
    return HappyKevel(r);
  });
  CreatedOrder order;
  EXPECT_FALSE(Adapter(Context())->CreateMediaBuy(Buy(), order).ok());
  AdapterBuy buy = Buy();
  buy.order_id = "9";
  EXPECT_TRUE(Adapter(Context())->UpdateMediaBuy(buy, {.paused = true}).ok());
  auto dry = Adapter(Context(/*dry_run=*/true));
  EXPECT_TRUE(dry->CreateMediaBuy(Buy(), order).ok());
  const std::string logs = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(absl::StrContains(logs, "adapter dry_run")) << logs;
  EXPECT_FALSE(absl::StrContains(logs, kKey));
}

}  // namespace
}  // namespace adcp::media_buy::kevel_test
