// The sign-in slow-down's counts in PostgreSQL, with the auth role's pool.
// Time passes by moving last_failure back as the superuser: the waits are
// the database's.
#include "services/auth/sign_in_failures.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "tests/support/test_database.h"

namespace adcp::auth {
namespace {

TEST(SignInDelayTest, DoublesFromTheThresholdUpToTheMaximum) {
  const absl::Duration max = absl::Seconds(10);
  EXPECT_EQ(SignInDelay(2, 3, max), absl::ZeroDuration());
  EXPECT_EQ(SignInDelay(3, 3, max), absl::Seconds(1));
  EXPECT_EQ(SignInDelay(4, 3, max), absl::Seconds(2));
  EXPECT_EQ(SignInDelay(6, 3, max), absl::Seconds(8));
  EXPECT_EQ(SignInDelay(7, 3, max), absl::Seconds(10));
  EXPECT_EQ(SignInDelay(1000000, 3, max), absl::Seconds(10));
}

class SignInFailuresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = ::adcp::testing::TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    pool_ = std::make_unique<PgPool>(
        PgPool::Options{.conninfo = db_->AuthUrl(), .size = 8},
        SignInFailures::Statements());
    failures_ = std::make_unique<SignInFailures>(*pool_);
  }

  // The wait Charge answers: zero when the attempt was admitted (charged).
  absl::Duration Charge(const std::vector<SignInKey>& keys,
                        absl::Duration max_delay = kMax) {
    absl::StatusOr<absl::Duration> wait = failures_->Charge(keys, max_delay);
    EXPECT_TRUE(wait.ok()) << wait.status();
    return wait.ok() ? *wait : absl::InfiniteDuration();
  }

  void Admit(const std::vector<SignInKey>& keys, int times = 1) {
    for (int i = 0; i < times; ++i)
      ASSERT_EQ(Charge(keys), absl::ZeroDuration()) << "attempt " << i;
  }

  // Moves every key's last failure `seconds` into the past.
  void Age(double seconds) {
    ASSERT_TRUE(db_->ExecAsSuperuser(
                       "UPDATE system_admin_sign_in_failures SET "
                       "last_failure = last_failure - make_interval(secs => " +
                       std::to_string(seconds) + ")")
                    .ok());
  }

  static constexpr absl::Duration kMax = absl::Seconds(10);
  std::unique_ptr<::adcp::testing::TestDatabase> db_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<SignInFailures> failures_;
};

TEST_F(SignInFailuresTest, ChargesUpToTheThresholdThenWaitsFromTheLastOne) {
  const SignInKey peer{.key = "peer:a", .threshold = 3};
  Admit({peer}, 3);
  absl::Duration wait = Charge({peer});  // 3 failures: 1 s
  EXPECT_GT(wait, absl::Milliseconds(800));
  EXPECT_LE(wait, absl::Seconds(1));
  Age(1.1);
  Admit({peer});  // the 4th: 2 s from now
  Age(1.5);
  // A refused attempt is not counted: the wait stays 2 s from the 4th (a
  // counted one would make it 4 s from now).
  for (int i = 0; i < 3; ++i) {
    wait = Charge({peer});
    EXPECT_GT(wait, absl::ZeroDuration());
    EXPECT_LE(wait, absl::Milliseconds(500));
  }
  Age(0.6);
  Admit({peer});
  // The longest of several keys.
  const SignInKey other{.key = "user:bob", .threshold = 1};
  Admit({other});
  Age(1.1);
  Admit({other}, 1);
  Age(2.1);
  Admit({other}, 1);
  Age(4.1);
  Admit({other}, 1);  // 4 failures: 8 s
  EXPECT_GT(Charge({peer, other}), absl::Seconds(7));
}

TEST_F(SignInFailuresTest, ARefusedAttemptChargesNoneOfItsKeys) {
  const SignInKey slow{.key = "slow", .threshold = 1};
  const SignInKey fresh{.key = "fresh", .threshold = 1};
  Admit({slow});
  EXPECT_GT(Charge({fresh, slow}), absl::ZeroDuration());
  Admit({fresh});  // "fresh" had no failure yet
  EXPECT_GT(Charge({fresh}), absl::ZeroDuration());
}

TEST_F(SignInFailuresTest, ASuccessForgetsItsKeysAndGivesBackTheSharedOnes) {
  const SignInKey device{.key = "device:x", .threshold = 1};
  const SignInKey user{
      .key = "user:bob", .threshold = 2, .keep_on_success = true};
  Admit({user});  // a failure of someone else's
  Admit({device, user});
  ASSERT_TRUE(failures_->Succeeded({device, user}).ok());
  Admit({device});  // forgotten
  // The user's count is back to 1 (the other failure), not 0 or 2.
  Admit({user});
  EXPECT_GT(Charge({user}), absl::ZeroDuration());
}

// The first sign-in of a quiet key: its only charge given back leaves no
// row (the table counts failures > 0), not a database error.
TEST_F(SignInFailuresTest, GivingBackTheOnlyChargeLeavesNoRow) {
  const SignInKey user{
      .key = "user:carol", .threshold = 2, .keep_on_success = true};
  const SignInKey peer{.key = "peer:c", .threshold = 2};
  Admit({user, peer});
  ASSERT_TRUE(failures_->Succeeded({user}).ok());
  ASSERT_TRUE(failures_->Uncharge({peer}).ok());
  EXPECT_TRUE(db_->ExecAsSuperuser(
                     "DO $$ BEGIN IF EXISTS (SELECT 1 FROM "
                     "system_admin_sign_in_failures) THEN RAISE EXCEPTION "
                     "'a row is left'; END IF; END $$")
                  .ok());
}

TEST_F(SignInFailuresTest, AnUncheckedAttemptGivesBackItsCharge) {
  const SignInKey peer{.key = "peer:b", .threshold = 2};
  Admit({peer}, 2);
  EXPECT_GT(Charge({peer}), absl::ZeroDuration());
  ASSERT_TRUE(failures_->Uncharge({peer}).ok());
  Admit({peer});  // one failure given back: below the threshold again
  EXPECT_GT(Charge({peer}), absl::ZeroDuration());
}

TEST_F(SignInFailuresTest, QuietKeysAreDeletedAfterAServerSideHorizon) {
  const SignInKey old{.key = "old", .threshold = 3};
  Admit({old}, 3);
  Age(21);
  // A caller asking for a 1 s maximum does not shorten other keys' memory.
  EXPECT_EQ(Charge({{.key = "other", .threshold = 3}}, absl::Seconds(1)),
            absl::ZeroDuration());
  Admit({old});  // the 4th failure
  EXPECT_GT(Charge({old}), absl::ZeroDuration());
  Age(absl::ToDoubleSeconds(kSignInFailuresKeptFor) + 1);
  Admit({{.key = "other", .threshold = 3}});  // deletes "old" on the way
  Admit({old}, 3);                            // counted from zero again
  EXPECT_GT(Charge({old}), absl::ZeroDuration());
}

TEST_F(SignInFailuresTest, ConcurrentGuessesAreAdmittedOnlyUpToTheThreshold) {
  // Real threads on their own connections: the wrong guesses that arrive
  // together must not all pass the wait before any of them is counted.
  constexpr int kThreads = 16;
  const SignInKey peer{.key = "peer:flood", .threshold = 3};
  const SignInKey user{.key = "user:bob", .threshold = 5};
  std::atomic<int> admitted{0}, refused{0}, failed{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      // Half name the keys in the other order: no deadlock either way.
      const std::vector<SignInKey> keys =
          i % 2 ? std::vector<SignInKey>{peer, user}
                : std::vector<SignInKey>{user, peer};
      absl::StatusOr<absl::Duration> wait = failures_->Charge(keys, kMax);
      if (!wait.ok()) {
        ++failed;
      } else if (*wait == absl::ZeroDuration()) {
        ++admitted;
      } else {
        ++refused;
      }
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(admitted.load(), peer.threshold);
  EXPECT_EQ(refused.load(), kThreads - peer.threshold);
}

}  // namespace
}  // namespace adcp::auth
