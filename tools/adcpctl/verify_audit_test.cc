// `adcpctl verify-audit` as an operator runs it: the binary, against the
// throwaway PostgreSQL of `./dev test`, as the owner role. An intact chain
// exits 0; a row edited as the owner exits 1 and is named; a tombstone is
// checked under AUDIT_SIGNING_KEY.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/tenancy/audit_chain.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"

namespace adcp {
namespace {

using ::adcp::testing::ChildProcess;
using ::adcp::testing::TestDatabase;

class VerifyAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(
        db_->ExecAsSuperuser("INSERT INTO tenants (tenant_id, name, subdomain) "
                             "VALUES ('acme', 'Acme', 'acme'); "
                             "INSERT INTO audit_log (tenant_id, operation, "
                             "principal_id, success) SELECT 'acme', 'op' || i, "
                             "'p', true FROM generate_series(1, 3) i")
            .ok());
  }

  // Runs adcpctl; returns its exit code and leaves its output in `log`.
  int Run(const std::map<std::string, std::string>& env, std::string* log,
          const std::string& tenant = "acme") {
    auto child =
        ChildProcess::Launch(ADCPCTL_BINARY, env, {"verify-audit", tenant});
    const int code = child->Wait(absl::Seconds(30));
    *log = child->Log();
    return code;
  }

  std::map<std::string, std::string> Env(const std::string& key = "") {
    std::map<std::string, std::string> env{{"DATABASE_URL", db_->OwnerUrl()}};
    if (!key.empty()) env["AUDIT_SIGNING_KEY"] = key;
    return env;
  }

  std::unique_ptr<TestDatabase> db_;
};

TEST_F(VerifyAuditTest, AnIntactChainExitsZero) {
  std::string log;
  EXPECT_EQ(Run(Env(), &log), 0) << log;
  EXPECT_NE(log.find("audit chain of acme: intact, 3 rows"), std::string::npos)
      << log;
}

TEST_F(VerifyAuditTest, ARowEditedAsTheOwnerIsNamed) {
  std::string id;
  {
    pqxx::connection connection(db_->OwnerUrl());
    pqxx::work txn(connection);
    txn.exec("SELECT set_config('app.tenant_id', 'acme', true)");
    id = txn.exec1(
                "UPDATE audit_log SET principal_id = 'mallory' "
                "WHERE chain_seq = 2 RETURNING audit_id")[0]
             .as<std::string>();
    txn.commit();
  }
  std::string log;
  EXPECT_EQ(Run(Env(), &log), 1) << log;
  EXPECT_NE(log.find("BROKEN at audit_id " + id + " (chain_seq 2)"),
            std::string::npos)
      << log;
}

TEST_F(VerifyAuditTest, TombstonesAreCheckedUnderTheKey) {
  const std::string key(40, 'k');
  const Tombstone stone{.tenant_id = "gone",
                        .purged_at_micros = 1765000000000000,
                        .purged_by = "system",
                        .deleted_rows = {{"tenants", 1}},
                        .audit_chain_length = 0,
                        .audit_chain_head_hex = std::string(64, '0')};
  ASSERT_TRUE(
      db_->ExecAsSuperuser(
             absl::StrCat("INSERT INTO tenant_tombstones "
                          "(purged_tenant_id, purged_at, "
                          "purged_by, deleted_rows, "
                          "audit_chain_length, audit_chain_head, "
                          "signature) VALUES ('gone', "
                          "'epoch'::timestamptz + ",
                          stone.purged_at_micros,
                          " * interval '1 microsecond', 'system', "
                          "'{\"tenants\": 1}', 0, decode('",
                          stone.audit_chain_head_hex, "', 'hex'), decode('",
                          SignTombstone(stone, key), "', 'hex'))"))
          .ok());
  std::string log;
  EXPECT_EQ(Run(Env(key), &log, "gone"), 0) << log;
  EXPECT_NE(log.find("signature valid"), std::string::npos) << log;
  EXPECT_EQ(Run(Env(std::string(40, 'x')), &log, "gone"), 1) << log;
  EXPECT_NE(log.find("signature INVALID"), std::string::npos) << log;
}

TEST_F(VerifyAuditTest, NoDatabaseExitsTwo) {
  std::string log;
  EXPECT_EQ(Run({}, &log), 2) << log;
  EXPECT_NE(log.find("DATABASE_URL"), std::string::npos) << log;
}

}  // namespace
}  // namespace adcp
