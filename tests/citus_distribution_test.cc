// A SYNTAX AND RULES CHECK of db/citus/distribute.sql, which only a Citus
// coordinator can run for real: inside a transaction that is rolled back,
// tests/citus/stand_ins.sql creates functions with the signatures of
// Citus's create_reference_table and create_distributed_table that apply
// Citus's rules for keys, foreign keys and co-location (and move no data);
// then the script runs against the migrated schema. It must parse, pass
// those rules, and distribute every tenant table by tenant_id in one
// co-location group, with `tenants` as the reference table.
#include <gtest/gtest.h>

#include <map>
#include <pqxx/pqxx>
#include <set>
#include <string>

#include "tests/support/test_database.h"

#ifndef CITUS_STAND_INS_SQL
#error "CITUS_STAND_INS_SQL must name tests/citus/stand_ins.sql"
#endif
#ifndef CITUS_DISTRIBUTE_SQL
#error "CITUS_DISTRIBUTE_SQL must name db/citus/distribute.sql"
#endif

namespace adcp {
namespace {

using ::adcp::testing::ReadSqlFile;
using ::adcp::testing::TestDatabase;

class CitusDistributionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    connection_ = std::make_unique<pqxx::connection>(db_->SuperuserUrl());
    txn_ = std::make_unique<pqxx::work>(*connection_);
    const std::string stand_ins = ReadSqlFile(CITUS_STAND_INS_SQL);
    ASSERT_FALSE(stand_ins.empty()) << CITUS_STAND_INS_SQL;
    txn_->exec0(stand_ins);
    txn_->exec0("SET LOCAL search_path = citus_stand_in, public");
  }
  void TearDown() override {
    if (txn_ != nullptr) txn_->abort();  // nothing of the check stays
  }

  // Expects `sql` to fail with an error that says `reason`.
  void ExpectRefused(const std::string& sql, const std::string& reason) {
    try {
      txn_->exec(sql);
      ADD_FAILURE() << "accepted: " << sql;
    } catch (const pqxx::sql_error& e) {
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos)
          << e.what();
    }
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<pqxx::work> txn_;
};

TEST_F(CitusDistributionTest, TheScriptDistributesEveryTenantTableByTenant) {
  const std::string script = ReadSqlFile(CITUS_DISTRIBUTE_SQL);
  ASSERT_FALSE(script.empty()) << CITUS_DISTRIBUTE_SQL;
  txn_->exec(script);

  std::set<std::string> tenant_tables;
  for (const auto& row : txn_->exec(
           "SELECT c.table_name FROM information_schema.columns c JOIN "
           "information_schema.tables t USING (table_schema, table_name) "
           "WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' "
           "AND t.table_type = 'BASE TABLE' AND c.table_name <> 'tenants'"))
    tenant_tables.insert(row[0].as<std::string>());
  ASSERT_GE(tenant_tables.size(), 13u);

  std::set<std::string> distributed, groups;
  std::map<std::string, std::string> kinds;
  for (const auto& row : txn_->exec(
           "SELECT table_name::text, kind, "
           "(SELECT attname FROM pg_attribute WHERE attrelid = table_name "
           "AND attnum = column_num), COALESCE(colocation, '') "
           "FROM citus_stand_in.calls")) {
    const std::string table = row[0].as<std::string>();
    kinds[table] = row[1].as<std::string>();
    if (kinds[table] != "distributed") continue;
    distributed.insert(table);
    EXPECT_EQ(row[2].as<std::string>(), "tenant_id") << table;
    groups.insert(row[3].as<std::string>());
  }
  EXPECT_EQ(kinds["tenants"], "reference");
  EXPECT_EQ(distributed, tenant_tables);
  EXPECT_EQ(groups.size(), 1u) << "one co-location group for all tenants";

  // Every session of the database forwards SET LOCAL to the workers.
  EXPECT_EQ(txn_->exec1("SELECT count(*) FROM pg_db_role_setting s JOIN "
                        "pg_database d ON d.oid = s.setdatabase WHERE "
                        "d.datname = current_database() AND s.setrole = 0 "
                        "AND 'citus.propagate_set_commands=local' = ANY "
                        "(s.setconfig)")[0]
                .as<int>(),
            1);
}

TEST_F(CitusDistributionTest, AUniqueKeyWithoutTenantIdIsRefused) {
  txn_->exec0(
      "CREATE TABLE probe (tenant_id dns_label NOT NULL, id int NOT NULL, "
      "PRIMARY KEY (tenant_id, id), UNIQUE (id))");
  ExpectRefused("SELECT create_distributed_table('probe', 'tenant_id')",
                "PRIMARY KEY constraints that do not include the partition");
}

TEST_F(CitusDistributionTest, AChildBeforeItsParentIsRefused) {
  txn_->exec0(
      "CREATE TABLE probe_parent (tenant_id dns_label NOT NULL, id int NOT "
      "NULL, PRIMARY KEY (tenant_id, id)); CREATE TABLE probe_child "
      "(tenant_id dns_label NOT NULL, id int NOT NULL, parent int NOT NULL, "
      "PRIMARY KEY (tenant_id, id), FOREIGN KEY (tenant_id, parent) "
      "REFERENCES probe_parent (tenant_id, id))");
  ExpectRefused("SELECT create_distributed_table('probe_child', 'tenant_id')",
                "must be a distributed table or a reference table");
}

TEST_F(CitusDistributionTest, AForeignKeyAcrossTenantsIsRefused) {
  // The child's tenant_id points at the parent's other column: rows of one
  // tenant could reference another's, and Citus cannot route the check.
  txn_->exec0(
      "CREATE TABLE probe_parent (tenant_id dns_label NOT NULL, other "
      "dns_label NOT NULL, PRIMARY KEY (tenant_id, other)); CREATE TABLE "
      "probe_child (tenant_id dns_label NOT NULL, other dns_label NOT NULL, "
      "PRIMARY KEY (tenant_id, other), FOREIGN KEY (other, tenant_id) "
      "REFERENCES probe_parent (tenant_id, other))");
  txn_->exec("SELECT create_distributed_table('probe_parent', 'tenant_id')");
  ExpectRefused(
      "SELECT create_distributed_table('probe_child', 'tenant_id', "
      "colocate_with => 'probe_parent')",
      "partition column in the same ordinal");
}

}  // namespace
}  // namespace adcp
