// One database role per service (issue 28), against the throwaway
// PostgreSQL of `./dev test`: each role holds exactly its service's
// privileges (the start-up check passes), cannot touch any other table
// (every SELECT, INSERT, UPDATE and DELETE it is not granted is refused) nor
// run the hard delete unless it is the purge role, and each service refuses
// to start with a role that can do more than it needs.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "db/builtin_migrations.h"
#include "libs/db/service_role.h"
#include "services/auth/principal_repository.h"
#include "services/media-buy/store/statements.h"
#include "services/tenant-registry/tenant_repository.h"
#include "tests/support/suite.h"
#include "tests/support/test_database.h"

namespace adcp {
namespace {

using ::adcp::testing::kServiceRoles;
using ::adcp::testing::ServiceRole;
using ::adcp::testing::TestDatabase;
using ::adcp::testing::TestServiceConfig;

// What the code of each role's service says it does.
RolePrivileges Expected(ServiceRole role) {
  switch (role) {
    case ServiceRole::kRegistry:
      return tenant_registry::TenantRepository::Privileges();
    case ServiceRole::kAuth:
      return *auth::AuthRolePrivileges();
    case ServiceRole::kMediaBuy:
      return media_buy::StorePrivileges();
    case ServiceRole::kPurge:
      break;
  }
  return tenant_registry::TenantRepository::PurgePrivileges();
}

bool Allowed(const RolePrivileges& privileges, const std::string& table,
             const std::string& privilege) {
  const auto it = privileges.tables.find(table);
  return it != privileges.tables.end() && it->second.count(privilege) > 0;
}

class ServiceRolesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  // Every table of schema public with its first column.
  std::vector<std::pair<std::string, std::string>> Tables() const {
    pqxx::connection owner(db_->OwnerUrl());
    pqxx::nontransaction txn(owner);
    std::vector<std::pair<std::string, std::string>> tables;
    for (const auto& row :
         txn.exec("SELECT c.relname, a.attname FROM pg_class c "
                  "JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = 1 "
                  "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
                  "ORDER BY 1")) {
      tables.emplace_back(row[0].as<std::string>(), row[1].as<std::string>());
    }
    return tables;
  }

  absl::Status Verify(ServiceRole connect_as, const RolePrivileges& expected) {
    PgPool pool({.conninfo = db_->RoleUrl(connect_as), .size = 1}, {});
    return VerifyServiceRole(pool, db::LatestSchemaVersion(), expected);
  }

  std::unique_ptr<TestDatabase> db_;
};

TEST_F(ServiceRolesTest, EachRoleHoldsExactlyItsServicesPrivileges) {
  for (const ServiceRole role : kServiceRoles) {
    const absl::Status status = Verify(role, Expected(role));
    EXPECT_TRUE(status.ok()) << db_->role_name(role) << ": " << status;
  }
}

TEST_F(ServiceRolesTest, NoRoleTouchesAnotherServicesTables) {
  const auto tables = Tables();
  ASSERT_GE(tables.size(), 15u);
  int refused = 0;
  for (const ServiceRole role : kServiceRoles) {
    const RolePrivileges expected = Expected(role);
    pqxx::connection connection(db_->RoleUrl(role));
    for (const auto& [table, column] : tables) {
      const std::pair<std::string, std::string> statements[] = {
          {"SELECT", absl::StrCat("SELECT count(*) FROM ", table)},
          {"INSERT", absl::StrCat("INSERT INTO ", table, " DEFAULT VALUES")},
          {"UPDATE", absl::StrCat("UPDATE ", table, " SET ", column,
                                  " = DEFAULT WHERE false")},
          {"DELETE", absl::StrCat("DELETE FROM ", table, " WHERE false")}};
      for (const auto& [privilege, sql] : statements) {
        if (Allowed(expected, table, privilege)) continue;
        pqxx::nontransaction txn(connection);
        EXPECT_THROW(txn.exec(sql), pqxx::insufficient_privilege)
            << db_->role_name(role) << ": " << sql;
        ++refused;
      }
    }
    for (const char* function : {"purge_tenant", "audit_chain_head"}) {
      if (expected.functions.count(function)) continue;
      pqxx::nontransaction txn(connection);
      EXPECT_THROW(
          txn.exec(absl::StrCat("SELECT * FROM ", function, "('nobody')")),
          pqxx::insufficient_privilege)
          << db_->role_name(role) << ": " << function;
      ++refused;
    }
  }
  // Most of the matrix is refused: no role reaches more than a few tables.
  EXPECT_GT(refused, static_cast<int>(tables.size()) * 4 * 3);
}

TEST_F(ServiceRolesTest, TheLegacyAppRoleKeepsNoPrivilege) {
  pqxx::connection owner(db_->OwnerUrl());
  pqxx::nontransaction txn(owner);
  const std::string app = db_->migration_options().app_role;
  EXPECT_EQ(txn.exec_params1(
                   "SELECT count(*) FROM information_schema.role_table_grants "
                   "WHERE grantee = $1",
                   app)[0]
                .as<int>(),
            0);
  for (const char* function :
       {"purge_tenant(text)", "audit_chain_head(text)"}) {
    EXPECT_FALSE(txn.exec_params1("SELECT has_function_privilege($1, $2, "
                                  "'EXECUTE')",
                                  app, function)[0]
                     .as<bool>())
        << function;
  }
}

TEST_F(ServiceRolesTest, TheCheckNamesTheRoleTableAndPrivilegeOfAnExtra) {
  // Media-buy's role, granted the registry's table.
  const std::string media_buy = db_->role_name(ServiceRole::kMediaBuy);
  ASSERT_TRUE(
      db_->ExecAsSuperuser("GRANT SELECT ON tenants TO " + media_buy).ok());
  const absl::Status extra =
      Verify(ServiceRole::kMediaBuy, Expected(ServiceRole::kMediaBuy));
  EXPECT_EQ(extra.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(extra.message(),
            absl::StrCat("database role '", media_buy,
                         "' can do more than media-buy needs: SELECT on "
                         "tenants; give each service its own role "
                         "(docs/security.md)"));
  // A function, a column and the schema count as well.
  const std::string auth = db_->role_name(ServiceRole::kAuth);
  ASSERT_TRUE(
      db_->ExecAsSuperuser(
             absl::StrCat("GRANT EXECUTE ON FUNCTION purge_tenant(text) "
                          "TO ",
                          auth, "; GRANT UPDATE (name) ON tenants TO ", auth,
                          "; GRANT CREATE ON SCHEMA public TO ", auth))
          .ok());
  const absl::Status more =
      Verify(ServiceRole::kAuth, Expected(ServiceRole::kAuth));
  EXPECT_EQ(more.code(), absl::StatusCode::kFailedPrecondition);
  for (const char* part : {"EXECUTE on function purge_tenant",
                           "UPDATE on tenants", "CREATE on schema public"}) {
    EXPECT_NE(more.message().find(part), std::string::npos)
        << part << " in " << more;
  }
}

TEST_F(ServiceRolesTest, TheCheckNamesWhatARoleLacks) {
  const std::string registry = db_->role_name(ServiceRole::kRegistry);
  ASSERT_TRUE(
      db_->ExecAsSuperuser("REVOKE INSERT ON audit_log FROM " + registry).ok());
  const absl::Status lacking =
      Verify(ServiceRole::kRegistry, Expected(ServiceRole::kRegistry));
  EXPECT_EQ(lacking.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(lacking.message().find(absl::StrCat(
                "database role '", registry,
                "' lacks what tenant-registry needs: INSERT on audit_log")),
            std::string::npos)
      << lacking;
}

// ./dev bench installs pg_stat_statements in the database: its views are
// readable by PUBLIC, which is the extension's business, not a role's grant.
TEST_F(ServiceRolesTest, AnExtensionsObjectsAreNotCounted) {
  ASSERT_TRUE(
      db_->ExecAsSuperuser("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
          .ok());
  for (const ServiceRole role : kServiceRoles) {
    const absl::Status status = Verify(role, Expected(role));
    EXPECT_TRUE(status.ok()) << db_->role_name(role) << ": " << status;
  }
}

// Without the purge role's URL the registry cannot hard-delete.
TEST_F(ServiceRolesTest, WithoutAPurgePoolTheHardDeleteIsRefused) {
  PgPool pool({.conninfo = db_->RegistryUrl(), .size = 1},
              tenant_registry::TenantRepository::Statements());
  tenant_registry::TenantRepository repository(pool, /*purge_pool=*/nullptr,
                                               std::string(32, 'k'));
  const auto purged = repository.Purge("some-tenant", "system");
  EXPECT_EQ(purged.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(purged.status().message().find("DATABASE_PURGE_URL"),
            std::string::npos)
      << purged.status();
}

// Each service started with another service's role.
TEST_F(ServiceRolesTest, EachServiceRefusesAnotherServicesRole) {
  const auto refused = [&](const absl::Status& status, ServiceRole role,
                           const std::string& service) {
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
    EXPECT_NE(status.message().find(
                  absl::StrCat("database role '", db_->role_name(role),
                               "' can do more than ", service, " needs: ")),
              std::string::npos)
        << status;
  };
  const std::string token = "roles-test-internal-token";
  const std::string system = "roles-test-system-token";
  auto registry = tenant_registry::TenantRegistryServer::Start(
      {.service =
           TestServiceConfig("tenant-registry", db_->AuthUrl(), token, system),
       .audit_signing_key = std::string(32, 'k')});
  refused(registry.status(), ServiceRole::kAuth, "tenant-registry");

  auth::AuthConfig auth_config;
  auth_config.service =
      TestServiceConfig("auth", db_->MediaBuyUrl(), token, system);
  refused(auth::AuthServer::Start(auth_config).status(), ServiceRole::kMediaBuy,
          "auth");

  media_buy::MediaBuyConfig media_buy_config;
  media_buy_config.service =
      TestServiceConfig("media-buy", db_->RegistryUrl(), token, system);
  refused(media_buy::MediaBuyServer::Start(media_buy_config).status(),
          ServiceRole::kRegistry, "media-buy");
}

}  // namespace
}  // namespace adcp
