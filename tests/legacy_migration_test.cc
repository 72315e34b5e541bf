// The move of a single-tenant database (db/legacy/single_tenant_schema.sql,
// filled with rows) to the multi-tenant schema: every row ends up in the
// default tenant, counts are kept, the services' roles see the rows only
// under that tenant, the schema equals a fresh install's, a second run changes
// nothing, and a failure changes nothing either.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "db/builtin_migrations.h"
#include "libs/db/migrations.h"
#include "tests/support/test_database.h"
#include "tools/migrate/multi_tenant_migration.h"

#ifndef LEGACY_SCHEMA_SQL
#error "LEGACY_SCHEMA_SQL must name db/legacy/single_tenant_schema.sql"
#endif

namespace adcp {
namespace {

using testing::ReadSqlFile;
using testing::TestDatabase;

constexpr const char* kTables[] = {"principals", "creatives", "media_buys",
                                   "human_tasks"};

class LegacyMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create(/*migrate=*/false);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  // The single-tenant schema with `principals` buyers, each with two
  // creatives, three buys and one task per buy plus one review task.
  void FillLegacy(int principals, const std::string& bad_principal = "") {
    pqxx::connection connection(db_->OwnerUrl());
    pqxx::work txn(connection);
    txn.exec(ReadSqlFile(LEGACY_SCHEMA_SQL));
    txn.exec_params(
        "INSERT INTO principals (principal_id, name, token_hash, "
        "token_prefix) SELECT 'buyer' || g, 'Buyer ' || g, "
        "sha256(('token' || g)::bytea), 'adcp_' || g FROM "
        "generate_series(1, $1) g",
        principals);
    if (!bad_principal.empty()) {
      txn.exec_params(
          "INSERT INTO principals (principal_id, name, token_hash, "
          "token_prefix) VALUES ($1, 'Bad', sha256('bad'::bytea), 'adcp_x')",
          bad_principal);
    }
    txn.exec0(
        "INSERT INTO creatives (principal_id, creative_id, name, "
        "format_agent_url, format_id, assets, status) SELECT principal_id, "
        "'c' || n, 'Creative', 'https://creative.adcontextprotocol.org', "
        "'display_300x250', "
        "'{\"image\":{\"url\":\"https://x.example/a.png\"}}',"
        " 'approved' FROM principals, generate_series(1, 2) n");
    txn.exec0(
        "INSERT INTO media_buys (media_buy_id, principal_id, status, adapter, "
        "currency, total_budget, start_time, end_time) SELECT 'mb_' || "
        "principal_id || '_' || n, principal_id, 'pending_approval', 'mock', "
        "'USD', 1000.5 * n, now(), now() + interval '10 days' FROM "
        "principals, generate_series(1, 3) n");
    txn.exec0(
        "INSERT INTO human_tasks (task_id, principal_id, task_type, "
        "media_buy_id, summary) SELECT 'task_' || media_buy_id, principal_id, "
        "'media_buy_approval', media_buy_id, 'Approve' FROM media_buys");
    txn.exec0(
        "INSERT INTO human_tasks (task_id, principal_id, task_type, "
        "creative_id, summary) SELECT 'review_' || principal_id, "
        "principal_id, 'creative_review', 'c1', 'Review' FROM principals");
    txn.commit();
  }

  // Rows per table of `tables` (default: kTables) as `url`'s role sees them.
  std::map<std::string, int64_t> Counts(const std::string& url,
                                        const std::string& tenant = "",
                                        std::vector<std::string> tables = {
                                            std::begin(kTables),
                                            std::end(kTables)}) {
    pqxx::connection connection(url);
    pqxx::work txn(connection);
    if (!tenant.empty())
      txn.exec_params("SELECT set_config('app.tenant_id', $1, true)", tenant);
    std::map<std::string, int64_t> counts;
    for (const std::string& table : tables)
      counts[table] = txn.exec1(absl::StrCat("SELECT count(*) FROM ", table))[0]
                          .as<int64_t>();
    return counts;
  }

  // Counts as each table's service sees them: principals as auth, the rest
  // as media-buy.
  std::map<std::string, int64_t> ServiceCounts(const std::string& tenant = "") {
    std::map<std::string, int64_t> counts = Counts(
        db_->MediaBuyUrl(), tenant, {"creatives", "media_buys", "human_tasks"});
    counts.merge(Counts(db_->AuthUrl(), tenant, {"principals"}));
    return counts;
  }

  // Everything the schema is made of: columns, constraints, indexes, row
  // security, policies and grants, as text.
  static std::string SchemaShape(const std::string& url) {
    pqxx::connection connection(url);
    pqxx::work txn(connection);
    std::string shape;
    for (const char* sql :
         {"SELECT string_agg(table_name || '.' || column_name || ' ' || "
          "data_type || ' ' || is_nullable || ' ' || COALESCE(column_default, "
          "''), E'\\n' ORDER BY table_name, column_name) FROM "
          "information_schema.columns WHERE table_schema = 'public'",
          "SELECT string_agg(conrelid::regclass || ' ' || conname || ' ' || "
          "pg_get_constraintdef(oid), E'\\n' ORDER BY conrelid::regclass::text,"
          " conname) FROM pg_constraint WHERE connamespace = "
          "'public'::regnamespace",
          "SELECT string_agg(indexdef, E'\\n' ORDER BY indexdef) FROM "
          "pg_indexes WHERE schemaname = 'public'",
          "SELECT string_agg(relname || ' ' || relrowsecurity || ' ' || "
          "relforcerowsecurity, E'\\n' ORDER BY relname) FROM pg_class WHERE "
          "relnamespace = 'public'::regnamespace AND relkind = 'r'",
          "SELECT string_agg(tablename || ' ' || policyname || ' ' || "
          "COALESCE(qual, '') || ' ' || COALESCE(with_check, ''), E'\\n' "
          "ORDER BY tablename, policyname) FROM pg_policies",
          "SELECT string_agg(table_name || ' ' || grantee || ' ' || "
          "privilege_type, E'\\n' ORDER BY table_name, grantee, "
          "privilege_type) FROM information_schema.role_table_grants WHERE "
          "table_schema = 'public'"}) {
      shape += txn.exec1(sql)[0].as<std::string>("") + "\n--\n";
    }
    return shape;
  }

  std::string Md5OfEverything(const std::string& url) {
    pqxx::connection connection(url);
    pqxx::work txn(connection);
    std::string sql = "SELECT md5(''";
    for (const char* table :
         {"tenants", "principals", "creatives", "media_buys", "human_tasks",
          "audit_log", "schema_migrations"}) {
      absl::StrAppend(&sql,
                      " || COALESCE((SELECT string_agg(t::text, '|' ORDER BY "
                      "t::text) FROM ",
                      table, " t), '')");
    }
    return txn.exec1(sql + ")")[0].as<std::string>();
  }

  migrate::MultiTenantMigrationOptions Options() const {
    migrate::MultiTenantMigrationOptions options;
    options.tenant_id = "default";
    options.config = {{"adapters", {{"mock", {{"enabled", true}}}}},
                      {"features", {{"max_daily_budget", 5000}}}};
    options.roles = db_->migration_options();
    return options;
  }

  std::unique_ptr<TestDatabase> db_;
};

TEST_F(LegacyMigrationTest, EveryRowMovesIntoTheDefaultTenant) {
  FillLegacy(5);
  const auto before = Counts(db_->SuperuserUrl());
  EXPECT_EQ(before.at("principals"), 5);
  EXPECT_EQ(before.at("human_tasks"), 20);
  ASSERT_TRUE(*migrate::IsSingleTenantSchema(db_->OwnerUrl()));

  auto report = migrate::MigrateToMultiTenant(db_->OwnerUrl(), Options());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->migrated);
  EXPECT_EQ(report->rows, before);
  EXPECT_EQ(report->schema_version, db::LatestSchemaVersion());
  EXPECT_FALSE(*migrate::IsSingleTenantSchema(db_->OwnerUrl()));

  // Superuser view: the same counts, every row the default tenant's.
  EXPECT_EQ(Counts(db_->SuperuserUrl()), before);
  {
    pqxx::connection connection(db_->SuperuserUrl());
    pqxx::work txn(connection);
    for (const char* table : kTables) {
      EXPECT_EQ(txn.exec1(absl::StrCat("SELECT count(*) FROM ", table,
                                       " WHERE tenant_id <> 'default'"))[0]
                    .as<int64_t>(),
                0)
          << table;
    }
    const auto tenant = txn.exec1(
        "SELECT name, subdomain, is_active, config->'features'->>"
        "'max_daily_budget', initialized_at IS NOT NULL FROM tenants");
    EXPECT_EQ(tenant[0].as<std::string>(), "Default Publisher");
    EXPECT_EQ(tenant[1].as<std::string>(), "default");
    EXPECT_TRUE(tenant[2].as<bool>());
    EXPECT_EQ(tenant[3].as<std::string>(), "5000");
    EXPECT_TRUE(tenant[4].as<bool>());
    EXPECT_EQ(txn.exec1("SELECT count(*) FROM audit_log WHERE operation = "
                        "'migrated_from_single_tenant'")[0]
                  .as<int>(),
              1);
    EXPECT_TRUE(txn.exec1("SELECT to_regnamespace('adcp_single_tenant') IS "
                          "NULL")[0]
                    .as<bool>());
  }
  // The services' roles see the rows only as the default tenant.
  EXPECT_EQ(ServiceCounts("default"), before);
  for (const auto& [table, count] : ServiceCounts("other"))
    EXPECT_EQ(count, 0) << table;
  for (const auto& [table, count] : ServiceCounts())
    EXPECT_EQ(count, 0) << table;

  // The schema is exactly a fresh install's.
  auto fresh = TestDatabase::Create(/*migrate=*/true);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(SchemaShape(db_->SuperuserUrl()),
            SchemaShape((*fresh)->SuperuserUrl()));

  // A second run, and the ordinary migrations, change nothing.
  const std::string snapshot = Md5OfEverything(db_->SuperuserUrl());
  auto again = migrate::MigrateToMultiTenant(db_->OwnerUrl(), Options());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->migrated);
  auto ordinary = ApplyMigrations(db_->OwnerUrl(), db::BuiltinMigrations(),
                                  db_->migration_options());
  ASSERT_TRUE(ordinary.ok()) << ordinary.status();
  EXPECT_TRUE(ordinary->applied.empty());
  EXPECT_EQ(Md5OfEverything(db_->SuperuserUrl()), snapshot);
}

TEST_F(LegacyMigrationTest, AFailureChangesNothing) {
  // An id the multi-tenant schema refuses (upper case) fails the copy.
  FillLegacy(2, "BadBuyer");
  const auto before = Counts(db_->SuperuserUrl());
  auto report = migrate::MigrateToMultiTenant(db_->OwnerUrl(), Options());
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("changed nothing"),
            std::string::npos)
      << report.status();
  EXPECT_TRUE(*migrate::IsSingleTenantSchema(db_->OwnerUrl()));
  EXPECT_EQ(Counts(db_->SuperuserUrl()), before);
  pqxx::connection connection(db_->SuperuserUrl());
  pqxx::work txn(connection);
  EXPECT_TRUE(
      txn.exec1("SELECT to_regclass('public.tenants') IS NULL")[0].as<bool>());
}

TEST_F(LegacyMigrationTest, BadOptionsAreRefusedUpFront) {
  FillLegacy(1);
  auto options = Options();
  options.config["features"]["max_daily_budget"] = "lots";
  auto report = migrate::MigrateToMultiTenant(db_->OwnerUrl(), options);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("features.max_daily_budget"),
            std::string::npos)
      << report.status();
  options = Options();
  options.tenant_id = "Not A Label";
  EXPECT_FALSE(migrate::MigrateToMultiTenant(db_->OwnerUrl(), options).ok());
  EXPECT_TRUE(*migrate::IsSingleTenantSchema(db_->OwnerUrl()));
}

}  // namespace
}  // namespace adcp
