// PgListener against the throwaway PostgreSQL of `./dev test`: real LISTEN,
// real NOTIFY, a backend terminated under it.
#include "libs/db/pg_listener.h"

#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "tests/support/eventually.h"
#include "tests/support/test_database.h"

namespace adcp {
namespace {

using ::adcp::testing::Eventually;

using ::adcp::testing::TestDatabase;

constexpr char kChannel[] = "adcp_listener_test";
constexpr char kApplication[] = "pg_listener_test";

class PgListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create(/*migrate=*/false);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  void TearDown() override {
    if (listener_) listener_->Stop();
  }

  void Listen(const std::string& conninfo,
              absl::Duration ping = absl::Seconds(5)) {
    listener_ = std::make_unique<PgListener>(
        conninfo, kChannel,
        [this](const std::string& payload) {
          std::lock_guard<std::mutex> lock(mutex_);
          payloads_.push_back(payload);
        },
        [this] {
          std::lock_guard<std::mutex> lock(mutex_);
          ++connects_;
        },
        [this] {
          std::lock_guard<std::mutex> lock(mutex_);
          ++disconnects_;
        },
        ping);
    listener_->Start();
  }
  std::string AppUrl() const {
    return absl::StrCat(db_->MediaBuyUrl(), " application_name=", kApplication);
  }

  void Notify(const std::string& channel, const std::string& payload) {
    ASSERT_TRUE(db_->ExecAsSuperuser(absl::StrCat("SELECT pg_notify('", channel,
                                                  "', '", payload, "')"))
                    .ok());
  }

  std::vector<std::string> payloads() {
    std::lock_guard<std::mutex> lock(mutex_);
    return payloads_;
  }
  int connects() {
    std::lock_guard<std::mutex> lock(mutex_);
    return connects_;
  }
  int disconnects() {
    std::lock_guard<std::mutex> lock(mutex_);
    return disconnects_;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgListener> listener_;
  std::mutex mutex_;
  std::vector<std::string> payloads_;
  int connects_ = 0;
  int disconnects_ = 0;
};

TEST_F(PgListenerTest, DeliversTheChannelsNotificationsInCommitOrder) {
  Listen(AppUrl());
  ASSERT_TRUE(listener_->WaitUntilListening(absl::Seconds(15)));
  EXPECT_TRUE(listener_->listening());
  EXPECT_EQ(connects(), 1);
  Notify("adcp_other_channel", "not ours");
  Notify(kChannel, "first");
  Notify(kChannel, "second");
  Notify(kChannel, "third");
  ASSERT_TRUE(Eventually([&] { return payloads().size() >= 3; }));
  EXPECT_EQ(payloads(), (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_EQ(disconnects(), 0);
}

TEST_F(PgListenerTest, ANotificationOfARolledBackTransactionIsNotDelivered) {
  Listen(AppUrl());
  ASSERT_TRUE(listener_->WaitUntilListening(absl::Seconds(15)));
  ASSERT_TRUE(db_->ExecAsSuperuser(
                     absl::StrCat("DO $$ BEGIN PERFORM pg_notify('", kChannel,
                                  "', 'rolled back'); RAISE EXCEPTION "
                                  "'undo'; END $$"))
                  .code() != absl::StatusCode::kOk);
  Notify(kChannel, "committed");
  ASSERT_TRUE(Eventually([&] { return !payloads().empty(); }));
  EXPECT_EQ(payloads(), std::vector<std::string>{"committed"});
}

TEST_F(PgListenerTest, ReconnectsAfterItsBackendIsKilledAndResyncs) {
  Listen(AppUrl(), /*ping=*/absl::Milliseconds(200));
  ASSERT_TRUE(listener_->WaitUntilListening(absl::Seconds(15)));
  Notify(kChannel, "before");
  ASSERT_TRUE(Eventually([&] { return payloads().size() == 1; }));

  ASSERT_TRUE(db_->ExecAsSuperuser(
                     absl::StrCat("SELECT pg_terminate_backend(pid) FROM "
                                  "pg_stat_activity WHERE application_name = '",
                                  kApplication, "'"))
                  .ok());
  // The loss is reported, then a new connection listens again and says so
  // (on_connect is where a user resynchronises).
  ASSERT_TRUE(Eventually([&] { return disconnects() == 1; }));
  ASSERT_TRUE(Eventually([&] { return connects() == 2; }));
  ASSERT_TRUE(listener_->WaitUntilListening(absl::Seconds(15)));
  Notify(kChannel, "after");
  ASSERT_TRUE(Eventually([&] { return payloads().size() == 2; }));
  EXPECT_EQ(payloads(), (std::vector<std::string>{"before", "after"}));
}

TEST_F(PgListenerTest, KeepsTryingWhileTheDatabaseIsUnreachable) {
  // A database that does not exist: every connection attempt fails.
  Listen(absl::StrReplaceAll(
      AppUrl(), {{"dbname=" + db_->name(), "dbname=adcp_no_such_database"}}));
  EXPECT_FALSE(listener_->WaitUntilListening(absl::Milliseconds(700)));
  EXPECT_FALSE(listener_->listening());
  EXPECT_EQ(connects(), 0);
  EXPECT_EQ(disconnects(), 0);  // never connected: nothing was lost
  const absl::Time start = absl::Now();
  listener_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(PgListenerTest, StopEndsTheListenerPromptlyAndIsIdempotent) {
  Listen(AppUrl());
  ASSERT_TRUE(listener_->WaitUntilListening(absl::Seconds(15)));
  const absl::Time start = absl::Now();
  listener_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_FALSE(listener_->listening());
  listener_->Stop();
  // Its connection is gone from the server.
  EXPECT_TRUE(Eventually([&] {
    return db_
        ->ExecAsSuperuser(
            absl::StrCat("DO $$ BEGIN IF EXISTS (SELECT 1 FROM "
                         "pg_stat_activity WHERE application_name = '",
                         kApplication,
                         "') THEN RAISE EXCEPTION 'still there'; END IF; "
                         "END $$"))
        .ok();
  }));
  Notify(kChannel, "after stop");
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(payloads().empty());
}

}  // namespace
}  // namespace adcp
