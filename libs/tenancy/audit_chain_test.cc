// The audit log's hash chain against the throwaway PostgreSQL of
// `./dev test`: rows written by the registry role (concurrently too) chain
// intact; an owner who edits, deletes or cuts rows is found, and the first
// row that breaks the chain is named; an inserter cannot forge the chain;
// rows written before the migration are chained by it; tombstones verify
// only under their key.
#include "libs/tenancy/audit_chain.h"

#include <gtest/gtest.h>

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "db/builtin_migrations.h"
#include "tests/support/test_database.h"

namespace adcp {
namespace {

using ::adcp::testing::TestDatabase;

class AuditChainTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(/*migrate=*/true); }

  void Open(bool migrate) {
    auto db = TestDatabase::Create(migrate);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  void CreateTenants() {
    ASSERT_TRUE(
        db_->ExecAsSuperuser("INSERT INTO tenants (tenant_id, name, subdomain) "
                             "SELECT t, t, t FROM unnest(ARRAY['tenant-a', "
                             "'tenant-b']) t")
            .ok());
  }

  // `count` audit rows of `tenant`, one transaction each, as the registry
  // role.
  void WriteRows(const std::string& tenant, int count,
                 const std::string& operation = "op") {
    pqxx::connection connection(db_->RegistryUrl());
    for (int i = 0; i < count; ++i) {
      pqxx::work txn(connection);
      txn.exec("SELECT set_config('app.tenant_id', " + txn.quote(tenant) +
               ", true)");
      txn.exec(
          "INSERT INTO audit_log (tenant_id, operation, principal_id, "
          "success, details) VALUES (" +
          txn.quote(tenant) + ", " + txn.quote(operation) + ", 'p', true, " +
          txn.quote(absl::StrCat("{\"i\": ", i, ", \"note\": \"é\"}")) +
          "::jsonb)");
      txn.commit();
    }
  }

  // A statement as the owner role (bound by row-level security: FORCE),
  // inside `tenant`.
  void AsOwner(const std::string& tenant, const std::string& sql) {
    pqxx::connection connection(db_->OwnerUrl());
    pqxx::work txn(connection);
    txn.exec("SELECT set_config('app.tenant_id', " + txn.quote(tenant) +
             ", true)");
    txn.exec(sql);
    txn.commit();
  }

  int64_t AuditIdAt(const std::string& tenant, int64_t seq) {
    pqxx::connection connection(db_->SuperuserUrl(db_->name()));
    pqxx::work txn(connection);
    return txn
        .exec1(absl::StrCat("SELECT audit_id FROM audit_log WHERE tenant_id = ",
                            txn.quote(tenant), " AND chain_seq = ", seq))[0]
        .as<int64_t>();
  }

  AuditChainReport Verify(const std::string& tenant) {
    pqxx::connection connection(db_->OwnerUrl());
    auto report = VerifyAuditChain(connection, tenant);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : AuditChainReport{};
  }

  std::unique_ptr<TestDatabase> db_;
};

TEST_F(AuditChainTest, RowsWrittenConcurrentlyFormOneIntactChainPerTenant) {
  CreateTenants();
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back(
        [this, w] { WriteRows(w % 2 == 0 ? "tenant-a" : "tenant-b", 40); });
  for (auto& writer : writers) writer.join();

  for (const std::string tenant : {"tenant-a", "tenant-b"}) {
    const AuditChainReport report = Verify(tenant);
    EXPECT_EQ(report.rows, 80) << tenant;
    EXPECT_EQ(report.head_seq, 80) << tenant;
    EXPECT_FALSE(report.broken) << tenant << ": " << report.broken->reason;
  }
  // A tenant without rows has an empty, intact chain.
  const AuditChainReport empty = Verify("no-such-tenant");
  EXPECT_EQ(empty.rows, 0);
  EXPECT_FALSE(empty.broken);
}

TEST_F(AuditChainTest, AnEditedRowIsNamed) {
  CreateTenants();
  WriteRows("tenant-a", 5);
  WriteRows("tenant-b", 5);
  const int64_t third = AuditIdAt("tenant-a", 3);
  AsOwner("tenant-a",
          absl::StrCat("UPDATE audit_log SET details = '{\"i\": 99}' "
                       "WHERE audit_id = ",
                       third));

  const AuditChainReport report = Verify("tenant-a");
  ASSERT_TRUE(report.broken);
  EXPECT_EQ(report.broken->audit_id, third);
  EXPECT_EQ(report.broken->chain_seq, 3);
  EXPECT_NE(report.broken->reason.find("edited"), std::string::npos)
      << report.broken->reason;
  EXPECT_EQ(report.rows, 5);
  EXPECT_FALSE(Verify("tenant-b").broken);  // the other chain is untouched
}

TEST_F(AuditChainTest, AnEditedRowWithARecomputedHashBreaksTheNextLink) {
  CreateTenants();
  WriteRows("tenant-a", 4);
  const int64_t second = AuditIdAt("tenant-a", 2);
  AsOwner(
      "tenant-a",
      absl::StrCat("UPDATE audit_log a SET success = false, row_hash = "
                   "sha256((SELECT p.row_hash FROM audit_log p WHERE "
                   "p.tenant_id = a.tenant_id AND p.chain_seq = a.chain_seq "
                   "- 1) || convert_to(audit_canonical(tenant_id, audit_id, "
                   "chain_seq, occurred_at, operation, principal_id, "
                   "adapter_id, false, details), 'UTF8')) WHERE audit_id = ",
                   second));

  const AuditChainReport report = Verify("tenant-a");
  ASSERT_TRUE(report.broken);
  EXPECT_EQ(report.broken->audit_id, AuditIdAt("tenant-a", 3));
  EXPECT_NE(report.broken->reason.find("the one before it"), std::string::npos)
      << report.broken->reason;
}

TEST_F(AuditChainTest, ADeletedRowIsFoundWhereItWas) {
  CreateTenants();
  WriteRows("tenant-a", 6);
  const int64_t fourth = AuditIdAt("tenant-a", 4);
  const int64_t fifth = AuditIdAt("tenant-a", 5);
  AsOwner("tenant-a",
          absl::StrCat("DELETE FROM audit_log WHERE audit_id = ", fourth));

  const AuditChainReport report = Verify("tenant-a");
  ASSERT_TRUE(report.broken);
  EXPECT_EQ(report.broken->audit_id, fifth);
  EXPECT_EQ(report.broken->chain_seq, 5);
  EXPECT_NE(report.broken->reason.find("missing"), std::string::npos)
      << report.broken->reason;
}

TEST_F(AuditChainTest, ACutOffTailIsFound) {
  CreateTenants();
  WriteRows("tenant-a", 3);
  AsOwner("tenant-a", "DELETE FROM audit_log WHERE chain_seq = 3");

  const AuditChainReport report = Verify("tenant-a");
  ASSERT_TRUE(report.broken);
  EXPECT_EQ(report.broken->audit_id, 0);
  EXPECT_EQ(report.broken->chain_seq, 3);
  EXPECT_EQ(report.head_seq, 3);
  EXPECT_EQ(report.rows, 2);
  EXPECT_NE(report.broken->reason.find("end"), std::string::npos);
}

TEST_F(AuditChainTest, AnInserterCannotChooseItsPlaceInTheChain) {
  CreateTenants();
  WriteRows("tenant-a", 2);
  pqxx::connection connection(db_->RegistryUrl());
  pqxx::work txn(connection);
  txn.exec("SELECT set_config('app.tenant_id', 'tenant-a', true)");
  const pqxx::row row = txn.exec1(
      "INSERT INTO audit_log (tenant_id, operation, principal_id, success, "
      "chain_seq, row_hash) VALUES ('tenant-a', 'forged', 'p', true, 99, "
      "'\\x00') RETURNING chain_seq, length(row_hash)");
  txn.commit();
  EXPECT_EQ(row[0].as<int64_t>(), 3);
  EXPECT_EQ(row[1].as<int>(), 32);
  EXPECT_FALSE(Verify("tenant-a").broken);
  // The registry role may neither rewrite rows nor the chain's head.
  pqxx::work rewrite(connection);
  EXPECT_THROW(rewrite.exec("UPDATE audit_log SET success = false"),
               pqxx::insufficient_privilege);
}

TEST(AuditChainMigrationTest, RowsWrittenBeforeTheMigrationAreChained) {
  auto created = TestDatabase::Create(/*migrate=*/false);
  ASSERT_TRUE(created.ok()) << created.status();
  const auto db = *std::move(created);
  std::vector<Migration> before;
  for (const Migration& migration : db::BuiltinMigrations())
    if (migration.version < 10) before.push_back(migration);
  const MigrationOptions options = db->migration_options();
  ASSERT_TRUE(ApplyMigrations(db->OwnerUrl(), before, options).ok());
  ASSERT_TRUE(db->ExecAsSuperuser(
                    "INSERT INTO tenants (tenant_id, name, subdomain) VALUES "
                    "('old-tenant', 'Old', 'old'); INSERT INTO audit_log "
                    "(tenant_id, operation, principal_id, success, details) "
                    "SELECT 'old-tenant', 'op' || i, 'p', i % 2 = 0, "
                    "jsonb_build_object('i', i) FROM generate_series(1, 7) i")
                  .ok());
  const auto report =
      ApplyMigrations(db->OwnerUrl(), db::BuiltinMigrations(), options);
  ASSERT_TRUE(report.ok()) << report.status();

  pqxx::connection connection(db->OwnerUrl());
  auto chain = VerifyAuditChain(connection, "old-tenant");
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->rows, 7);
  EXPECT_EQ(chain->head_seq, 7);
  EXPECT_FALSE(chain->broken) << chain->broken->reason;
  // New rows continue the migrated chain.
  ASSERT_TRUE(
      db->ExecAsSuperuser("INSERT INTO audit_log (tenant_id, operation, "
                          "principal_id, success) VALUES ('old-tenant', 'new', "
                          "'p', true)")
          .ok());
  chain = VerifyAuditChain(connection, "old-tenant");
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->head_seq, 8);
  EXPECT_FALSE(chain->broken);
}

TEST(TombstoneTest, TheSignatureCoversEveryField) {
  const Tombstone base{.tenant_id = "gone",
                       .purged_at_micros = 1765000000123456,
                       .purged_by = "system",
                       .deleted_rows = {{"audit_log", 12}, {"tenants", 1}},
                       .audit_chain_length = 12,
                       .audit_chain_head_hex = std::string(64, 'a')};
  const std::string key(32, 'k');
  const std::string signature = SignTombstone(base, key);
  EXPECT_EQ(signature.size(), 64u);
  EXPECT_EQ(SignTombstone(base, key), signature);
  EXPECT_NE(SignTombstone(base, std::string(32, 'x')), signature);
  std::vector<Tombstone> changed(6, base);
  changed[0].tenant_id = "other";
  changed[1].purged_at_micros += 1;
  changed[2].purged_by = "someone";
  changed[3].deleted_rows["audit_log"] = 11;
  changed[4].audit_chain_length = 11;
  changed[5].audit_chain_head_hex = std::string(64, 'b');
  for (const Tombstone& tombstone : changed)
    EXPECT_NE(SignTombstone(tombstone, key), signature)
        << TombstoneCanonical(tombstone);
}

}  // namespace
}  // namespace adcp
