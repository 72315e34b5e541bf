// The webhook dispatcher against the throwaway PostgreSQL of `./dev test`
// (as the media-buy role) and receivers on real local sockets: signatures
// that an independent verifier (@adcp/sdk, Node's crypto) accepts, retries
// with a stable idempotency_key, order per subject, two dispatchers sharing
// one outbox, a dispatcher that died holding leases, SSRF refusals, https
// outside sandbox tenants, the legacy schemes (their secrets sealed, for
// their URL only), an event sent as soon as it commits (NOTIFY), and one
// tenant's slow receiver not holding up another's.
#include "services/media-buy/webhooks/webhook_dispatcher.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/base/secrets.h"
#include "libs/http/test_server.h"
#include "libs/httpsig/request_verifier.h"
#include "services/media-buy/store/statements.h"
#include "services/media-buy/webhooks/webhook_test_fixture.h"
#include "tests/support/eventually.h"

namespace adcp::media_buy {
namespace {

namespace fs = std::filesystem;
using ::adcp::http::test_support::Answer;
using ::adcp::http::test_support::SeenRequest;
using ::adcp::http::test_support::TestServer;
using WebhookDispatcherTest = testing::WebhookTest;

// The tenant's published JWKS as a verifier's key directory.
class JwksDirectory : public httpsig::KeyDirectory {
 public:
  explicit JwksDirectory(const nlohmann::json& jwks) {
    for (const auto& jwk : jwks["keys"]) {
      auto key = httpsig::Jwk::FromJson(jwk);
      if (key.ok()) keys_[key->kid] = *key;
    }
  }
  std::optional<httpsig::Jwk> Find(std::string_view kid) const override {
    auto it = keys_.find(std::string(kid));
    if (it == keys_.end()) return std::nullopt;
    return it->second;
  }
  bool Revoked(std::string_view) const override { return false; }

 private:
  std::map<std::string, httpsig::Jwk> keys_;
};

TEST_F(WebhookDispatcherTest, WhatWeSendVerifiesWithTheTenantsPublishedKey) {
  TestServer receiver([](const SeenRequest&) { return Answer{}; });
  const std::string key = Enqueue("sandbox", receiver.url("/hooks/adcp?x=1"));
  auto dispatcher = Dispatcher(*pool_, options_);
  dispatcher->RunOnce();
  const auto seen = receiver.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(KeyOf(seen[0]), key);
  EXPECT_EQ(seen[0].line, "POST /hooks/adcp?x=1 HTTP/1.1");
  auto jwks = keys_->Jwks("sandbox");
  ASSERT_TRUE(jwks.ok()) << jwks.status();
  ASSERT_EQ((*jwks)["keys"].size(), 1u);
  EXPECT_FALSE((*jwks)["keys"][0].contains("d"));  // public members only
  // Ours: the profile's verifier checklist.
  httpsig::HttpMessage message{.method = "POST",
                               .url = receiver.url("/hooks/adcp?x=1"),
                               .body = seen[0].body};
  for (const auto& [name, value] : seen[0].headers)
    message.headers.emplace_back(name, value);
  httpsig::MemoryReplayCache replays;
  const auto verdict = httpsig::VerifyWebhook(message, JwksDirectory(*jwks),
                                              replays, absl::Now());
  EXPECT_TRUE(verdict.ok()) << verdict.error_code << ": " << verdict.detail;
  // Independent: @adcp/sdk's verifyWebhookSignature on Node's crypto.
  const fs::path dir =
      fs::path(::testing::TempDir()) / absl::StrCat("hook-", getpid());
  fs::create_directories(dir);
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : seen[0].headers) headers[name] = value;
  std::ofstream(dir / "case.json") << nlohmann::json{
      {"method", "POST"},
      {"url", message.url},
      {"headers", headers},
      {"body", seen[0].body}}.dump();
  std::ofstream(dir / "jwks.json") << jwks->dump();
  std::ofstream(dir / "verify.js") << R"(
const fs = require('fs');
const s = require(require.resolve('@adcp/sdk/signing', { paths: [process.cwd()] }));
const c = JSON.parse(fs.readFileSync(process.argv[2] + '/case.json'));
const keys = JSON.parse(fs.readFileSync(process.argv[2] + '/jwks.json')).keys;
s.verifyWebhookSignature(c, {
  jwks: new s.StaticJwksResolver(keys),
  replayStore: new s.InMemoryReplayStore(),
  revocationStore: new s.InMemoryRevocationStore() })
 .then(r => console.log(r.status + ' ' + r.keyid))
 .catch(e => console.log('error ' + (e.code || '') + ' ' + e.message));
)";
  FILE* pipe = popen(
      absl::StrCat("cd '", ADCP_TOOLS_DIR, "' && node '",
                   (dir / "verify.js").string(), "' '", dir.string(), "' 2>&1")
          .c_str(),
      "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  pclose(pipe);
  EXPECT_EQ(output,
            absl::StrCat("verified ",
                         (*jwks)["keys"][0]["kid"].get<std::string>(), "\n"));
  fs::remove_all(dir);
  EXPECT_EQ(Events("sandbox")[0].status, "delivered");
  // A listing (ListWebhookDeliveries) never reads the payload it had.
  EXPECT_EQ(Events("sandbox")[0].payload, "");
}

TEST_F(WebhookDispatcherTest, AReceiverDownThenUpGetsEveryEventOnceInOrder) {
  std::atomic<int> calls{0};
  TestServer receiver([&](const SeenRequest&) {
    return Answer{.status = ++calls <= 5 ? 503 : 200};
  });
  std::vector<std::string> buy_1, buy_2;
  for (int i = 0; i < 3; ++i) {
    buy_1.push_back(Enqueue("sandbox", receiver.url("/h"), "media_buy:mb_1"));
    buy_2.push_back(Enqueue("sandbox", receiver.url("/h"), "media_buy:mb_2"));
  }
  auto dispatcher = Dispatcher(*pool_, options_);
  dispatcher->Start();
  ASSERT_TRUE(SettledWithin("sandbox", absl::Seconds(20)));
  dispatcher->Stop();
  // Each key answered 200 exactly once; the 503s were retried with the same
  // key; a subject's events arrived in the order they were queued.
  std::map<std::string, int> delivered;
  std::vector<std::string> order_1, order_2;
  const auto seen = receiver.requests();
  for (size_t i = 0; i < seen.size(); ++i) {
    if (i < 5) continue;  // answered 503
    const std::string key = KeyOf(seen[i]);
    ++delivered[key];
    if (std::count(buy_1.begin(), buy_1.end(), key)) order_1.push_back(key);
    if (std::count(buy_2.begin(), buy_2.end(), key)) order_2.push_back(key);
  }
  EXPECT_EQ(delivered.size(), 6u);
  for (const auto& [key, count] : delivered) EXPECT_EQ(count, 1) << key;
  EXPECT_EQ(order_1, buy_1);
  EXPECT_EQ(order_2, buy_2);
  for (const OutboxEvent& event : Events("sandbox"))
    EXPECT_EQ(event.status, "delivered") << event.last_error;
}

TEST_F(WebhookDispatcherTest, TwoDispatchersSendEachEventOnce) {
  TestServer receiver([](const SeenRequest&) {
    absl::SleepFor(absl::Milliseconds(5));
    return Answer{};
  });
  std::set<std::string> queued;
  for (int i = 0; i < 40; ++i)
    queued.insert(Enqueue("sandbox", receiver.url("/h"),
                          absl::StrCat("media_buy:mb_", i)));
  auto other_pool = NewPool();
  auto first = Dispatcher(*pool_, options_);
  auto second = Dispatcher(*other_pool, options_);
  first->Start();
  second->Start();
  ASSERT_TRUE(SettledWithin("sandbox", absl::Seconds(20)));
  first->Stop();
  second->Stop();
  std::map<std::string, int> received;
  for (const SeenRequest& request : receiver.requests())
    ++received[KeyOf(request)];
  EXPECT_EQ(received.size(), queued.size());
  for (const auto& [key, count] : received) EXPECT_EQ(count, 1) << key;
}

TEST_F(WebhookDispatcherTest,
       EventsLeasedByADeadDispatcherAreSentAfterItsLease) {
  TestServer receiver([](const SeenRequest&) { return Answer{}; });
  Enqueue("sandbox", receiver.url("/h"), "media_buy:mb_1");
  Enqueue("sandbox", receiver.url("/h"), "media_buy:mb_2");
  // A replica leased both and died before sending.
  ASSERT_TRUE(pool_
                  ->WithTenantTransaction("sandbox",
                                          [&](TenantTxn& txn) {
                                            EXPECT_EQ(
                                                WebhookOutboxStore::LeaseDue(
                                                    txn, 10, absl::Seconds(1))
                                                    .size(),
                                                2u);
                                            return absl::OkStatus();
                                          })
                  .ok());
  auto dispatcher = Dispatcher(*pool_, options_);
  dispatcher->RunOnce();
  EXPECT_TRUE(receiver.requests().empty());  // still leased
  absl::SleepFor(absl::Milliseconds(1100));
  dispatcher->RunOnce();
  EXPECT_EQ(receiver.requests().size(), 2u);
  for (const OutboxEvent& event : Events("sandbox"))
    EXPECT_EQ(event.status, "delivered");
}

TEST_F(WebhookDispatcherTest, InternalAddressesAndRedirectsAreRefused) {
  TestServer receiver([](const SeenRequest&) {
    return Answer{.status = 302,
                  .extra_headers = "Location: http://169.254.169.254/\r\n"};
  });
  WebhookDispatchOptions strict = options_;
  strict.allowed.clear();
  strict.per_tenant = 16;  // one pass takes every event
  const std::string loopback = Enqueue("sandbox", receiver.url("/h"), "s:1");
  Enqueue("sandbox", "http://169.254.169.254/latest/meta-data", "s:2");
  Enqueue("sandbox", "http://10.1.2.3/h", "s:3");
  Enqueue("sandbox", "http://[::ffff:127.0.0.1]:1/h", "s:4");
  Enqueue("sandbox", "http://localhost:1/h", "s:5");  // a name for 127.0.0.1
  auto refusing = Dispatcher(*pool_, strict);
  refusing->RunOnce();
  EXPECT_TRUE(receiver.requests().empty());
  std::map<std::string, std::string> error_of;
  for (const OutboxEvent& event : Events("sandbox")) {
    EXPECT_EQ(event.status, "expired") << event.subject;
    error_of[event.subject] = event.last_error;
  }
  EXPECT_NE(error_of["s:1"].find("loopback"), std::string::npos)
      << error_of["s:1"];
  EXPECT_NE(error_of["s:2"].find("link-local"), std::string::npos)
      << error_of["s:2"];
  EXPECT_NE(error_of["s:3"].find("private"), std::string::npos)
      << error_of["s:3"];
  EXPECT_NE(error_of["s:4"].find("loopback"), std::string::npos)
      << error_of["s:4"];
  EXPECT_NE(error_of["s:5"].find("loopback"), std::string::npos)
      << error_of["s:5"];
  // Admitted, the receiver's redirect is not followed: a failed attempt.
  Enqueue("sandbox", receiver.url("/h"), "s:6");
  auto dispatcher = Dispatcher(*pool_, options_);
  dispatcher->RunOnce();
  ASSERT_EQ(receiver.requests().size(), 1u);
  for (const OutboxEvent& event : Events("sandbox")) {
    if (event.subject != "s:6") continue;
    EXPECT_EQ(event.status, "pending");
    EXPECT_EQ(event.last_http_status, 302);
    EXPECT_NE(event.last_error.find("redirects are not followed"),
              std::string::npos);
  }
  (void)loopback;
}

TEST_F(WebhookDispatcherTest, HttpIsRefusedOutsideSandboxTenants) {
  TestServer receiver([](const SeenRequest&) { return Answer{}; });
  Enqueue("live", receiver.url("/h"));
  auto dispatcher = Dispatcher(*pool_, options_);
  dispatcher->RunOnce();
  EXPECT_TRUE(receiver.requests().empty());
  const auto events = Events("live");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].status, "expired");
  EXPECT_EQ(events[0].last_error,
            "push_notification_config.url: must be an absolute https URL "
            "(http only in sandbox tenants), not http:");
}

TEST_F(WebhookDispatcherTest, TheLegacySchemesAuthenticateAsAdcpSays) {
  TestServer receiver([](const SeenRequest&) { return Answer{}; });
  const std::string secret = absl::StrCat("buyer-secret-", RandomHex(16));
  Enqueue("sandbox", receiver.url("/bearer"), "s:1", "Bearer", secret);
  Enqueue("sandbox", receiver.url("/hmac"), "s:2", "HMAC-SHA256", secret);
  // At rest, sealed: no row holds the secret's bytes.
  EXPECT_EQ(RowsHolding("webhook_outbox", secret), 0);
  EXPECT_EQ(RowsHolding("webhook_outbox", "v1.k1."), 2);
  auto dispatcher = Dispatcher(*pool_, options_);
  dispatcher->RunOnce();
  // Delivered, the event keeps no secret at all.
  EXPECT_EQ(RowsHolding("webhook_outbox", "v1.k1."), 0);
  const auto seen = receiver.requests();
  ASSERT_EQ(seen.size(), 2u);
  for (const SeenRequest& request : seen) {
    EXPECT_EQ(request.headers.count("signature"), 0u);
    if (request.line.find("/bearer") != std::string::npos) {
      EXPECT_EQ(request.headers.at("authorization"), "Bearer " + secret);
    } else {
      const std::string timestamp = request.headers.at("x-adcp-timestamp");
      EXPECT_EQ(request.headers.at("x-adcp-signature"),
                "sha256=" + HmacSha256Hex(secret, absl::StrCat(timestamp, ".",
                                                               request.body)));
      EXPECT_EQ(request.headers.count("authorization"), 0u);
    }
  }
}

// A sealed secret opens only for its tenant and the URL it was given for:
// copied to an event for another URL (a database writer's attempt to have
// the buyer's token sent elsewhere), it is not sent.
TEST_F(WebhookDispatcherTest, ASealedSecretOpensOnlyForItsUrl) {
  TestServer receiver([](const SeenRequest&) { return Answer{}; });
  const std::string secret = absl::StrCat("buyer-secret-", RandomHex(16));
  Enqueue("sandbox", receiver.url("/theirs"), "s:1", "Bearer", secret);
  ASSERT_TRUE(
      db_->ExecAsSuperuser(absl::StrCat("UPDATE webhook_outbox SET url = '",
                                        receiver.url("/elsewhere"), "'"))
          .ok());
  auto dispatcher = Dispatcher(*pool_, options_);
  dispatcher->RunOnce();
  EXPECT_TRUE(receiver.requests().empty());
  const auto events = Events("sandbox");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].status, "pending");
  EXPECT_NE(events[0].last_error.find("the Bearer secret does not open"),
            std::string::npos)
      << events[0].last_error;
  EXPECT_EQ(events[0].last_error.find(secret), std::string::npos);
}

// An event is sent as soon as it commits (the outbox's NOTIFY), not at the
// next poll: here the poll is an hour.
TEST_F(WebhookDispatcherTest, ACommittedEventWakesTheDispatcherAtOnce) {
  TestServer receiver([](const SeenRequest&) { return Answer{}; });
  WebhookDispatchOptions options = options_;
  options.poll = absl::Hours(1);
  options.listen_conninfo = db_->MediaBuyUrl();
  auto dispatcher = Dispatcher(*pool_, options);
  dispatcher->Start();
  ASSERT_TRUE(dispatcher->WaitUntilListening(absl::Seconds(10)));
  // The start's sweep has run (nothing was queued); wait it out.
  absl::SleepFor(absl::Milliseconds(200));
  for (int i = 0; i < 3; ++i) {
    const absl::Time queued = absl::Now();
    const std::string key = Enqueue("sandbox", receiver.url("/h"),
                                    absl::StrCat("media_buy:mb_", i));
    ASSERT_TRUE(adcp::testing::Eventually(
        [&] {
          return receiver.requests().size() == static_cast<size_t>(i + 1);
        },
        absl::Seconds(5)));
    EXPECT_LT(absl::Now() - queued, absl::Seconds(2));
    EXPECT_EQ(KeyOf(receiver.requests().back()), key);
  }
  EXPECT_EQ(Events("sandbox").size(), 3u);
  dispatcher->Stop();
}

TEST_F(WebhookDispatcherTest, OneTenantsSlowReceiverDoesNotHoldUpAnother) {
  std::atomic<bool> release{false};
  std::atomic<int> inside{0}, most{0};
  TestServer slow([&](const SeenRequest&) {
    const int now_inside = ++inside;
    int seen = most.load();
    while (now_inside > seen && !most.compare_exchange_weak(seen, now_inside)) {
    }
    while (!release) absl::SleepFor(absl::Milliseconds(10));
    --inside;
    return Answer{};
  });
  TestServer fast([](const SeenRequest&) { return Answer{}; });
  // Both tenants are listed as sandbox tenants: the receivers are http.
  for (int i = 0; i < 6; ++i)
    Enqueue("sandbox", slow.url("/h"), absl::StrCat("s:", i));
  WebhookDispatchOptions options = options_;
  options.workers = 4;
  options.per_tenant = 2;
  options.poll = absl::Milliseconds(20);
  options.timeout = absl::Seconds(30);
  auto dispatcher = std::make_unique<WebhookDispatcher>(
      *pool_,
      [] {
        return std::vector<DispatchTenant>{{"sandbox", true}, {"live", true}};
      },
      *keys_, options, registry_);
  dispatcher->Start();
  // The slow tenant's two slots fill.
  ASSERT_TRUE(adcp::testing::Eventually([&] { return inside == 2; }));
  const absl::Time queued = absl::Now();
  Enqueue("live", fast.url("/h"));
  EXPECT_TRUE(SettledWithin("live", absl::Seconds(5)));
  EXPECT_LT(absl::Now() - queued, absl::Seconds(2));
  EXPECT_EQ(fast.requests().size(), 1u);
  EXPECT_EQ(most.load(), 2);  // never more than its share
  release = true;
  EXPECT_TRUE(SettledWithin("sandbox", absl::Seconds(10)));
  EXPECT_EQ(most.load(), 2);
  EXPECT_EQ(slow.requests().size(), 6u);
  dispatcher->Stop();
}

TEST_F(WebhookDispatcherTest,
       RotationSignsWithTheNewKeyAndKeepsTheOldPublished) {
  auto first = keys_->ForSigning("sandbox");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(keys_->Rotate("sandbox").ok());
  auto second = keys_->ForSigning("sandbox");
  ASSERT_TRUE(second.ok());
  EXPECT_NE(first->public_key.kid, second->public_key.kid);
  auto jwks = keys_->Jwks("sandbox");
  ASSERT_TRUE(jwks.ok());
  std::set<std::string> kids;
  for (const auto& jwk : (*jwks)["keys"]) kids.insert(jwk["kid"]);
  EXPECT_EQ(kids, (std::set<std::string>{first->public_key.kid,
                                         second->public_key.kid}));
  // Sealed at rest: the private scalar is not in the row.
  pqxx::connection connection(db_->SuperuserUrl());
  pqxx::work txn(connection);
  for (const auto& row : txn.exec(
           "SELECT sealed_d || public_jwk::text FROM webhook_signing_keys"))
    for (const std::string& d : {first->d, second->d})
      EXPECT_EQ(row[0].as<std::string>().find(d), std::string::npos);
  // Another tenant's keys are its own.
  auto other = keys_->Jwks("live");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE((*other)["keys"].empty());
}

}  // namespace
}  // namespace adcp::media_buy
