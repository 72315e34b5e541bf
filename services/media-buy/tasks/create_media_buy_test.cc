// The media-buy tasks over real gRPC against a throwaway PostgreSQL, with the
// registry and auth beside them (MediaBuyTest,
// testing/media_buy_test_fixture.h): create_media_buy: placement, manual
// approval, budgets, idempotency, validation, measurement terms.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/media-buy/testing/media_buy_test_fixture.h"

namespace adcp::media_buy::testing {
namespace {

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

}  // namespace
}  // namespace adcp::media_buy::testing
