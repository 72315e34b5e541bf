// The sign-in slow-down's counts in PostgreSQL, with the auth role's pool.
// Time passes by moving last_failure back as the superuser: the waits are
// the database's.
#include "services/auth/sign_in_failures.h"

#include <gtest/gtest.h>

#include <memory>

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
        PgPool::Options{.conninfo = db_->AuthUrl(), .size = 2},
        SignInFailures::Statements());
    failures_ = std::make_unique<SignInFailures>(*pool_);
  }

  absl::Duration Wait(const std::vector<SignInKey>& keys) {
    absl::StatusOr<absl::Duration> wait = failures_->Wait(keys, kMax);
    EXPECT_TRUE(wait.ok()) << wait.status();
    return wait.ok() ? *wait : absl::InfiniteDuration();
  }

  void Fail(const std::vector<SignInKey>& keys, int times = 1) {
    for (int i = 0; i < times; ++i)
      ASSERT_TRUE(failures_->RecordFailure(keys, kMax).ok());
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

TEST_F(SignInFailuresTest, WaitsFromTheThresholdOnAndFromTheLastFailure) {
  const SignInKey peer{.key = "peer:a", .threshold = 3};
  Fail({peer}, 2);
  EXPECT_EQ(Wait({peer}), absl::ZeroDuration());
  Fail({peer});
  const absl::Duration wait = Wait({peer});
  EXPECT_GT(wait, absl::Milliseconds(800));
  EXPECT_LE(wait, absl::Seconds(1));
  Fail({peer});  // 2 s from now
  Age(1.5);
  EXPECT_GT(Wait({peer}), absl::Milliseconds(300));
  EXPECT_LE(Wait({peer}), absl::Milliseconds(500));
  Age(0.6);
  EXPECT_EQ(Wait({peer}), absl::ZeroDuration());
  // The longest of several keys.
  const SignInKey other{.key = "user:bob", .threshold = 1};
  Fail({other}, 4);  // 8 s
  EXPECT_GT(Wait({peer, other}), absl::Seconds(7));
}

TEST_F(SignInFailuresTest, ASuccessForgetsItsKeysButTheSharedOnes) {
  const SignInKey device{.key = "device:x", .threshold = 1};
  const SignInKey user{
      .key = "user:bob", .threshold = 1, .keep_on_success = true};
  Fail({device, user});
  ASSERT_TRUE(failures_->Forget({device, user}).ok());
  EXPECT_EQ(Wait({device}), absl::ZeroDuration());
  EXPECT_GT(Wait({user}), absl::ZeroDuration());
}

TEST_F(SignInFailuresTest, KeysQuietForTwiceTheMaximumAreDeletedOnTheWay) {
  const SignInKey old{.key = "old", .threshold = 3};
  Fail({old}, 3);
  Age(21);
  Fail({{.key = "other", .threshold = 3}});  // deletes "old" on the way
  Fail({old});
  // One failure, not four: no wait at a threshold of 3.
  EXPECT_EQ(Wait({old}), absl::ZeroDuration());
  EXPECT_GT(Wait({{.key = "old", .threshold = 1}}), absl::ZeroDuration());
}

}  // namespace
}  // namespace adcp::auth
