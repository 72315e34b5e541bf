// Bounded work per request (issue 19): capped and deduplicated id lists, the
// flight rules of create on update, an update that the ad server fails
// halfway (or whose database write fails) leaving nothing in disagreement,
// creative URLs, the ad server's text kept from buyers, the per-tenant
// bulkhead and the fan-out limit. The ad server is the mock wrapped in a
// scripted adapter that can fail updates and hold delivery reports.
#include <gtest/gtest.h>

#include <map>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/tenancy/metadata.h"
#include "services/media-buy/adapters/mock/mock_adapter.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/placement/ad_server_limits.h"
#include "services/media-buy/testing/media_buy_harness.h"

namespace adcp::media_buy::testing {
namespace {

constexpr char kNyt[] = "nytimes";
constexpr char kLocal[] = "localnews";
// What the scripted ad server says when it fails: never for buyers.
constexpr char kUpstreamText[] = "SECRET-UPSTREAM-TEXT";

// What the scripted ad server saw and how it behaves.
struct ScriptedAdServer {
  absl::Mutex mu;
  bool fail_updates ABSL_GUARDED_BY(mu) = false;
  // Updates wait while `hold_updates` is set.
  bool hold_updates ABSL_GUARDED_BY(mu) = false;
  int held_updates ABSL_GUARDED_BY(mu) = 0;
  // Every update a tenant's adapter was asked to send (dry runs excluded).
  std::vector<AdapterUpdate> updates ABSL_GUARDED_BY(mu);
  // Delivery reports of this tenant wait while `hold` is set.
  std::string hold_tenant ABSL_GUARDED_BY(mu);
  bool hold ABSL_GUARDED_BY(mu) = false;
  int held ABSL_GUARDED_BY(mu) = 0;
  std::map<std::string, int> reports ABSL_GUARDED_BY(mu);
};

class ScriptedAdapter final : public AdServerAdapter {
 public:
  ScriptedAdapter(std::unique_ptr<AdServerAdapter> mock,
                  ScriptedAdServer* server, std::string tenant_id)
      : mock_(std::move(mock)),
        server_(server),
        tenant_id_(std::move(tenant_id)) {}

  const std::string& name() const override { return mock_->name(); }
  bool dry_run() const override { return mock_->dry_run(); }
  absl::Status CreateMediaBuy(const AdapterBuy& buy,
                              CreatedOrder& order) override {
    return mock_->CreateMediaBuy(buy, order);
  }
  absl::Status AddCreatives(
      const AdapterBuy& buy, const std::vector<AdapterCreative>& creatives,
      std::map<std::string, std::string>& uploaded) override {
    return mock_->AddCreatives(buy, creatives, uploaded);
  }
  absl::Status UpdateMediaBuy(const AdapterBuy& buy,
                              const AdapterUpdate& update) override {
    {
      absl::MutexLock lock(&server_->mu);
      if (!dry_run()) server_->updates.push_back(update);
      if (server_->hold_updates) {
        ++server_->held_updates;
        server_->mu.Await(absl::Condition(
            +[](ScriptedAdServer* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
              return !s->hold_updates;
            },
            server_));
        --server_->held_updates;
      }
      if (server_->fail_updates && !dry_run()) {
        absl::Status failed = absl::UnavailableError(
            absl::StrCat("FakeAds failed update order: HTTP 503: <b>",
                         kUpstreamText, "</b> for advertiser 9876"));
        SetUpstreamSummary(failed, "FakeAds failed update order: HTTP 503");
        return failed;
      }
    }
    return mock_->UpdateMediaBuy(buy, update);
  }
  absl::StatusOr<std::string> GetStatus(const AdapterBuy& buy) override {
    return mock_->GetStatus(buy);
  }
  absl::StatusOr<DeliveryReport> GetDelivery(const AdapterBuy& buy,
                                             absl::Time until) override {
    {
      absl::MutexLock lock(&server_->mu);
      ++server_->reports[tenant_id_];
      if (server_->hold && server_->hold_tenant == tenant_id_) {
        ++server_->held;
        server_->mu.Await(absl::Condition(
            +[](ScriptedAdServer* s)
                 ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) { return !s->hold; },
            server_));
        --server_->held;
      }
    }
    return mock_->GetDelivery(buy, until);
  }
  std::vector<std::string> Journal() const override { return mock_->Journal(); }

 private:
  std::unique_ptr<AdServerAdapter> mock_;
  ScriptedAdServer* server_;
  std::string tenant_id_;
};

class BoundedWorkTest : public MediaBuyHarness {
 protected:
  void ConfigureMediaBuy(MediaBuyConfig& config) override {
    config.options.ad_server_limits = {.concurrency_per_tenant = 2,
                                       .slot_wait = absl::Milliseconds(200),
                                       .max_calls_per_request = 3};
  }

  void SetUp() override {
    MediaBuyHarness::SetUp();
    if (HasFatalFailure()) return;
    // The stand-in serves every tenant's ad server: script it.
    suite_->media_buy_server().adapters().Register(
        kMockAdapterName,
        [server = &server_](const AdapterContext& context)
            -> absl::StatusOr<std::unique_ptr<AdServerAdapter>> {
          ASSIGN_OR_RETURN(auto mock, MockAdapterFactory()(context));
          return std::make_unique<ScriptedAdapter>(std::move(mock), server,
                                                   context.tenant_id);
        });
  }

  absl::Time Day(int n) const { return Epoch() + absl::Hours(24 * n); }

  v1::CreateMediaBuyResponse NytBuy(double budget = 1000, int packages = 2) {
    return MustCreate(kNyt, tokens_["nyt_a"],
                      BuyRequest(Key("nyt-buy"), "nyt_display", budget, Day(1),
                                 Day(11), packages));
  }

  static v1::CreativeAsset Creative(const std::string& id,
                                    const std::string& image_url,
                                    const std::string& click_url) {
    v1::CreativeAsset creative;
    creative.set_creative_id(id);
    creative.set_name("Creative " + id);
    *creative.mutable_format_id() = Format("display_300x250");
    auto& assets = *creative.mutable_assets()->mutable_fields();
    auto& image = *assets["image"].mutable_struct_value()->mutable_fields();
    image["asset_type"].set_string_value("image");
    image["url"].set_string_value(image_url);
    image["width"].set_number_value(300);
    image["height"].set_number_value(250);
    if (!click_url.empty()) {
      auto& click = *assets["click"].mutable_struct_value()->mutable_fields();
      click["asset_type"].set_string_value("url");
      click["url_type"].set_string_value("clickthrough");
      click["url"].set_string_value(click_url);
    }
    return creative;
  }

  template <typename R>
  static void ExpectInvalid(const Outcome<R>& outcome, const std::string& field,
                            const std::string& rule) {
    ASSERT_FALSE(outcome.ok()) << field;
    EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << outcome.status.error_message();
    EXPECT_EQ(outcome.error.code(), "VALIDATION_ERROR");
    EXPECT_EQ(outcome.error.field(), field) << outcome.error.message();
    EXPECT_TRUE(absl::StrContains(outcome.error.message(), field))
        << outcome.error.message();
    EXPECT_TRUE(absl::StrContains(outcome.error.message(), rule))
        << outcome.error.message();
  }

  std::vector<AdapterUpdate> Updates() {
    absl::MutexLock lock(&server_.mu);
    return server_.updates;
  }

  // A buy of localnews (manual approval) that the admin approved, so that
  // the ad server has it.
  std::string LocalPlacedBuy() {
    auto submitted =
        Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"],
             BuyRequest(Key("local"), "local_display", 500, Day(1), Day(11)));
    EXPECT_TRUE(submitted.ok()) << submitted.status.error_message();
    v1::ResolveHumanTaskRequest approve;
    approve.set_task_id(submitted.response.task_id());
    auto approved =
        Call(&Stub::ApproveHumanTask, kLocal, tokens_["local_admin"], approve);
    EXPECT_TRUE(approved.ok()) << approved.status.error_message();
    v1::GetHumanTaskRequest get;
    get.set_task_id(submitted.response.task_id());
    auto task = Call(&Stub::GetHumanTask, kLocal, tokens_["local_admin"], get);
    return task.response.media_buy_id();
  }

  static v1::GetMediaBuyDeliveryRequest DeliveryOf(
      std::vector<std::string> ids) {
    v1::GetMediaBuyDeliveryRequest request;
    for (const std::string& id : ids) request.add_media_buy_ids(id);
    return request;
  }

  ScriptedAdServer server_;
};

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
    if (!c.click.empty())
      EXPECT_FALSE(absl::StrContains(outcome.error.message(), "alert"));
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
