// Durable delivery with real media-buy processes (tests/support/process.h)
// sending the outbox that the in-process service fills: a process killed
// with SIGKILL in the middle of a send loses nothing (another process sends
// the event again, same idempotency_key, once its lease runs out); a
// receiver that is down for a while gets every event afterwards, once per
// idempotency_key. The retry schedule (backoff, breaker cooldown, maximum
// age, attempt timeout) is shrunk by the environment variables production
// reads, so the outage's logic runs in seconds: the outage is several
// breaker cooldowns and backoff ceilings long and shorter than the maximum
// age, as two minutes are against the production defaults (1 s to 10 min
// backoff, 30 s cooldown, 24 h age).
#include <signal.h>

#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "libs/http/test_server.h"
#include "services/media-buy/testing/media_buy_test_fixture.h"
#include "tests/support/eventually.h"
#include "tests/support/process.h"

#ifndef MEDIA_BUY_BINARY
#error "MEDIA_BUY_BINARY must name the media-buy executable"
#endif

namespace adcp::media_buy::testing {
namespace {

using ::adcp::http::test_support::Answer;
using ::adcp::http::test_support::SeenRequest;
using ::adcp::http::test_support::TestServer;
using ::adcp::testing::ChildProcess;

const std::string& Keks() {
  static const std::string* keks = new std::string(
      absl::StrCat("d1:", absl::WebSafeBase64Escape(std::string(32, 'd'))));
  return *keks;
}

std::string KeyOf(const SeenRequest& request) {
  return nlohmann::json::parse(request.body).value("idempotency_key", "");
}

class WebhookDurabilityTest : public MediaBuyTest {
 protected:
  // The in-process media-buy takes the requests and fills the outbox; only
  // the child processes send.
  void ConfigureMediaBuy(MediaBuyConfig& config) override {
    config.webhook_dispatch = false;
    config.webhook_vault = *httpsig::KeyVault::Parse(Keks());
  }

  void SetUp() override {
    MediaBuyTest::SetUp();
    // nytimes (automatic approval) as a sandbox tenant: its webhooks may
    // use http, to the receiver on 127.0.0.1.
    MakeSandbox(kNyt, tokens_["nyt_a"]);
  }

  // A media-buy process on the suite's database, registry and auth, that
  // delivers webhooks on the shrunk schedule.
  std::unique_ptr<ChildProcess> StartSender() {
    auto child = ChildProcess::Launch(
        MEDIA_BUY_BINARY, {{"DATABASE_URL", suite_->db().MediaBuyUrl()},
                           {"ADCP_INTERNAL_TOKEN", suite_->internal_token()},
                           {"TENANT_REGISTRY_ADDR", suite_->registry_address()},
                           {"AUTH_ADDR", suite_->auth_address()},
                           {"MEDIA_BUY_PORT", "0"},
                           {"METRICS_PORT", "-1"},
                           {"BIND_HOST", "127.0.0.1"},
                           {"DB_WAIT_SECONDS", "5"},
                           {"MEDIA_BUY_ADAPTER_STAND_IN", "mock"},
                           {"WEBHOOK_SIGNING_KEKS", Keks()},
                           {"WEBHOOK_ALLOWED_CIDRS", "127.0.0.1/32"},
                           {"WEBHOOK_POLL_MS", "50"},
                           {"WEBHOOK_TIMEOUT_SECONDS", "1"},  // a lease of 3 s
                           {"WEBHOOK_FIRST_BACKOFF_MS", "50"},
                           {"WEBHOOK_MAX_BACKOFF_MS", "400"},
                           {"WEBHOOK_BREAKER_THRESHOLD", "3"},
                           {"WEBHOOK_BREAKER_COOLDOWN_MS", "500"},
                           {"WEBHOOK_MAX_AGE_SECONDS", "60"}});
    EXPECT_TRUE(child->AwaitLog("\"msg\":\"serving\"", absl::Seconds(30)))
        << child->Log();
    return child;
  }

  // A create_media_buy answered inline, its webhook to `url` queued.
  std::string Buy(const std::string& url) {
    v1::CreateMediaBuyRequest request =
        BuyRequest(Key("durable"), "nyt_display", 5000, Day(1), Day(11));
    request.mutable_push_notification_config()->set_url(url);
    auto created = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], request);
    EXPECT_TRUE(created.ok()) << created.status.error_message();
    EXPECT_NE(created.response.status(), "submitted");
    return created.response.media_buy_id();
  }

  int64_t Pending() {
    return Count(
        "SELECT count(*) FROM webhook_outbox WHERE status = "
        "'pending'");
  }
};

TEST_F(WebhookDurabilityTest, AProcessKilledMidSendLosesNothing) {
  std::atomic<int> answered{0};
  TestServer receiver([&](const SeenRequest&) {
    // The first send never gets its answer: its process dies waiting.
    return answered++ == 0 ? Answer{.hang = true} : Answer{};
  });
  auto first = StartSender();
  const std::string buy = Buy(receiver.url("/hooks/op_kill"));
  ASSERT_TRUE(adcp::testing::Eventually(
      [&] { return receiver.requests().size() == 1; }, absl::Seconds(20)));
  ASSERT_TRUE(first->Signal(SIGKILL));
  EXPECT_EQ(first->Wait(absl::Seconds(10)), -SIGKILL);
  // Leased by the dead process, not lost.
  EXPECT_EQ(Pending(), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_outbox WHERE attempts = 1 "
                  "AND leased_until > now()"),
            1);

  auto second = StartSender();
  ASSERT_TRUE(adcp::testing::Eventually(
      [&] {
        return Count(
                   "SELECT count(*) FROM webhook_outbox WHERE status = "
                   "'delivered'") == 1;
      },
      absl::Seconds(20)))
      << second->Log();
  const auto seen = receiver.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(KeyOf(seen[0]), KeyOf(seen[1]));
  EXPECT_EQ(seen[0].body, seen[1].body) << "the same bytes on every attempt";
  EXPECT_EQ(nlohmann::json::parse(seen[1].body)["result"]["media_buy_id"], buy);
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_outbox WHERE attempts = 2"), 1);
}

TEST_F(WebhookDurabilityTest, AReceiverDownForAWhileGetsEveryEventOnceAfter) {
  std::mutex mutex;
  bool down = true;
  // (idempotency_key, media_buy_id) of each request answered 200, and the
  // keys of those refused.
  std::vector<std::pair<std::string, std::string>> delivered;
  std::set<std::string> refused;
  TestServer receiver([&](const SeenRequest& request) {
    std::lock_guard<std::mutex> lock(mutex);
    if (down) {
      refused.insert(KeyOf(request));
      return Answer{.status = 503};
    }
    delivered.emplace_back(KeyOf(request),
                           nlohmann::json::parse(request.body)["result"].value(
                               "media_buy_id", ""));
    return Answer{};
  });
  auto sender = StartSender();
  std::set<std::string> buys;
  for (int i = 0; i < 5; ++i)
    buys.insert(Buy(receiver.url(absl::StrCat("/hooks/op_", i))));
  // Down for 4 s: 8 breaker cooldowns, 10 backoff ceilings, a fifteenth
  // of the maximum age.
  absl::SleepFor(absl::Seconds(4));
  {
    std::lock_guard<std::mutex> lock(mutex);
    EXPECT_GT(receiver.requests().size(), 5u) << "no retries while down";
    // The breaker holds some events back without spending attempts: not
    // every event need have been tried while the receiver was down.
    EXPECT_GE(refused.size(), 3u);
    down = false;
  }
  EXPECT_EQ(Pending(), 5);
  ASSERT_TRUE(adcp::testing::Eventually([&] { return Pending() == 0; },
                                        absl::Seconds(20)))
      << sender->Log();
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_outbox WHERE status = "
                  "'delivered'"),
            5);
  std::lock_guard<std::mutex> lock(mutex);
  std::set<std::string> keys, delivered_buys;
  for (const auto& [key, buy] : delivered) {
    EXPECT_TRUE(keys.insert(key).second) << "delivered twice: " << key;
    delivered_buys.insert(buy);
  }
  EXPECT_EQ(keys.size(), 5u);
  for (const std::string& key : refused)
    EXPECT_TRUE(keys.count(key)) << key << " was refused and never delivered";
  EXPECT_EQ(delivered_buys, buys);
}

}  // namespace
}  // namespace adcp::media_buy::testing
