// The migration runner against a real PostgreSQL.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "db/builtin_migrations.h"
#include "libs/db/migrations.h"
#include "tests/support/test_database.h"

namespace adcp {
namespace {

using ::adcp::testing::TestDatabase;

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create(/*migrate=*/false);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    options_ = db_->migration_options();
  }
  int AppliedCount() {
    pqxx::connection connection(db_->OwnerUrl());
    pqxx::work txn(connection);
    return txn.exec1("SELECT count(*) FROM schema_migrations")[0].as<int>();
  }
  std::unique_ptr<TestDatabase> db_;
  MigrationOptions options_;
};

TEST_F(MigrationsTest, AppliesBuiltinsOnceAndIsIdempotent) {
  auto first =
      ApplyMigrations(db_->OwnerUrl(), db::BuiltinMigrations(), options_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->applied.size(), db::BuiltinMigrations().size());
  EXPECT_EQ(first->version, db::LatestSchemaVersion());
  auto second =
      ApplyMigrations(db_->OwnerUrl(), db::BuiltinMigrations(), options_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->applied.empty());
  EXPECT_EQ(second->version, db::LatestSchemaVersion());
  EXPECT_EQ(AppliedCount(), static_cast<int>(db::BuiltinMigrations().size()));
}

TEST_F(MigrationsTest, AFailingMigrationLeavesNothingBehind) {
  std::vector<Migration> migrations = {
      {1, "0001_ok.sql", "CREATE TABLE one (id int)"},
      {2, "0002_broken.sql",
       "CREATE TABLE two (id int); SELECT no_such_function()"},
  };
  auto report = ApplyMigrations(db_->OwnerUrl(), migrations, options_);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(std::string(report.status().message())
                .find("migration '0002_broken.sql' failed"),
            std::string::npos)
      << report.status();
  pqxx::connection connection(db_->OwnerUrl());
  pqxx::work txn(connection);
  EXPECT_TRUE(
      txn.exec1("SELECT to_regclass('public.one') IS NOT NULL")[0].as<bool>());
  EXPECT_FALSE(
      txn.exec1("SELECT to_regclass('public.two') IS NOT NULL")[0].as<bool>());
  EXPECT_EQ(
      txn.exec1("SELECT max(version) FROM schema_migrations")[0].as<int>(), 1);
}

TEST_F(MigrationsTest, RefusesAnEditedAppliedMigration) {
  std::vector<Migration> migrations = {
      {1, "0001_t.sql", "CREATE TABLE t (id int)"}};
  ASSERT_TRUE(ApplyMigrations(db_->OwnerUrl(), migrations, options_).ok());
  migrations[0].sql = "CREATE TABLE t (id bigint)";
  auto report = ApplyMigrations(db_->OwnerUrl(), migrations, options_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(
      std::string(report.status().message()).find("0001_t.sql' was changed"),
      std::string::npos);
}

TEST_F(MigrationsTest, RefusesDuplicateVersions) {
  std::vector<Migration> migrations = {{1, "0001_a.sql", "SELECT 1"},
                                       {1, "0001_b.sql", "SELECT 1"}};
  auto report = ApplyMigrations(db_->OwnerUrl(), migrations, options_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MigrationsTest, RefusesToRunWhileAnotherRunHoldsTheLock) {
  pqxx::connection holder(db_->OwnerUrl());
  pqxx::nontransaction lock(holder);
  // The runner's key ("ADCPMIGR"); a second run must not race the first.
  lock.exec("SELECT pg_advisory_lock(4702957923054733138)");
  auto report =
      ApplyMigrations(db_->OwnerUrl(), db::BuiltinMigrations(), options_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kAborted)
      << report.status();
  lock.exec("SELECT pg_advisory_unlock(4702957923054733138)");
  EXPECT_TRUE(
      ApplyMigrations(db_->OwnerUrl(), db::BuiltinMigrations(), options_).ok());
}

}  // namespace
}  // namespace adcp
