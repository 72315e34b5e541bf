// Every statement the services prepare, planned with EXPLAIN on a database
// with rows (tests/citus/seed.sql): no plan may scan a tenant table without
// a condition `tenant_id = <parameter or constant>` of its own. That
// condition is what lets Citus route a statement to the one worker that
// holds the tenant (docs/scale-out.md), and what keeps a scan to one
// tenant's rows on plain PostgreSQL. Row-level security would add such a
// condition to every scan and hide a missing one, so the plans are made as
// a superuser, to whom it does not apply.
//
// Each statement is planned three ways: the generic plan (what a prepared
// statement settles on) and custom plans for the seeded tenant with every
// boolean parameter false, then true (buyer and tenant-admin readers).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/tenancy/audit_log.h"
#include "services/auth/principal_repository.h"
#include "services/auth/sign_in_failures.h"
#include "services/auth/system_admin_repository.h"
#include "services/media-buy/store/statements.h"
#include "services/tenant-registry/tenant_repository.h"
#include "tests/support/test_database.h"

#ifndef TENANT_PLANS_SEED_SQL
#error "TENANT_PLANS_SEED_SQL must name tests/citus/seed.sql"
#endif

namespace adcp {
namespace {

using ::adcp::testing::ReadSqlFile;
using ::adcp::testing::TestDatabase;

constexpr char kTenant[] = "tenant-1";

struct Statement {
  std::string owner, name, sql;
};

// The prepared statements of every repository that reaches the database.
std::vector<Statement> ServiceStatements() {
  std::vector<Statement> all;
  const auto add = [&](const std::string& owner,
                       const PgPool::Statements& statements) {
    for (const auto& [name, sql] : statements)
      all.push_back({owner, name, sql});
  };
  add("tenant-registry", tenant_registry::TenantRepository::Statements());
  add("tenant-registry", tenant_registry::TenantRepository::PurgeStatements());
  add("auth", auth::PrincipalRepository::Statements());
  add("auth", auth::SystemAdminRepository::Statements());
  add("auth", auth::SignInFailures::Statements());
  add("media-buy", media_buy::StoreStatements());
  add("tenancy", AuditLog::Statements());
  add("tenancy", AuditLog::PlatformStatements());
  return all;
}

// The top-level conjuncts of a plan condition: "((a) AND (b OR c))" is
// "(a)" and "(b OR c)".
std::vector<std::string> Conjuncts(std::string condition) {
  const auto wrapped = [](const std::string& text) {
    if (text.size() < 2 || text.front() != '(' || text.back() != ')')
      return false;
    int depth = 0;
    for (size_t i = 0; i + 1 < text.size(); ++i) {
      depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
      if (depth == 0) return false;  // the first '(' closes before the end
    }
    return true;
  };
  while (wrapped(condition))
    condition = condition.substr(1, condition.size() - 2);
  std::vector<std::string> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < condition.size(); ++i) {
    depth += condition[i] == '(' ? 1 : condition[i] == ')' ? -1 : 0;
    if (depth == 0 && condition.compare(i, 5, " AND ") == 0) {
      parts.push_back(condition.substr(start, i - start));
      start = i + 5;
    }
  }
  parts.push_back(condition.substr(start));
  return parts;
}

// Whether `condition` (a plan's Index Cond, Filter, ...) requires a tenant_id
// column to equal a parameter or a constant: one of its top-level conjuncts
// is that comparison, not part of an OR.
bool PinsTheTenant(const std::string& condition) {
  static const std::regex kColumnFirst(
      R"((^|[^\w.])(\w+\.)?tenant_id\)?(::[\w ]+)? = \(*(\$\d+|'[^']*'))");
  static const std::regex kValueFirst(
      R"((\$\d+|'[^']*'(::[\w ]+)?)\)?(::[\w ]+)? = \(*(\w+\.)?tenant_id\b)");
  for (const std::string& part : Conjuncts(condition)) {
    if (part.find(" OR ") != std::string::npos) continue;
    if (std::regex_search(part, kColumnFirst) ||
        std::regex_search(part, kValueFirst))
      return true;
  }
  return false;
}

// Appends to `found` each scan of a tenant table under `node` (EXPLAIN
// FORMAT JSON) that has no condition pinning tenant_id; counts in `scans`
// every scan of a tenant table.
void FindUnpinnedScans(const nlohmann::json& node,
                       const std::set<std::string>& tenant_tables,
                       std::vector<std::string>& found, int& scans) {
  static const std::set<std::string> kScans = {
      "Seq Scan", "Index Scan",     "Index Only Scan", "Bitmap Heap Scan",
      "Tid Scan", "Tid Range Scan", "Sample Scan"};
  const std::string type = node.value("Node Type", "");
  const std::string relation = node.value("Relation Name", "");
  if (kScans.count(type) > 0 && tenant_tables.count(relation) > 0) {
    ++scans;
    std::vector<std::string> conditions;
    for (const char* key : {"Index Cond", "Recheck Cond", "Filter", "TID Cond"})
      if (node.contains(key))
        conditions.push_back(node[key].get<std::string>());
    // A bitmap heap scan's index conditions are on its bitmap index scans.
    if (node.contains("Plans"))
      for (const auto& child : node["Plans"])
        if (child.contains("Index Cond"))
          conditions.push_back(child["Index Cond"].get<std::string>());
    bool pinned = false;
    for (const auto& condition : conditions)
      pinned = pinned || PinsTheTenant(condition);
    if (!pinned)
      found.push_back(absl::StrCat(type, " on ", relation, " ",
                                   node.value("Alias", ""), " [",
                                   absl::StrJoin(conditions, " / "), "]"));
  }
  if (node.contains("Plans"))
    for (const auto& child : node["Plans"])
      FindUnpinnedScans(child, tenant_tables, found, scans);
}

class TenantPlansTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    const std::string seed = ReadSqlFile(TENANT_PLANS_SEED_SQL);
    ASSERT_FALSE(seed.empty()) << TENANT_PLANS_SEED_SQL;
    ASSERT_TRUE(db_->ExecAsSuperuser(seed).ok());
    connection_ = std::make_unique<pqxx::connection>(db_->SuperuserUrl());
    pqxx::nontransaction txn(*connection_);
    txn.exec0("ANALYZE");
    for (const auto& row : txn.exec(
             "SELECT c.table_name FROM information_schema.columns c JOIN "
             "information_schema.tables t USING (table_schema, table_name) "
             "WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' "
             "AND t.table_type = 'BASE TABLE' AND c.table_name <> 'tenants'"))
      tenant_tables_.insert(row[0].as<std::string>());
  }

  // A literal of `type` for a parameter at `position` (1-based): the seeded
  // tenant for $1 (every tenant statement's tenant; a platform statement's
  // $1 given to decode() is a hash), else a value of the type.
  static std::string Literal(pqxx::nontransaction& txn, const std::string& sql,
                             int position, const std::string& type, bool flag) {
    std::string value;
    if (type == "boolean") {
      value = flag ? "true" : "false";
    } else if (type == "smallint" || type == "integer" || type == "bigint" ||
               type == "numeric" || type == "double precision" ||
               type == "real") {
      value = "1";
    } else if (type == "jsonb" || type == "json") {
      value = "[]";
    } else if (type == "bytea") {
      value = "\\x00";
    } else if (type.rfind("timestamp", 0) == 0) {
      value = "2026-01-01 00:00:00+00";
    } else if (type.size() > 2 && type.substr(type.size() - 2) == "[]") {
      value = "{}";
    } else if (position == 1 && sql.find("decode($1") == std::string::npos) {
      value = kTenant;
    } else {
      value = "00";  // text: also a valid hex string (decode($n, 'hex'))
    }
    return txn.quote(value) + "::" + type;
  }

  // The unpinned scans of `name`'s plans ("generic", "custom, flags false",
  // ...), or an explanation if it could not be planned.
  std::vector<std::string> Check(const std::string& name,
                                 const std::string& sql) {
    pqxx::nontransaction txn(*connection_);
    std::vector<std::string> problems;
    try {
      txn.exec0(absl::StrCat("PREPARE ", txn.quote_name(name), " AS ", sql));
      std::vector<std::string> types;
      for (const auto& row :
           txn.exec_params("SELECT unnest(parameter_types)::text FROM "
                           "pg_prepared_statements WHERE name = $1",
                           name))
        types.push_back(row[0].as<std::string>());
      struct Mode {
        const char* label;
        const char* cache_mode;
        bool generic, flag;
      };
      for (const Mode& mode :
           {Mode{"generic", "force_generic_plan", true, false},
            Mode{"custom, flags false", "force_custom_plan", false, false},
            Mode{"custom, flags true", "force_custom_plan", false, true}}) {
        txn.exec0(absl::StrCat("SET plan_cache_mode = ", mode.cache_mode));
        std::vector<std::string> args;
        for (size_t i = 0; i < types.size(); ++i)
          args.push_back(mode.generic
                             ? "NULL"
                             : Literal(txn, sql, static_cast<int>(i + 1),
                                       types[i], mode.flag));
        const std::string explain = absl::StrCat(
            "EXPLAIN (FORMAT JSON) EXECUTE ", txn.quote_name(name),
            args.empty() ? "" : "(" + absl::StrJoin(args, ", ") + ")");
        const auto plan =
            nlohmann::json::parse(txn.exec1(explain)[0].as<std::string>());
        std::vector<std::string> found;
        FindUnpinnedScans(plan.at(0).at("Plan"), tenant_tables_, found, scans_);
        for (const auto& scan : found)
          problems.push_back(absl::StrCat(mode.label, ": ", scan));
      }
      txn.exec0(absl::StrCat("DEALLOCATE ", txn.quote_name(name)));
    } catch (const std::exception& e) {
      problems.push_back(absl::StrCat("cannot be planned: ", e.what()));
    }
    return problems;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<pqxx::connection> connection_;
  std::set<std::string> tenant_tables_;
  int scans_ = 0;  // scans of tenant tables in the plans checked so far
};

TEST_F(TenantPlansTest, EveryServiceStatementScansTenantTablesByTenant) {
  ASSERT_GE(tenant_tables_.size(), 13u);
  const std::vector<Statement> statements = ServiceStatements();
  ASSERT_GE(statements.size(), 50u);
  int checked = 0;
  for (const Statement& statement : statements) {
    SCOPED_TRACE(statement.sql);
    // A utility statement has no plan (auth's LOCK TABLE of system_admins,
    // a platform table).
    if (statement.sql.rfind("LOCK TABLE ", 0) == 0) continue;
    const auto problems = Check(statement.name, statement.sql);
    EXPECT_TRUE(problems.empty()) << statement.owner << " " << statement.name
                                  << ":\n  " << absl::StrJoin(problems, "\n  ");
    ++checked;
  }
  std::cout << "planned " << checked
            << " statements three ways each: " << scans_
            << " scans of tenant tables\n";
  // Most statements read or update rows: the check saw their scans.
  EXPECT_GE(scans_, 3 * 40);
}

TEST_F(TenantPlansTest, AStatementWithoutTheTenantConditionIsCaught) {
  // The check itself: each of these misses tenant_id somewhere.
  const std::pair<const char*, const char*> unpinned[] = {
      {"probe_no_tenant",
       "SELECT media_buy_id FROM media_buys WHERE media_buy_id = $1"},
      {"probe_join_side",
       "SELECT p.package_id FROM packages p JOIN media_buys b ON "
       "b.media_buy_id = p.media_buy_id WHERE p.tenant_id = $1 AND "
       "p.package_id = $2"},
      {"probe_or",
       "SELECT media_buy_id FROM media_buys WHERE tenant_id = $1 OR "
       "media_buy_id = $2"},
      {"probe_not_equal",
       "SELECT count(*) FROM audit_log WHERE tenant_id <> $1"},
      {"probe_update",
       "UPDATE human_tasks SET status = 'failed' WHERE task_id = $1"},
      {"probe_subquery",
       "SELECT product_id FROM products WHERE tenant_id = $1 AND product_id "
       "IN (SELECT product_id FROM packages WHERE budget > $2)"},
  };
  for (const auto& [name, sql] : unpinned) {
    const auto problems = Check(name, sql);
    EXPECT_FALSE(problems.empty()) << name << " passed: " << sql;
    for (const auto& problem : problems)
      EXPECT_EQ(problem.find("cannot be planned"), std::string::npos)
          << name << ": " << problem;
  }
  // And the same shapes with the condition pass.
  EXPECT_TRUE(Check("probe_pinned",
                    "SELECT p.package_id FROM packages p JOIN media_buys b "
                    "ON b.tenant_id = p.tenant_id AND b.media_buy_id = "
                    "p.media_buy_id WHERE p.tenant_id = $1 AND p.package_id "
                    "= $2")
                  .empty());
}

TEST(PinsTheTenantTest, ReadsPlanConditions) {
  EXPECT_TRUE(PinsTheTenant("((tenant_id)::text = ($1)::text)"));
  EXPECT_TRUE(PinsTheTenant("((p.tenant_id)::text = 'tenant-1'::text)"));
  EXPECT_TRUE(PinsTheTenant("(('tenant-1'::text) = (tenant_id)::text)"));
  EXPECT_TRUE(PinsTheTenant(
      "(((tenant_id)::text = $1) AND ((package_id)::text = $2))"));
  EXPECT_TRUE(
      PinsTheTenant("(((tenant_id)::text = $1) AND ($4 OR "
                    "((principal_id)::text = $3)))"));
  EXPECT_FALSE(PinsTheTenant(
      "(((tenant_id)::text = $1) OR ((media_buy_id)::text = $2))"));
  EXPECT_FALSE(PinsTheTenant("((tenant_id)::text <> ($1)::text)"));
  EXPECT_FALSE(PinsTheTenant("((b.tenant_id)::text = (p.tenant_id)::text)"));
  EXPECT_FALSE(PinsTheTenant("((purged_tenant_id)::text = ($1)::text)"));
  EXPECT_FALSE(PinsTheTenant("((media_buy_id)::text = ($1)::text)"));
}

}  // namespace
}  // namespace adcp
