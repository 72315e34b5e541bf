// The media-buy tasks over real gRPC against a throwaway PostgreSQL, with the
// registry and auth beside them (MediaBuyTest,
// testing/media_buy_test_fixture.h): update_media_buy and the delivery it
// changes.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/media-buy/testing/media_buy_test_fixture.h"

namespace adcp::media_buy::testing {
namespace {

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
  // Still without creatives, but paused -> pending_creatives is no edge of
  // AdCP's lifecycle: a resumed buy is active, and stays so.
  EXPECT_EQ(resumed.response.status(), "active");
  EXPECT_EQ(MustGetBuy(kNyt, tokens_["nyt_a"], id).status(), "active");

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

}  // namespace
}  // namespace adcp::media_buy::testing
