// PgPool's tenant transactions against the throwaway PostgreSQL of
// `./dev test`, as the registry role: the tenant a TenantTxn carries is the one
// row-level security enforces, and it holds for that transaction only.
#include "libs/db/pg_pool.h"

#include <gtest/gtest.h>

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "tests/support/test_database.h"

namespace adcp {
namespace {

using ::adcp::testing::TestDatabase;

// Every test runs in both statement modes: the same SQL prepared per
// connection, and sent with its parameters each time (for PgBouncer).
class PgPoolTest : public ::testing::TestWithParam<StatementMode> {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    // Two tenants with two audit rows each (the superuser passes row-level
    // security).
    ASSERT_TRUE(db_->ExecAsSuperuser(
                       "INSERT INTO tenants (tenant_id, name, subdomain) "
                       "SELECT t, t, t FROM unnest(ARRAY['tenant-a', "
                       "'tenant-b']) t; "
                       "INSERT INTO audit_log (tenant_id, operation, "
                       "principal_id, success) SELECT tenant_id, 'op', 'p', "
                       "true FROM tenants, generate_series(1, 2)")
                    .ok());
    // One connection, so every transaction below reuses the same session.
    pool_ = std::make_unique<PgPool>(
        PgPool::Options{.conninfo = db_->RegistryUrl(),
                        .size = 1,
                        .statement_mode = GetParam()},
        PgPool::Statements{
            {"test_echo", "SELECT $1::text, $2::text"},
            {"test_audit_of",
             "SELECT tenant_id FROM audit_log "
             "WHERE tenant_id = $1 ORDER BY audit_id"},
            {"test_audit_insert",
             "INSERT INTO audit_log (tenant_id, operation, principal_id, "
             "success) VALUES ($1, $2, 'p', true)"}});
  }

  // app.tenant_id as the session sees it now ("" when unset).
  static std::string CurrentTenant(pqxx::work& work) {
    return work
        .exec1(
            "SELECT COALESCE(current_setting('app.tenant_id', true), "
            "'')")[0]
        .as<std::string>();
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgPool> pool_;
};

TEST_P(PgPoolTest, TheTenantTxnCarriesTheTenantSetForRowLevelSecurity) {
  std::string carried, set;
  std::vector<std::string> visible;
  ASSERT_TRUE(pool_
                  ->WithTenantTransaction(
                      "tenant-a",
                      [&](TenantTxn& txn) {
                        carried = txn.tenant_id();
                        set = CurrentTenant(txn.work());
                        for (const auto& row :
                             txn.work().exec("SELECT tenant_id FROM "
                                             "audit_log"))
                          visible.push_back(row[0].as<std::string>());
                        return absl::OkStatus();
                      })
                  .ok());
  EXPECT_EQ(carried, "tenant-a");
  EXPECT_EQ(set, "tenant-a");
  // A query naming no tenant sees the transaction's tenant's rows only.
  EXPECT_EQ(visible, std::vector<std::string>(2, "tenant-a"));
}

TEST_P(PgPoolTest, ExecPassesTheTransactionsTenantAsTheFirstParameter) {
  ASSERT_TRUE(pool_
                  ->WithTenantTransaction(
                      "tenant-b",
                      [&](TenantTxn& txn) {
                        const pqxx::result echo = txn.Exec("test_echo", "x");
                        EXPECT_EQ(echo[0][0].as<std::string>(), "tenant-b");
                        EXPECT_EQ(echo[0][1].as<std::string>(), "x");
                        EXPECT_EQ(txn.Exec("test_audit_of").size(), 2u);
                        txn.Exec0("test_audit_insert", "written");
                        return absl::OkStatus();
                      })
                  .ok());
  pqxx::connection owner(db_->OwnerUrl());
  pqxx::work check(owner);
  check.exec("SELECT set_config('app.tenant_id', 'tenant-b', true)");
  EXPECT_EQ(check
                .exec1("SELECT count(*) FROM audit_log WHERE operation = "
                       "'written' AND tenant_id = 'tenant-b'")[0]
                .as<int>(),
            1);
}

TEST_P(PgPoolTest, TheTenantHoldsForItsTransactionOnly) {
  ASSERT_TRUE(pool_
                  ->WithTenantTransaction(
                      "tenant-a", [](TenantTxn&) { return absl::OkStatus(); })
                  .ok());
  // The same pooled connection, next transaction: no tenant, no rows.
  ASSERT_TRUE(
      pool_
          ->WithTransaction([&](pqxx::work& work) {
            EXPECT_EQ(CurrentTenant(work), "");
            EXPECT_EQ(work.exec1("SELECT count(*) FROM audit_log")[0].as<int>(),
                      0);
            return absl::OkStatus();
          })
          .ok());
  // And a transaction for another tenant carries and sees that one.
  ASSERT_TRUE(pool_
                  ->WithTenantTransaction(
                      "tenant-b",
                      [&](TenantTxn& txn) {
                        EXPECT_EQ(txn.tenant_id(), "tenant-b");
                        EXPECT_EQ(CurrentTenant(txn.work()), "tenant-b");
                        return absl::OkStatus();
                      })
                  .ok());
}

TEST_P(PgPoolTest, AStatementForAnotherTenantFindsAndWritesNothing) {
  const absl::Status status =
      pool_->WithTenantTransaction("tenant-a", [&](TenantTxn& txn) {
        EXPECT_EQ(
            txn.work().Exec("test_audit_of", std::string("tenant-b")).size(),
            0u);
        txn.work().Exec0("test_audit_insert", std::string("tenant-b"),
                         "forged");
        return absl::OkStatus();
      });
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
}

TEST_P(PgPoolTest, AFailedCallbackRollsBack) {
  const absl::Status status =
      pool_->WithTenantTransaction("tenant-a", [&](TenantTxn& txn) {
        txn.Exec0("test_audit_insert", "rolled_back");
        return absl::AbortedError("changed my mind");
      });
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  ASSERT_TRUE(pool_
                  ->WithTenantTransaction(
                      "tenant-a",
                      [&](TenantTxn& txn) {
                        EXPECT_EQ(txn.Exec("test_audit_of").size(), 2u);
                        return absl::OkStatus();
                      })
                  .ok());
}

TEST_P(PgPoolTest, ATenantTransactionNeedsATenant) {
  bool called = false;
  const absl::Status status = pool_->WithTenantTransaction("", [&](TenantTxn&) {
    called = true;
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(called);
}

TEST_P(PgPoolTest, SessionsStartWithCitusForwardingSetLocal) {
  // What makes Citus send the tenant's SET LOCAL to its workers; plain
  // PostgreSQL keeps it as a placeholder.
  ASSERT_TRUE(pool_
                  ->WithTransaction([&](pqxx::work& work) {
                    EXPECT_EQ(work.exec1("SELECT current_setting("
                                         "'citus.propagate_set_commands', "
                                         "true)")[0]
                                  .as<std::string>(),
                              "local");
                    return absl::OkStatus();
                  })
                  .ok());
}

TEST_P(PgPoolTest, AMalformedTenantIsRefusedBeforeAnyStatement) {
  bool called = false;
  const absl::Status status = pool_->WithTenantTransaction(
      "tenant-a'; SET app.tenant_id = 'tenant-b", [&](TenantTxn&) {
        called = true;
        return absl::OkStatus();
      });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(called);
}

TEST_P(PgPoolTest, SetTransactionTenantSetsALiteralForTheTransactionOnly) {
  pqxx::connection connection(WithConnectionDefaults(db_->RegistryUrl()));
  {
    pqxx::work work(connection);
    const absl::Status refused = SetTransactionTenant(work, "tenant-a' || 'x");
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(refused.message().find("tenant_id"), std::string::npos);
    EXPECT_EQ(CurrentTenant(work), "");
    ASSERT_TRUE(SetTransactionTenant(work, "tenant-b").ok());
    EXPECT_EQ(CurrentTenant(work), "tenant-b");
    EXPECT_EQ(work.exec1("SELECT count(*) FROM audit_log")[0].as<int>(), 2);
    work.commit();
  }
  pqxx::work next(connection);
  EXPECT_EQ(CurrentTenant(next), "");
}

TEST_P(PgPoolTest, AStatementThePoolDoesNotKnowIsAnInternalError) {
  const absl::Status status =
      pool_->WithTenantTransaction("tenant-a", [&](TenantTxn& txn) {
        txn.Exec("test_no_such_statement");
        return absl::OkStatus();
      });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
}

INSTANTIATE_TEST_SUITE_P(
    StatementModes, PgPoolTest,
    ::testing::Values(StatementMode::kPrepared, StatementMode::kUnprepared),
    [](const ::testing::TestParamInfo<StatementMode>& info) {
      return std::string(StatementModeName(info.param));
    });

TEST(StatementModeTest, ParsesTheTwoNamesAndRefusesOthersNamingTheVariable) {
  EXPECT_EQ(*ParseStatementMode("DB_STATEMENT_MODE", "prepared"),
            StatementMode::kPrepared);
  EXPECT_EQ(*ParseStatementMode("DB_STATEMENT_MODE", "unprepared"),
            StatementMode::kUnprepared);
  const auto bad = ParseStatementMode("DB_STATEMENT_MODE", "Prepared ");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "DB_STATEMENT_MODE: must be prepared or unprepared");
}

}  // namespace
}  // namespace adcp
