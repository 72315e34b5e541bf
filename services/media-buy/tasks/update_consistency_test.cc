// Bounded work per request (issue 19), updates: an update that the ad server
// fails halfway (or whose database write fails) leaves nothing in
// disagreement, and the ad server's text is kept from buyers.
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

// ------------------------------------------ update consistency --

TEST_F(BoundedWorkTest, AnUpdateTheAdServerFailsIsRecordedAndTheRetryDoesIt) {
  const v1::CreateMediaBuyResponse buy = NytBuy();
  {
    absl::MutexLock lock(&server_.mu);
    server_.fail_updates = true;
  }
  v1::UpdateMediaBuyRequest pause = UpdateRequest(buy.media_buy_id());
  pause.set_paused(true);
  v1::PackageUpdate* raise = pause.add_packages();
  raise->set_package_id(buy.packages(1).package_id());
  raise->set_budget(1500);
  // A request id of the caller's is the one the answer names.
  v1::UpdateMediaBuyResponse failed_response;
  auto context = adcp::testing::Suite::Context(kNyt, tokens_["nyt_a"], "");
  ASSERT_TRUE(
      ForwardTenant(context.get(), ForwardedCall{.request_id = "req-test-4711"})
          .ok());
  const grpc::Status failed =
      stub_->UpdateMediaBuy(context.get(), pause, &failed_response);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(absl::StrContains(failed.error_message(), "req-test-4711"))
      << failed.error_message();
  EXPECT_TRUE(absl::StrContains(failed.error_message(),
                                "FakeAds failed update order: HTTP 503"))
      << failed.error_message();
  EXPECT_FALSE(absl::StrContains(failed.error_message(), kUpstreamText))
      << failed.error_message();
  EXPECT_FALSE(absl::StrContains(failed.error_message(), "9876"));
  ASSERT_EQ(Updates().size(), 1u);

  // The database has the change and says the ad server has not confirmed
  // it; the ad server's words are nowhere a buyer or the database sees.
  v1::MediaBuy recorded =
      MustGetBuy(kNyt, tokens_["nyt_a"], buy.media_buy_id());
  EXPECT_EQ(recorded.status(), "paused");
  EXPECT_EQ(recorded.revision(), buy.revision() + 1);
  EXPECT_TRUE(recorded.ad_server_error().starts_with(
      absl::StrCat("update_media_buy:revision_", buy.revision() + 1)))
      << recorded.ad_server_error();
  EXPECT_TRUE(absl::StrContains(recorded.ad_server_error(), "req-test-4711"));
  EXPECT_FALSE(absl::StrContains(recorded.ad_server_error(), kUpstreamText));
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM media_buys WHERE "
                               "adapter_state::text LIKE '%",
                               kUpstreamText, "%'")),
            0);
  // The failure's audit row names the request id, not the ad server's text.
  suite_->media_buy_server().audit().Flush();
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE operation = "
                  "'UpdateMediaBuy' AND NOT success AND details->>'message' "
                  "LIKE '%req-test-4711%'"),
            1);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM audit_log WHERE "
                               "details::text LIKE '%",
                               kUpstreamText, "%'")),
            0);
  schemas_.Add("media-buy/get-media-buys-response.json", "update pending", [&] {
    v1::GetMediaBuysResponse r;
    *r.add_media_buys() = recorded;
    return r;
  }());

  // Nothing else changes on top of a change the ad server may have half of.
  v1::UpdateMediaBuyRequest other = UpdateRequest(buy.media_buy_id());
  other.set_end_time(Rfc3339(Day(15)));
  auto refused = Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], other);
  EXPECT_EQ(refused.error.code(), "INVALID_STATE");
  EXPECT_EQ(refused.error.field(), "media_buy_id");
  EXPECT_EQ(Updates().size(), 1u);

  // The same request again sends the recorded change and answers as before.
  {
    absl::MutexLock lock(&server_.mu);
    server_.fail_updates = false;
  }
  auto completed = Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], pause);
  ASSERT_TRUE(completed.ok()) << completed.status.error_message();
  EXPECT_TRUE(completed.response.replayed());
  EXPECT_EQ(completed.response.revision(), buy.revision() + 1);
  ASSERT_EQ(Updates().size(), 2u);
  const AdapterUpdate sent = Updates()[1];
  ASSERT_TRUE(sent.paused.has_value());
  EXPECT_TRUE(*sent.paused);
  ASSERT_EQ(sent.packages.size(), 1u);
  EXPECT_EQ(sent.packages[0].package_id, buy.packages(1).package_id());
  EXPECT_EQ(sent.packages[0].budget, 1500 * kMicrosPerUnit);
  const v1::MediaBuy confirmed =
      MustGetBuy(kNyt, tokens_["nyt_a"], buy.media_buy_id());
  EXPECT_TRUE(confirmed.ad_server_error().empty());
  EXPECT_EQ(confirmed.revision(), buy.revision() + 1);
  // A third time is a plain replay: nothing is sent.
  auto again = Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], pause);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Updates().size(), 2u);
  // And the buy takes changes again.
  other.set_idempotency_key(Key("upd-after"));
  auto later = Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], other);
  ASSERT_TRUE(later.ok()) << later.status.error_message();
  EXPECT_EQ(Updates().size(), 3u);
}

TEST_F(BoundedWorkTest, AChangeWhileAnotherIsBeingSentIsAskedToRetry) {
  const v1::CreateMediaBuyResponse buy = NytBuy();
  {
    absl::MutexLock lock(&server_.mu);
    server_.hold_updates = true;
  }
  v1::UpdateMediaBuyRequest pause = UpdateRequest(buy.media_buy_id());
  pause.set_paused(true);
  const std::string token = tokens_["nyt_a"];
  grpc::Status first;
  std::thread sending(
      [&] { first = Call(&Stub::UpdateMediaBuy, kNyt, token, pause).status; });
  {
    absl::MutexLock lock(&server_.mu);
    ASSERT_TRUE(server_.mu.AwaitWithTimeout(
        absl::Condition(
            +[](ScriptedAdServer* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
              return s->held_updates == 1;
            },
            &server_),
        absl::Seconds(10)));
  }
  // The change is stored, the ad server has not confirmed it: a second
  // change is a transient conflict, and the buy says what is going on.
  v1::UpdateMediaBuyRequest longer = UpdateRequest(buy.media_buy_id());
  longer.set_end_time(Rfc3339(Day(15)));
  auto conflict = Call(&Stub::UpdateMediaBuy, kNyt, token, longer);
  EXPECT_EQ(conflict.status.error_code(), grpc::StatusCode::ABORTED)
      << conflict.status.error_message();
  EXPECT_EQ(conflict.error.code(), "CONFLICT");
  EXPECT_EQ(conflict.error.recovery(), "transient");
  const v1::MediaBuy during = MustGetBuy(kNyt, token, buy.media_buy_id());
  EXPECT_TRUE(absl::StrContains(during.ad_server_error(), "not confirmed yet"))
      << during.ad_server_error();
  {
    absl::MutexLock lock(&server_.mu);
    server_.hold_updates = false;
  }
  sending.join();
  EXPECT_TRUE(first.ok()) << first.error_message();
  EXPECT_TRUE(
      MustGetBuy(kNyt, token, buy.media_buy_id()).ad_server_error().empty());
  auto retried = Call(&Stub::UpdateMediaBuy, kNyt, token, longer);
  EXPECT_TRUE(retried.ok()) << retried.status.error_message();
  EXPECT_EQ(Updates().size(), 2u);
}

TEST_F(BoundedWorkTest, ACancelOnTopOfAnUnconfirmedUpdateSendsBoth) {
  const v1::CreateMediaBuyResponse buy = NytBuy();
  {
    absl::MutexLock lock(&server_.mu);
    server_.fail_updates = true;
  }
  v1::UpdateMediaBuyRequest raise = UpdateRequest(buy.media_buy_id());
  v1::PackageUpdate* package = raise.add_packages();
  package->set_package_id(buy.packages(0).package_id());
  package->set_budget(1200);
  ASSERT_FALSE(Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], raise).ok());
  {
    absl::MutexLock lock(&server_.mu);
    server_.fail_updates = false;
  }
  v1::UpdateMediaBuyRequest cancel = UpdateRequest(buy.media_buy_id());
  cancel.set_canceled(true);
  auto canceled = Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], cancel);
  ASSERT_TRUE(canceled.ok()) << canceled.status.error_message();
  EXPECT_EQ(canceled.response.status(), "canceled");
  ASSERT_EQ(Updates().size(), 2u);
  const AdapterUpdate sent = Updates()[1];
  ASSERT_TRUE(sent.paused.has_value());
  EXPECT_TRUE(*sent.paused);
  ASSERT_EQ(sent.packages.size(), 1u);
  EXPECT_EQ(sent.packages[0].budget, 1200 * kMicrosPerUnit);
  EXPECT_TRUE(MustGetBuy(kNyt, tokens_["nyt_a"], buy.media_buy_id())
                  .ad_server_error()
                  .empty());
}

TEST_F(BoundedWorkTest,
       AnUpdateWhoseDatabaseWriteFailsNeverReachesTheAdServer) {
  const v1::CreateMediaBuyResponse buy = NytBuy();
  const std::string before = DataProbe();
  // The database refuses the package's new budget (as a failing write).
  Exec(
      "ALTER TABLE packages ADD CONSTRAINT bounded_work_test_refuses "
      "CHECK (budget < 7777) NOT VALID");
  v1::UpdateMediaBuyRequest raise = UpdateRequest(buy.media_buy_id());
  raise.set_paused(true);
  v1::PackageUpdate* package = raise.add_packages();
  package->set_package_id(buy.packages(0).package_id());
  package->set_budget(9000);
  auto failed = Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], raise);
  Exec("ALTER TABLE packages DROP CONSTRAINT bounded_work_test_refuses");
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(Updates().empty());
  EXPECT_EQ(DataProbe(), before);
  const v1::MediaBuy unchanged =
      MustGetBuy(kNyt, tokens_["nyt_a"], buy.media_buy_id());
  EXPECT_NE(unchanged.status(), "paused");
  EXPECT_TRUE(unchanged.ad_server_error().empty());
  // The same request, once the database takes it, goes through whole.
  auto retried = Call(&Stub::UpdateMediaBuy, kNyt, tokens_["nyt_a"], raise);
  ASSERT_TRUE(retried.ok()) << retried.status.error_message();
  EXPECT_EQ(Updates().size(), 1u);
}

}  // namespace
}  // namespace adcp::media_buy::testing
