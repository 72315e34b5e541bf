// The buyers' webhook secrets at rest, against the throwaway PostgreSQL of
// `./dev test` and receivers on local sockets: media-buy's start-up sweep
// (SealAtRest) seals rows written in the clear before migration 0020,
// drops the secrets of final events, and after a KEK rotation seals the
// secrets and the signing keys again under the new KEK, which alone then
// opens them (delivery still authenticates, the same key still signs).
#include "services/media-buy/webhooks/push_secrets.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "libs/http/test_server.h"
#include "services/media-buy/webhooks/webhook_test_fixture.h"

namespace adcp::media_buy {
namespace {

using ::adcp::http::test_support::Answer;
using ::adcp::http::test_support::SeenRequest;
using ::adcp::http::test_support::TestServer;
using PushSecretsTest = testing::WebhookTest;

httpsig::KeyVault Vault(const std::string& keks) {
  return *httpsig::KeyVault::Parse(keks);
}

std::string Kek(const std::string& id, char fill) {
  return absl::StrCat(id, ":",
                      absl::WebSafeBase64Escape(std::string(32, fill)));
}

TEST_F(PushSecretsTest, TheSweepSealsWhatWasStoredInTheClear) {
  TestServer receiver([](const SeenRequest&) { return Answer{}; });
  const std::string secret = absl::StrCat("legacy-secret-", RandomHex(16));
  Enqueue("sandbox", receiver.url("/pending"), "s:1", "Bearer", secret);
  Enqueue("sandbox", receiver.url("/delivered"), "s:2", "Bearer", secret);
  // As a media-buy before 0020 wrote them: the secret in the clear, one
  // event already delivered.
  ASSERT_TRUE(
      db_->ExecAsSuperuser(
             absl::StrCat("UPDATE webhook_outbox SET credentials = '", secret,
                          "', sealed_credentials = NULL, status = "
                          "CASE subject WHEN 's:2' THEN 'delivered' "
                          "ELSE status END"))
          .ok());
  ASSERT_EQ(RowsHolding("webhook_outbox", secret), 2);
  const absl::StatusOr<SealedAtRest> swept =
      SealAtRest(*pool_, *keys_->vault(), "sandbox");
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(swept->sealed, 1);
  EXPECT_EQ(swept->dropped, 1);
  EXPECT_EQ(RowsHolding("webhook_outbox", secret), 0);
  EXPECT_EQ(RowsHolding("webhook_outbox", "v1.k1."), 1);
  // Idempotent: a second start changes nothing.
  const absl::StatusOr<SealedAtRest> again =
      SealAtRest(*pool_, *keys_->vault(), "sandbox");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->sealed + again->resealed + again->dropped + again->unopened,
            0);
  // What the sweep sealed opens in the dispatcher.
  Dispatcher(*pool_, options_)->RunOnce();
  const auto seen = receiver.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].headers.at("authorization"), "Bearer " + secret);
}

TEST_F(PushSecretsTest, AKekRotationSealsEverythingAgainUnderTheNewKek) {
  TestServer receiver([](const SeenRequest&) { return Answer{}; });
  const std::string secret = absl::StrCat("rotated-secret-", RandomHex(16));
  // Under k1: the tenant's signing key and a buyer's Bearer secret.
  const auto old_key = keys_->ForSigning("sandbox");
  ASSERT_TRUE(old_key.ok()) << old_key.status();
  Enqueue("sandbox", receiver.url("/bearer"), "s:1", "Bearer", secret);
  // k2 seals from now on; k1 still opens (listed second) while the sweep
  // seals again under k2.
  const httpsig::KeyVault rotated =
      Vault(absl::StrCat(Kek("k2", 'm'), ",", Kek("k1", 'k')));
  const absl::StatusOr<SealedAtRest> swept =
      SealAtRest(*pool_, rotated, "sandbox");
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(swept->resealed, 2);  // the key and the secret
  EXPECT_EQ(swept->unopened, 0);
  EXPECT_EQ(RowsHolding("webhook_outbox", "v1.k1."), 0);
  EXPECT_EQ(RowsHolding("webhook_signing_keys", "v1.k1."), 0);
  EXPECT_EQ(RowsHolding("webhook_outbox", "v1.k2."), 1);
  EXPECT_EQ(RowsHolding("webhook_signing_keys", "v1.k2."), 1);
  EXPECT_EQ(RowsHolding("webhook_outbox", secret), 0);
  EXPECT_EQ(RowsHolding("webhook_signing_keys", old_key->d), 0);
  // Another tenant's rows are not touched (its own transaction).
  const absl::StatusOr<SealedAtRest> other =
      SealAtRest(*pool_, rotated, "live");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->resealed, 0);
  // k1 dropped: k2 alone opens the secret and the signing key.
  keys_ = std::make_unique<WebhookKeys>(*pool_, Vault(Kek("k2", 'm')),
                                        absl::Hours(1));
  Enqueue("sandbox", receiver.url("/signed"), "s:2");
  Dispatcher(*pool_, options_)->RunOnce();
  const auto seen = receiver.requests();
  ASSERT_EQ(seen.size(), 2u);
  for (const SeenRequest& request : seen) {
    if (request.line.find("/bearer") != std::string::npos) {
      EXPECT_EQ(request.headers.at("authorization"), "Bearer " + secret);
    } else {
      // Signed with the key made under k1: it opened under k2.
      EXPECT_NE(request.headers.at("signature-input")
                    .find(absl::StrCat("keyid=\"", old_key->public_key.kid)),
                std::string::npos)
          << request.headers.at("signature-input");
    }
  }
  for (const OutboxEvent& event : Events("sandbox"))
    EXPECT_EQ(event.status, "delivered") << event.last_error;
}

}  // namespace
}  // namespace adcp::media_buy
