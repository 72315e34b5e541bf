// Row-level security as the services' roles see it: a tenant transaction
// sees and writes only its own tenant's rows, whatever the SQL says.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "libs/db/pg_pool.h"
#include "tests/support/test_database.h"

namespace adcp {
namespace {

using ::adcp::testing::kServiceRoles;
using ::adcp::testing::ServiceRole;
using ::adcp::testing::TestDatabase;

class RowLevelSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    // Two tenants with audit rows, written as the owner with each tenant set
    // (FORCE ROW LEVEL SECURITY binds the owner too).
    pqxx::connection owner(db_->OwnerUrl());
    for (const char* tenant : {"tenant-a", "tenant-b"}) {
      pqxx::work txn(owner);
      txn.exec_params(
          "INSERT INTO tenants (tenant_id, name, subdomain) VALUES ($1, $2, "
          "$3)",
          tenant, tenant, tenant);
      txn.exec_params("SELECT set_config('app.tenant_id', $1, true)", tenant);
      for (int i = 0; i < 3; ++i) {
        txn.exec_params(
            "INSERT INTO audit_log (tenant_id, operation, principal_id, "
            "success) "
            "VALUES ($1, 'op', 'p', true)",
            tenant);
      }
      txn.commit();
    }
    // The registry's role: it reads and adds audit rows.
    pool_ = std::make_unique<PgPool>(
        PgPool::Options{.conninfo = db_->RegistryUrl(), .size = 2},
        PgPool::Statements{});
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgPool> pool_;
};

TEST_F(RowLevelSecurityTest, ATenantTransactionSeesOnlyItsOwnRows) {
  std::vector<std::string> seen;
  ASSERT_TRUE(pool_
                  ->WithTenantTransaction(
                      "tenant-a",
                      [&](pqxx::work& txn) {
                        for (const auto& row :
                             txn.exec("SELECT tenant_id FROM audit_log")) {
                          seen.push_back(row[0].as<std::string>());
                        }
                        // Even asking for B by name finds nothing.
                        EXPECT_EQ(txn.exec("SELECT 1 FROM audit_log WHERE "
                                           "tenant_id = 'tenant-b'")
                                      .size(),
                                  0u);
                        return absl::OkStatus();
                      })
                  .ok());
  EXPECT_EQ(seen, std::vector<std::string>(3, "tenant-a"));
}

TEST_F(RowLevelSecurityTest, ATenantTransactionCannotWriteAnotherTenantsRow) {
  const absl::Status insert =
      pool_->WithTenantTransaction("tenant-a", [&](pqxx::work& txn) {
        txn.exec(
            "INSERT INTO audit_log (tenant_id, operation, principal_id, "
            "success) "
            "VALUES ('tenant-b', 'forged', 'p', true)");
        return absl::OkStatus();
      });
  EXPECT_EQ(insert.code(), absl::StatusCode::kPermissionDenied) << insert;
  // Updates and deletes of B's rows touch nothing (and no service role may
  // update or delete the audit log at all).
  pqxx::connection app(db_->RegistryUrl());
  pqxx::work txn(app);
  txn.exec("SELECT set_config('app.tenant_id', 'tenant-a', true)");
  EXPECT_THROW(txn.exec("DELETE FROM audit_log WHERE tenant_id = 'tenant-b'"),
               pqxx::insufficient_privilege);
  txn.abort();
  pqxx::connection owner(db_->OwnerUrl());
  pqxx::work check(owner);
  check.exec("SELECT set_config('app.tenant_id', 'tenant-b', true)");
  EXPECT_EQ(check.exec1("SELECT count(*) FROM audit_log")[0].as<int>(), 3);
  EXPECT_EQ(
      check
          .exec1("SELECT count(*) FROM audit_log WHERE operation = 'forged'")[0]
          .as<int>(),
      0);
}

TEST_F(RowLevelSecurityTest, TheAppRoleCannotReadAnotherTenantsPrincipals) {
  pqxx::connection owner(db_->OwnerUrl());
  for (const char* tenant : {"tenant-a", "tenant-b"}) {
    pqxx::work txn(owner);
    txn.exec_params("SELECT set_config('app.tenant_id', $1, true)", tenant);
    txn.exec_params(
        "INSERT INTO principals (tenant_id, principal_id, name, token_hash, "
        "token_prefix) "
        "VALUES ($1, 'agent', 'Agent', sha256($2::bytea), 'adcp_x')",
        tenant, tenant);
    txn.commit();
  }
  pqxx::connection app(db_->AuthUrl());  // the role that owns principals
  pqxx::work txn(app);
  txn.exec("SELECT set_config('app.tenant_id', 'tenant-a', true)");
  // A hand-written query with no WHERE clause at all.
  const pqxx::result rows = txn.exec("SELECT tenant_id FROM principals");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "tenant-a");
  EXPECT_EQ(txn.exec("UPDATE principals SET name = 'taken' WHERE tenant_id = "
                     "'tenant-b'")
                .affected_rows(),
            0u);
}

TEST_F(RowLevelSecurityTest, WithoutATenantNothingIsVisible) {
  ASSERT_TRUE(
      pool_
          ->WithTransaction([&](pqxx::work& txn) {
            EXPECT_EQ(txn.exec1("SELECT count(*) FROM audit_log")[0].as<int>(),
                      0);
            return absl::OkStatus();
          })
          .ok());
  // set_config(..., true) is transaction-local: the next transaction on the
  // same pooled connection starts with no tenant again.
  ASSERT_TRUE(pool_
                  ->WithTenantTransaction(
                      "tenant-a", [](pqxx::work&) { return absl::OkStatus(); })
                  .ok());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(
        pool_
            ->WithTransaction([&](pqxx::work& txn) {
              EXPECT_EQ(
                  txn.exec1("SELECT count(*) FROM audit_log")[0].as<int>(), 0);
              return absl::OkStatus();
            })
            .ok());
  }
}

TEST_F(RowLevelSecurityTest, EveryTableWithATenantIdIsForcedUnderAPolicy) {
  pqxx::connection owner(db_->OwnerUrl());
  pqxx::work txn(owner);
  const pqxx::result tables = txn.exec(
      "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
      "       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
      "  AND c.relname <> 'tenants' "
      "  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid "
      "              AND a.attname = 'tenant_id' AND NOT a.attisdropped)");
  ASSERT_GT(tables.size(), 0u);
  for (const auto& table : tables) {
    const std::string name = table[0].as<std::string>();
    EXPECT_TRUE(table[1].as<bool>())
        << name << ": ROW LEVEL SECURITY not enabled";
    EXPECT_TRUE(table[2].as<bool>())
        << name << ": ROW LEVEL SECURITY not forced";
    EXPECT_GE(table[3].as<int>(), 1) << name << ": no policy";
  }
}

TEST_F(RowLevelSecurityTest, TheAppRoleOwnsNothingAndCannotBypass) {
  for (const ServiceRole service : kServiceRoles) {
    pqxx::connection app(db_->RoleUrl(service));
    pqxx::work txn(app);
    const pqxx::row role = txn.exec1(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = "
        "current_user");
    EXPECT_FALSE(role[0].as<bool>()) << db_->role_name(service);
    EXPECT_FALSE(role[1].as<bool>()) << db_->role_name(service);
    EXPECT_THROW(txn.exec("ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY"),
                 pqxx::sql_error);
  }
}

}  // namespace
}  // namespace adcp
