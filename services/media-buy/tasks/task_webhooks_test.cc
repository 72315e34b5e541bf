// Webhooks through the service: create_media_buy and sync_creatives accept
// and check push_notification_config; a buy that waits for a person is
// pushed once it is approved (from the approval's transaction, by the
// server's dispatcher, signed), an answer final inline queues its
// `completed` webhook once, and the tenant's admin sees the deliveries.
#include <google/protobuf/util/json_util.h>

#include <map>
#include <regex>
#include <set>

#include "absl/strings/escaping.h"
#include "libs/http/test_server.h"
#include "services/media-buy/store/statements.h"
#include "services/media-buy/testing/media_buy_test_fixture.h"
#include "services/media-buy/webhooks/push_secrets.h"
#include "tests/support/eventually.h"

namespace adcp::media_buy::testing {
namespace {

using ::adcp::http::test_support::Answer;
using ::adcp::http::test_support::SeenRequest;
using ::adcp::http::test_support::TestServer;

class TaskWebhooksTest : public MediaBuyTest {
 protected:
  void ConfigureMediaBuy(MediaBuyConfig& config) override {
    config.webhook.allowed = *http::ParseCidrList("127.0.0.1/32");
    config.webhook.poll = absl::Milliseconds(50);
    config.webhook_vault = *httpsig::KeyVault::Parse(
        absl::StrCat("t1:", absl::WebSafeBase64Escape(std::string(32, 'q'))));
  }

  void MakeLocalnewsSandbox() { MakeSandbox(kLocal, tokens_["local_a"]); }
};

TEST_F(TaskWebhooksTest, PushNotificationConfigIsCheckedNamingTheField) {
  v1::CreateMediaBuyRequest request =
      BuyRequest(Key("hook"), "local_display", 5000, Day(1), Day(11));
  request.mutable_push_notification_config()->set_url(
      "https://buyer.example/hooks");
  request.mutable_push_notification_config()->set_token("short");
  ExpectError(Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"], request),
              "VALIDATION_ERROR", "push_notification_config.token", "token");
  request.mutable_push_notification_config()->clear_token();
  request.mutable_push_notification_config()
      ->mutable_authentication()
      ->add_schemes("Basic");
  ExpectError(Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"], request),
              "VALIDATION_ERROR",
              "push_notification_config.authentication.schemes[0]", "scheme");
  v1::UpdateMediaBuyRequest update = UpdateRequest("mb_none");
  update.mutable_push_notification_config()->set_url("https://buyer.example/" +
                                                     std::string(2100, 'a'));
  ExpectError(Call(&Stub::UpdateMediaBuy, kLocal, tokens_["local_a"], update),
              "VALIDATION_ERROR", "push_notification_config.url", "length");
  EXPECT_EQ(Count("SELECT count(*) FROM human_tasks"), 0);
}

TEST_F(TaskWebhooksTest,
       AnApprovedBuyIsPushedOnceSignedAndAnInlineOneQueuedOnce) {
  MakeLocalnewsSandbox();
  TestServer receiver([](const SeenRequest&) { return Answer{}; });
  v1::CreateMediaBuyRequest request =
      BuyRequest(Key("hook"), "local_display", 5000, Day(1), Day(11));
  request.mutable_push_notification_config()->set_url(
      receiver.url("/hooks/op_1"));
  request.mutable_push_notification_config()->set_token(
      "buyer-token-0123456789");
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  R"({"correlation_id": "c-77"})", request.mutable_context())
                  .ok());
  auto submitted =
      Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"], request);
  ASSERT_TRUE(submitted.ok()) << submitted.status.error_message();
  ASSERT_EQ(submitted.response.status(), "submitted");
  // Nothing is pushed while the task waits.
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_TRUE(receiver.requests().empty());

  v1::ResolveHumanTaskRequest approve;
  approve.set_task_id(submitted.response.task_id());
  auto approved =
      Call(&Stub::ApproveHumanTask, kLocal, tokens_["local_admin"], approve);
  ASSERT_TRUE(approved.ok()) << approved.status.error_message();
  ASSERT_TRUE(adcp::testing::Eventually(
      [&] { return receiver.requests().size() == 1; }));
  const SeenRequest seen = receiver.requests()[0];
  const auto payload = nlohmann::json::parse(seen.body);
  EXPECT_EQ(payload["task_id"], submitted.response.task_id());
  EXPECT_EQ(payload["task_type"], "create_media_buy");
  EXPECT_EQ(payload["status"], "completed");
  EXPECT_EQ(payload["token"], "buyer-token-0123456789");
  EXPECT_EQ(payload["result"]["context"]["correlation_id"], "c-77");
  EXPECT_EQ(payload["result"]["media_buy_id"],
            approved.response.media_buy_id());
  EXPECT_TRUE(std::regex_match(payload["idempotency_key"].get<std::string>(),
                               std::regex("^[A-Za-z0-9_.:-]{16,255}$")));
  EXPECT_NE(seen.headers.at("signature-input")
                .find("tag=\"adcp/webhook-signing/v1\""),
            std::string::npos);
  EXPECT_EQ(seen.headers.count("content-digest"), 1u);

  // The admin sees the delivery (recorded once the receiver answered); a
  // buyer may not list them.
  ASSERT_TRUE(adcp::testing::Eventually([&] {
    return Count(
               "SELECT count(*) FROM webhook_outbox WHERE status = "
               "'delivered'") == 1;
  }));
  v1::ListWebhookDeliveriesRequest list;
  auto deliveries =
      Call(&Stub::ListWebhookDeliveries, kLocal, tokens_["local_admin"], list);
  ASSERT_TRUE(deliveries.ok()) << deliveries.status.error_message();
  ASSERT_EQ(deliveries.response.deliveries_size(), 1);
  EXPECT_EQ(deliveries.response.deliveries(0).status(), "delivered");
  EXPECT_EQ(deliveries.response.deliveries(0).idempotency_key(),
            payload["idempotency_key"]);
  EXPECT_EQ(Call(&Stub::ListWebhookDeliveries, kLocal, tokens_["local_a"], list)
                .status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // nytimes approves automatically: its answer is final, and one
  // `completed` webhook of it is queued with the buy (as @adcp/sdk's
  // reference seller sends); the request's idempotent replay queues none.
  v1::CreateMediaBuyRequest inline_buy =
      BuyRequest(Key("nyt"), "nyt_display", 5000, Day(1), Day(11));
  inline_buy.mutable_push_notification_config()->set_url(
      "https://buyer.example/hooks");
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  R"({"correlation_id": "c-78"})", inline_buy.mutable_context())
                  .ok());
  auto created =
      Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], inline_buy);
  ASSERT_TRUE(created.ok()) << created.status.error_message();
  ASSERT_NE(created.response.status(), "submitted");
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_outbox"), 2);
  EXPECT_EQ(Count(absl::StrCat(
                "SELECT count(*) FROM webhook_outbox WHERE tenant_id = '", kNyt,
                "' AND subject = 'media_buy:", created.response.media_buy_id(),
                "' AND payload::jsonb->>'status' = 'completed' AND "
                "payload::jsonb->'result'->>'media_buy_id' = '",
                created.response.media_buy_id(),
                "' AND payload::jsonb->'result'->'context'->>'correlation_id' "
                "= 'c-78'")),
            1);
  ASSERT_TRUE(
      Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], inline_buy).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_outbox"), 2);
}

// A legacy scheme's secret is kept only sealed, with the task and then the
// event; a task stored in the clear before 0020 is sealed by the start-up
// sweep; the approval's webhook still carries the buyer's Bearer token.
TEST_F(TaskWebhooksTest, ABuyersSecretIsStoredOnlySealedAndStillSent) {
  MakeLocalnewsSandbox();
  TestServer receiver([](const SeenRequest&) { return Answer{}; });
  const std::string secret = "bearer-of-the-buyer-0123456789abcdef";
  v1::CreateMediaBuyRequest request =
      BuyRequest(Key("sealed"), "local_display", 5000, Day(1), Day(11));
  auto* config = request.mutable_push_notification_config();
  config->set_url(receiver.url("/hooks/sealed"));
  config->mutable_authentication()->add_schemes("Bearer");
  config->mutable_authentication()->set_credentials(secret);
  auto submitted =
      Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"], request);
  ASSERT_TRUE(submitted.ok()) << submitted.status.error_message();
  ASSERT_EQ(submitted.response.status(), "submitted");
  const std::string holding =
      absl::StrCat("SELECT count(*) FROM human_tasks t WHERE strpos(t::text, '",
                   secret, "') > 0");
  EXPECT_EQ(Count(holding), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM human_tasks WHERE push_notification "
                  "->> 'sealed_credentials' LIKE 'v1.t1.%'"),
            1);
  // As stored before 0020; the next start's sweep seals it.
  Exec(absl::StrCat(
      "UPDATE human_tasks SET push_notification = push_notification - "
      "'sealed_credentials' || '{\"credentials\": \"",
      secret, "\"}'"));
  ASSERT_EQ(Count(holding), 1);
  PgPool pool(
      PgPool::Options{.conninfo = suite_->db().MediaBuyUrl(), .size = 1},
      StoreStatements());
  const auto swept = SealAtRest(
      pool, *suite_->media_buy_server().webhook_keys().vault(), kLocal);
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(swept->sealed, 1);
  EXPECT_EQ(Count(holding), 0);

  v1::ResolveHumanTaskRequest approve;
  approve.set_task_id(submitted.response.task_id());
  ASSERT_TRUE(
      Call(&Stub::ApproveHumanTask, kLocal, tokens_["local_admin"], approve)
          .ok());
  ASSERT_TRUE(adcp::testing::Eventually(
      [&] { return receiver.requests().size() == 1; }));
  const SeenRequest seen = receiver.requests()[0];
  EXPECT_EQ(seen.headers.at("authorization"), "Bearer " + secret);
  EXPECT_EQ(seen.headers.count("signature"), 0u);
  EXPECT_EQ(seen.body.find(secret), std::string::npos);
  // Resolved and delivered, neither row keeps the secret, sealed or not.
  ASSERT_TRUE(adcp::testing::Eventually([&] {
    return Count(
               "SELECT count(*) FROM webhook_outbox WHERE status = "
               "'delivered'") == 1;
  }));
  EXPECT_EQ(Count(holding), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_outbox WHERE credentials IS "
                  "NOT NULL OR sealed_credentials IS NOT NULL"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM human_tasks WHERE push_notification "
                  "? 'sealed_credentials'"),
            0);
}

// Three media-buy replicas, each running its dispatcher on the one outbox:
// every approval's webhook arrives once.
class TaskWebhooksReplicasTest : public TaskWebhooksTest {
 protected:
  int Replicas() const override { return 3; }
};

TEST_F(TaskWebhooksReplicasTest, ThreeReplicasSendEachEventOnce) {
  MakeLocalnewsSandbox();
  TestServer receiver([](const SeenRequest&) { return Answer{}; });
  std::set<std::string> tasks, approved;
  for (int i = 0; i < 8; ++i) {
    v1::CreateMediaBuyRequest request = BuyRequest(
        Key(absl::StrCat("r", i)), "local_display", 500, Day(1), Day(11));
    request.mutable_push_notification_config()->set_url(receiver.url("/h"));
    auto submitted =
        Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"], request);
    ASSERT_TRUE(submitted.ok()) << submitted.status.error_message();
    v1::ResolveHumanTaskRequest decide;
    decide.set_task_id(submitted.response.task_id());
    decide.set_reason("not this week");
    ASSERT_TRUE(Call(i % 2 ? &Stub::ApproveHumanTask : &Stub::RejectHumanTask,
                     kLocal, tokens_["local_admin"], decide)
                    .ok());
    tasks.insert(submitted.response.task_id());
    if (i % 2) approved.insert(submitted.response.task_id());
  }
  ASSERT_TRUE(adcp::testing::Eventually(
      [&] { return receiver.requests().size() >= tasks.size(); }));
  absl::SleepFor(absl::Milliseconds(500));  // a duplicate would come by now
  std::map<std::string, int> per_task, per_key;
  for (const SeenRequest& seen : receiver.requests()) {
    const auto payload = nlohmann::json::parse(seen.body);
    ++per_task[payload["task_id"]];
    ++per_key[payload["idempotency_key"]];
    EXPECT_EQ(payload["status"],
              approved.count(payload["task_id"]) ? "completed" : "rejected");
  }
  EXPECT_EQ(per_task.size(), tasks.size());
  for (const auto& [task, count] : per_task) EXPECT_EQ(count, 1) << task;
  for (const auto& [key, count] : per_key) EXPECT_EQ(count, 1) << key;
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_outbox WHERE status = "
                  "'delivered'"),
            static_cast<int>(tasks.size()));
}

}  // namespace
}  // namespace adcp::media_buy::testing
