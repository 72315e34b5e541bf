// The media-buy tasks over real gRPC against a throwaway PostgreSQL, with the
// registry and auth beside them (MediaBuyTest,
// testing/media_buy_test_fixture.h): sync_accounts, list_accounts, the account
// cache, and provide_performance_feedback.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/media-buy/testing/media_buy_test_fixture.h"

namespace adcp::media_buy::testing {
namespace {

TEST_F(MediaBuyTest, AccountsComeFromMemoryUntilAChangeIsAnnounced) {
  AccountCache& cache = suite_->media_buy_server().accounts();
  ASSERT_TRUE(cache.WaitUntilListening(absl::Seconds(10)));
  const auto first = NytBuy();  // opens the account (brand and operator)
  const std::string account = Scalar(
      "SELECT account_id FROM accounts WHERE tenant_id = 'nytimes' AND "
      "principal_id = 'buyer_a'");
  ASSERT_FALSE(account.empty());
  // The account's INSERT announced a change; once read again, the tenant's
  // accounts stay in memory: more buys, by natural key and by id, and no
  // read.
  const absl::Time settle = absl::Now() + absl::Seconds(5);
  uint64_t reads = cache.database_reads();
  do {
    reads = cache.database_reads();
    NytBuy();
    absl::SleepFor(absl::Milliseconds(50));
  } while (cache.database_reads() != reads && absl::Now() < settle);
  reads = cache.database_reads();
  for (int i = 0; i < 3; ++i) {
    NytBuy();
    v1::CreateMediaBuyRequest by_id =
        BuyRequest(Key("by-id"), "nyt_display", 10000, Day(1), Day(11), 1);
    by_id.mutable_account()->Clear();
    by_id.mutable_account()->set_account_id(account);
    EXPECT_EQ(MustCreate(kNyt, tokens_["nyt_a"], by_id).status(),
              first.status());
  }
  EXPECT_EQ(cache.database_reads(), reads);
  // Another buyer naming that account id is told it does not exist, cached
  // or not.
  v1::CreateMediaBuyRequest stolen =
      BuyRequest(Key("stolen"), "nyt_display", 10000, Day(1), Day(11), 1);
  stolen.mutable_account()->Clear();
  stolen.mutable_account()->set_account_id(account);
  auto refused = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_b"], stolen);
  EXPECT_EQ(refused.error.code(), "ACCOUNT_NOT_FOUND");

  // The answer came from memory: with the trigger off, a status written by
  // SQL goes unseen, by natural key and by id.
  const std::string suspend =
      "UPDATE accounts SET status = 'suspended' WHERE tenant_id = 'nytimes' "
      "AND account_id = '" +
      account + "'";
  Exec("ALTER TABLE accounts DISABLE TRIGGER accounts_notify");
  Exec(suspend);
  NytBuy();
  v1::CreateMediaBuyRequest by_id =
      BuyRequest(Key("by-id"), "nyt_display", 10000, Day(1), Day(11), 1);
  by_id.mutable_account()->Clear();
  by_id.mutable_account()->set_account_id(account);
  MustCreate(kNyt, tokens_["nyt_a"], by_id);
  EXPECT_EQ(cache.database_reads(), reads);
  Exec("ALTER TABLE accounts ENABLE TRIGGER accounts_notify");

  // A status written by another replica (here: SQL) reaches this one by the
  // trigger's notification: the next buy is refused.
  Exec(suspend);
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  std::string code;
  while (absl::Now() < deadline) {
    auto tried = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"],
                      BuyRequest(Key("after-suspend"), "nyt_display", 10000,
                                 Day(1), Day(11), 1));
    code = tried.error.code();
    if (!tried.ok()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(code, "ACCOUNT_SUSPENDED");
  EXPECT_GT(cache.database_reads(), reads);
}

TEST_F(MediaBuyTest, AccountsSyncByNaturalKeyAndListPerBuyer) {
  v1::SyncAccountsRequest request;
  request.set_idempotency_key(Key("acct"));
  auto* acme = request.add_accounts();
  acme->mutable_brand()->set_domain("acme.example");
  acme->set_operator_("agency.example");
  acme->set_billing("operator");
  auto* globex = request.add_accounts();
  globex->mutable_brand()->set_domain("globex.example");
  globex->set_operator_("globex.example");
  globex->set_billing("advertiser");
  schemas_.Add("account/sync-accounts-request.json", "request", request);
  auto synced = Call(&Stub::SyncAccounts, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(synced.ok()) << synced.status.error_message();
  schemas_.Add("account/sync-accounts-response.json", "created",
               synced.response);
  ASSERT_EQ(synced.response.accounts_size(), 2);
  EXPECT_EQ(synced.response.accounts(0).action(), "created");
  const std::string acme_id = synced.response.accounts(0).account_id();
  // Again: unchanged; with a new billing: updated, same id.
  request.set_idempotency_key(Key("acct"));
  request.mutable_accounts(0)->set_billing("agent");
  auto again = Call(&Stub::SyncAccounts, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.response.accounts(0).action(), "updated");
  EXPECT_EQ(again.response.accounts(0).account_id(), acme_id);
  EXPECT_EQ(again.response.accounts(1).action(), "unchanged");
  // A buy can name the account; another buyer cannot.
  v1::CreateMediaBuyRequest buy =
      BuyRequest(Key("b"), "nyt_display", 1000, Day(1), Day(11));
  buy.clear_account();
  buy.mutable_account()->set_account_id(acme_id);
  auto created = Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"], buy);
  ASSERT_TRUE(created.ok()) << created.status.error_message();
  EXPECT_EQ(MustGetBuy(kNyt, tokens_["nyt_a"], created.response.media_buy_id())
                .account()
                .account_id(),
            acme_id);
  buy.set_idempotency_key(Key("b"));
  ExpectError(Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_b"], buy),
              "ACCOUNT_NOT_FOUND", "account.account_id", "another's account");

  v1::ListAccountsRequest list;
  auto mine = Call(&Stub::ListAccounts, kNyt, tokens_["nyt_a"], list);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine.response.accounts_size(), 2);
  schemas_.Add("account/list-accounts-response.json", "mine", mine.response);
  auto theirs = Call(&Stub::ListAccounts, kNyt, tokens_["nyt_b"], list);
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(theirs.response.accounts_size(), 0);
  auto local = Call(&Stub::ListAccounts, kLocal, tokens_["local_a"], list);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local.response.accounts_size(), 0);

  request.set_idempotency_key(Key("acct"));
  request.mutable_accounts(1)->set_operator_("not a domain");
  ExpectError(Call(&Stub::SyncAccounts, kNyt, tokens_["nyt_a"], request),
              "VALIDATION_ERROR", "accounts[1].operator", "bad operator");
  schemas_.ExpectAllValid();
}

// ------------------------------------------------------------- isolation --

// Every task that takes an id answers another tenant's or another buyer's
// object exactly as it answers an id that never existed.

TEST_F(MediaBuyTest, PerformanceFeedbackIsStoredForOwnBuysOnly) {
  const auto buy = NytBuy();
  v1::ProvidePerformanceFeedbackRequest request;
  request.set_idempotency_key(Key("fb"));
  request.set_media_buy_id(buy.media_buy_id());
  request.mutable_measurement_period()->set_start("2027-03-02T00:00:00Z");
  request.mutable_measurement_period()->set_end("2027-03-03T00:00:00Z");
  request.set_performance_index(1.25);
  request.set_package_id(buy.packages(0).package_id());
  schemas_.Add("media-buy/provide-performance-feedback-request.json", "request",
               request);
  auto stored =
      Call(&Stub::ProvidePerformanceFeedback, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(stored.ok()) << stored.status.error_message();
  EXPECT_TRUE(stored.response.success());
  schemas_.Add("media-buy/provide-performance-feedback-response.json", "stored",
               stored.response);
  EXPECT_EQ(Scalar("SELECT performance_index::text || ' ' || metric_type FROM "
                   "performance_feedback"),
            "1.250000 overall_performance");
  request.set_idempotency_key(Key("fb"));
  auto other =
      Call(&Stub::ProvidePerformanceFeedback, kNyt, tokens_["nyt_b"], request);
  ExpectError(other, "MEDIA_BUY_NOT_FOUND", "media_buy_id", "other buyer");
  request.set_performance_index(-1);
  ExpectError(
      Call(&Stub::ProvidePerformanceFeedback, kNyt, tokens_["nyt_a"], request),
      "VALIDATION_ERROR", "performance_index", "negative index");
  request.set_performance_index(1);
  request.set_metric_type("vibes");
  ExpectError(
      Call(&Stub::ProvidePerformanceFeedback, kNyt, tokens_["nyt_a"], request),
      "VALIDATION_ERROR", "metric_type", "unknown metric");
  EXPECT_EQ(Count("SELECT count(*) FROM performance_feedback"), 1);
  schemas_.ExpectAllValid();
}

}  // namespace
}  // namespace adcp::media_buy::testing
