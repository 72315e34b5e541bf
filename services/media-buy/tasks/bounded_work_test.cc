// Bounded work per request (issue 19): capped and deduplicated id lists, the
// flight rules of create on update, creative URLs, the per-tenant bulkhead
// and the fan-out limit (update_consistency_test.cc has the updates an ad
// server fails halfway). The ad server is the mock wrapped in a scripted
// adapter that can fail updates and hold delivery reports.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/tenancy/metadata.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/tasks/bounded_work_test_fixture.h"

namespace adcp::media_buy::testing {
namespace {

// ---------------------------------------------------------- id lists --

TEST_F(BoundedWorkTest, IdListsAreCappedAndReadOnce) {
  const std::string id = NytBuy().media_buy_id();

  v1::GetMediaBuysRequest many;
  for (int i = 0; i < 101; ++i) many.add_media_buy_ids(id);
  ExpectInvalid(Call(&Stub::GetMediaBuys, kNyt, tokens_["nyt_a"], many),
                "media_buy_ids", "at most 100");
  v1::GetMediaBuyDeliveryRequest many_reports;
  *many_reports.mutable_media_buy_ids() = many.media_buy_ids();
  ExpectInvalid(
      Call(&Stub::GetMediaBuyDelivery, kNyt, tokens_["nyt_a"], many_reports),
      "media_buy_ids", "at most 100");

  // 100 is allowed; a repeated id is read (and reported) once.
  many.mutable_media_buy_ids()->RemoveLast();
  auto listed = Call(&Stub::GetMediaBuys, kNyt, tokens_["nyt_a"], many);
  ASSERT_TRUE(listed.ok()) << listed.status.error_message();
  EXPECT_EQ(listed.response.media_buys_size(), 1);
  {
    absl::MutexLock lock(&server_.mu);
    server_.reports.clear();
  }
  auto reported = Call(&Stub::GetMediaBuyDelivery, kNyt, tokens_["nyt_a"],
                       DeliveryOf({id, id, id}));
  ASSERT_TRUE(reported.ok()) << reported.status.error_message();
  EXPECT_EQ(reported.response.media_buy_deliveries_size(), 1);
  {
    absl::MutexLock lock(&server_.mu);
    EXPECT_EQ(server_.reports[kNyt], 1);
  }
  // An unknown id is named by its first position.
  auto missing = Call(&Stub::GetMediaBuys, kNyt, tokens_["nyt_a"], [&] {
    v1::GetMediaBuysRequest r;
    r.add_media_buy_ids(id);
    r.add_media_buy_ids("mb_nope");
    r.add_media_buy_ids("mb_nope");
    return r;
  }());
  EXPECT_EQ(missing.error.code(), "MEDIA_BUY_NOT_FOUND");
  EXPECT_EQ(missing.error.field(), "media_buy_ids[1]");
}

TEST_F(BoundedWorkTest, SyncCreativeAssignmentsAreCappedAndMadeOnce) {
  const v1::CreateMediaBuyResponse buy = NytBuy();
  const std::string package = buy.packages(0).package_id();
  v1::SyncCreativesRequest over =
      Sync({Creative("cr_1", "https://cdn.acme.example/1.png", "")});
  for (int i = 0; i < 1001; ++i) Assign(over, "cr_1", package);
  ExpectInvalid(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], over),
                "assignments", "at most 1000");

  v1::SyncCreativesRequest twice =
      Sync({Creative("cr_1", "https://cdn.acme.example/1.png", "")});
  Assign(twice, "cr_1", package);
  Assign(twice, "cr_1", package);
  auto synced = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], twice);
  ASSERT_TRUE(synced.ok()) << synced.status.error_message();
  ASSERT_EQ(synced.response.creatives_size(), 1);
  EXPECT_EQ(synced.response.creatives(0).assigned_to_size(), 1);
  schemas_.Add("creative/sync-creatives-response.json", "deduplicated",
               synced.response);
}

TEST_F(BoundedWorkTest, ListCreativesFilterListsAreCapped) {
  v1::ListCreativesRequest request;
  auto& ids = *(*request.mutable_filters()->mutable_fields())["creative_ids"]
                   .mutable_list_value();
  for (int i = 0; i < 101; ++i)
    ids.add_values()->set_string_value(absl::StrCat("cr_", i));
  ExpectInvalid(Call(&Stub::ListCreatives, kNyt, tokens_["nyt_a"], request),
                "filters.creative_ids", "at most 100");
  ids.mutable_values()->RemoveLast();
  auto listed = Call(&Stub::ListCreatives, kNyt, tokens_["nyt_a"], request);
  EXPECT_TRUE(listed.ok()) << listed.status.error_message();
}

// ------------------------------------------------------ update rules --

TEST_F(BoundedWorkTest, UpdateKeepsTheFlightRulesOfCreate) {
  const v1::CreateMediaBuyResponse buy = NytBuy();
  v1::UpdateMediaBuyRequest forever = UpdateRequest(buy.media_buy_id());
  forever.set_end_time("9999-12-31T00:00:00Z");
  ExpectInvalid(Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], forever),
                "end_time", "within 5 years");
  v1::UpdateMediaBuyRequest late_start = UpdateRequest(buy.media_buy_id());
  late_start.set_start_time("9999-01-01T00:00:00Z");
  late_start.set_end_time("9999-12-31T00:00:00Z");
  auto refused =
      Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], late_start);
  EXPECT_EQ(refused.error.code(), "VALIDATION_ERROR");

  v1::UpdateMediaBuyRequest repeated = UpdateRequest(buy.media_buy_id());
  for (int i = 0; i < 2; ++i) {
    v1::PackageUpdate* package = repeated.add_packages();
    package->set_package_id(buy.packages(0).package_id());
    package->set_budget(900 + i);
  }
  ExpectInvalid(Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], repeated),
                "packages[1].package_id", "repeats packages[0]");

  v1::UpdateMediaBuyRequest too_many = UpdateRequest(buy.media_buy_id());
  for (int i = 0; i < 51; ++i)
    too_many.add_packages()->set_package_id(absl::StrCat("pkg_", i));
  ExpectInvalid(Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], too_many),
                "packages", "at most 50");
  EXPECT_TRUE(Updates().empty());

  // Within the rules the flight changes, once, and the ad server hears it.
  v1::UpdateMediaBuyRequest longer = UpdateRequest(buy.media_buy_id());
  longer.set_end_time(Rfc3339(Day(20)));
  auto extended = Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], longer);
  ASSERT_TRUE(extended.ok()) << extended.status.error_message();
  ASSERT_EQ(Updates().size(), 1u);
  EXPECT_EQ(Updates()[0].end_time, Day(20));
}

// --------------------------------------------------------- creative URLs --

TEST_F(BoundedWorkTest, CreativeUrlsMustBeHttpsExceptHttpInSandboxes) {
  struct Case {
    std::string image, click, field, rule;
  };
  const std::vector<Case> refused = {
      {"https://cdn.acme.example/a.png", "javascript:alert(1)",
       "creatives[0].assets.click.url", "not javascript:"},
      {"https://cdn.acme.example/a.png", "JavaScript:alert(1)",
       "creatives[0].assets.click.url", "not javascript:"},
      {"https://cdn.acme.example/a.png", "java\tscript:alert(1)",
       "creatives[0].assets.click.url", "control characters"},
      {"data:image/png;base64,AAAA", "", "creatives[0].assets.image.url",
       "not data:"},
      {"https://cdn.acme.example/a.png", "http://acme.example/landing",
       "creatives[0].assets.click.url", "http only in sandbox"},
      {"https://cdn.acme.example/a.png", "//acme.example/landing",
       "creatives[0].assets.click.url", "no scheme"},
      {"https:///nohost.png", "", "creatives[0].assets.image.url",
       "with a host"},
  };
  for (const Case& c : refused) {
    SCOPED_TRACE(c.click + " " + c.image);
    auto outcome = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"],
                        Sync({Creative("cr_bad", c.image, c.click)}));
    ExpectInvalid(outcome, c.field, c.rule);
    // The value is not echoed.
    if (!c.click.empty()) {
      EXPECT_FALSE(absl::StrContains(outcome.error.message(), "alert"));
    }
  }
  // Lenient: the bad creative fails alone.
  v1::SyncCreativesRequest mixed =
      Sync({Creative("cr_ok", "https://cdn.acme.example/ok.png",
                     "https://acme.example/landing"),
            Creative("cr_js", "https://cdn.acme.example/js.png",
                     "javascript:alert(1)")});
  mixed.set_validation_mode("lenient");
  auto lenient = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], mixed);
  ASSERT_TRUE(lenient.ok()) << lenient.status.error_message();
  ASSERT_EQ(lenient.response.creatives_size(), 2);
  EXPECT_NE(lenient.response.creatives(0).action(), "failed");
  EXPECT_EQ(lenient.response.creatives(1).action(), "failed");
  ASSERT_EQ(lenient.response.creatives(1).errors_size(), 1);
  EXPECT_EQ(lenient.response.creatives(1).errors(0).field(),
            "creatives[1].assets.click.url");
  EXPECT_EQ(Count("SELECT count(*) FROM creatives WHERE creative_id = "
                  "'cr_js'"),
            0);

  // A sandbox tenant may use http (never javascript:).
  ASSERT_TRUE(suite_->PatchTenantConfig(kLocal, R"({"sandbox": true})").ok());
  const v1::SyncCreativesRequest http =
      Sync({Creative("cr_http", "http://cdn.acme.example/a.png",
                     "http://acme.example/landing")});
  Outcome<v1::SyncCreativesResponse> sandboxed;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  do {
    sandboxed =
        Call(&Stub::SyncCreatives, kLocal, tokens_["local_a"], http, true);
    if (sandboxed.ok()) break;
    absl::SleepFor(absl::Milliseconds(20));
  } while (absl::Now() < deadline);
  ASSERT_TRUE(sandboxed.ok()) << sandboxed.status.error_message();
  ExpectInvalid(Call(&Stub::SyncCreatives, kLocal, tokens_["local_a"],
                     Sync({Creative("cr_js", "http://cdn.acme.example/a.png",
                                    "javascript:alert(1)")})),
                "creatives[0].assets.click.url", "not javascript:");
}

// ------------------------------------------------ bulkhead and fan-out --

TEST_F(BoundedWorkTest, ASlowAdServerHoldsOnlyItsOwnTenantsSlots) {
  const std::string nyt_buy = NytBuy().media_buy_id();
  const std::string local_buy = LocalPlacedBuy();
  ASSERT_FALSE(local_buy.empty());
  {
    absl::MutexLock lock(&server_.mu);
    server_.hold_tenant = kNyt;
    server_.hold = true;
  }
  // nytimes' ad server is slow: two reports take both of its slots.
  std::vector<std::thread> slow;
  std::vector<grpc::Status> slow_results(2);
  const std::string token = tokens_["nyt_a"];
  for (int i = 0; i < 2; ++i) {
    slow.emplace_back([this, i, &token, &nyt_buy, &slow_results] {
      slow_results[static_cast<size_t>(i)] =
          Call(&Stub::GetMediaBuyDelivery, kNyt, token, DeliveryOf({nyt_buy}))
              .status;
    });
  }
  {
    absl::MutexLock lock(&server_.mu);
    ASSERT_TRUE(server_.mu.AwaitWithTimeout(
        absl::Condition(
            +[](ScriptedAdServer* s)
                 ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) { return s->held == 2; },
            &server_),
        absl::Seconds(10)));
  }
  // A third nytimes request waits its short while and is told to retry;
  // the ad server was not called for it.
  const absl::Time asked = absl::Now();
  auto busy = Call(&Stub::GetMediaBuyDelivery, kNyt, tokens_["nyt_a"],
                   DeliveryOf({nyt_buy}));
  EXPECT_LT(absl::Now() - asked, absl::Seconds(5));
  EXPECT_EQ(busy.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(busy.error.code(), "SERVICE_UNAVAILABLE");
  EXPECT_EQ(busy.error.recovery(), "transient");
  // Updates of nytimes are refused before they write anything.
  v1::UpdateMediaBuyRequest pause = UpdateRequest(nyt_buy);
  pause.set_paused(true);
  auto refused = Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], pause);
  EXPECT_EQ(refused.error.code(), "SERVICE_UNAVAILABLE");
  EXPECT_NE(MustGetBuy(kNyt, tokens_["nyt_a"], nyt_buy).status(), "paused");
  // localnews is served meanwhile, by its ad server.
  auto local = Call(&Stub::GetMediaBuyDelivery, kLocal, tokens_["local_a"],
                    DeliveryOf({local_buy}));
  EXPECT_TRUE(local.ok()) << local.status.error_message();
  {
    absl::MutexLock lock(&server_.mu);
    EXPECT_EQ(server_.reports[kLocal], 1);
    EXPECT_EQ(server_.reports[kNyt], 2);
    server_.hold = false;
  }
  for (std::thread& thread : slow) thread.join();
  for (const grpc::Status& status : slow_results)
    EXPECT_TRUE(status.ok()) << status.error_message();
  // The slots are free again.
  auto after = Call(&Stub::GetMediaBuyDelivery, kNyt, tokens_["nyt_a"],
                    DeliveryOf({nyt_buy}));
  EXPECT_TRUE(after.ok()) << after.status.error_message();
}

TEST_F(BoundedWorkTest, OneRequestMakesAtMostTheLimitOfAdServerCalls) {
  const std::string first = NytBuy().media_buy_id();
  const std::string second = NytBuy().media_buy_id();
  // Two reports per buy for a date range: four calls, over the limit of 3.
  v1::GetMediaBuyDeliveryRequest ranged = DeliveryOf({first, second});
  ranged.set_start_date("2027-03-02");
  ranged.set_end_date("2027-03-05");
  {
    absl::MutexLock lock(&server_.mu);
    server_.reports.clear();
  }
  auto over = Call(&Stub::GetMediaBuyDelivery, kNyt, tokens_["nyt_a"], ranged);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(over.error.code(), "INVALID_REQUEST");
  EXPECT_TRUE(absl::StrContains(over.error.message(), "more than 3"))
      << over.error.message();
  {
    absl::MutexLock lock(&server_.mu);
    EXPECT_EQ(server_.reports[kNyt], 3);
  }
  // One buy's range is two calls: within the limit.
  ranged.mutable_media_buy_ids()->RemoveLast();
  auto within =
      Call(&Stub::GetMediaBuyDelivery, kNyt, tokens_["nyt_a"], ranged);
  EXPECT_TRUE(within.ok()) << within.status.error_message();
}

// ------------------------------------------------------------ unit --

TEST(CreativeUrlTest, OnlyAbsoluteHttpsUrlsWithAHost) {
  EXPECT_TRUE(
      ValidateCreativeUrl("u", "https://a.example/x?y={CLICK}", false).ok());
  EXPECT_TRUE(ValidateCreativeUrl("u", "HTTPS://A.example", false).ok());
  EXPECT_TRUE(ValidateCreativeUrl("u", "http://a.example/", true).ok());
  for (const char* bad :
       {"http://a.example/", "javascript:alert(1)", "vbscript:x", "data:x",
        "file:///etc/passwd", "https:", "https:/a", "https://", " https://a.b",
        "https://a.b/\x01", "ftp://a.example/", "a.example/x", ""}) {
    EXPECT_FALSE(ValidateCreativeUrl("u", bad, false).ok()) << bad;
  }
  EXPECT_FALSE(ValidateCreativeUrl(
                   "u", std::string(kMaxCreativeUrlLength + 1, 'a'), false)
                   .ok());
  // Nested trackers and url lists are found.
  const nlohmann::json assets = {
      {"video",
       {{"asset_type", "video"},
        {"url", "https://cdn.example/v.mp4"},
        {"tracking",
         {{"impression_urls", {"https://t.example/i", "data:x"}}}}}}};
  const absl::Status nested = ValidateCreativeUrls("assets", assets, false);
  EXPECT_FALSE(nested.ok());
  EXPECT_TRUE(absl::StrContains(nested.message(),
                                "assets.video.tracking.impression_urls[1]"))
      << nested.message();
}

}  // namespace
}  // namespace adcp::media_buy::testing
