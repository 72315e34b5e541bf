// The tenant-registry binary as an operator runs it: refuses unsafe database
// roles, and stops cleanly on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"

namespace adcp::tenant_registry {
namespace {

using ::adcp::testing::ServiceRole;
using ::adcp::testing::TestDatabase;

using ::adcp::testing::ChildProcess;

std::unique_ptr<ChildProcess> Launch(
    const std::map<std::string, std::string>& env) {
  return ChildProcess::Launch(TENANT_REGISTRY_BINARY, env);
}

std::map<std::string, std::string> BaseEnv(const std::string& database_url) {
  return {{"DATABASE_URL", database_url},
          {"ADCP_INTERNAL_TOKEN", "startup-test-token-0123456789"},
          {"AUDIT_SIGNING_KEY", "startup-test-audit-signing-key-0123456789"},
          {"TENANT_REGISTRY_PORT", "0"},
          {"METRICS_PORT", "0"},
          {"BIND_HOST", "127.0.0.1"},
          {"DB_WAIT_SECONDS", "0"}};
}

class TenantRegistryStartupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  std::unique_ptr<TestDatabase> db_;
};

TEST_F(TenantRegistryStartupTest, RefusesToRunAsSuperuser) {
  auto process = Launch(BaseEnv(db_->SuperuserUrl()));
  EXPECT_EQ(process->Wait(absl::Seconds(20)), 1);
  EXPECT_NE(process->Log().find(
                "is a superuser; services must connect as the app role"),
            std::string::npos)
      << process->Log();
}

TEST_F(TenantRegistryStartupTest, RefusesToRunAsTheTableOwner) {
  auto process = Launch(BaseEnv(db_->OwnerUrl()));
  EXPECT_EQ(process->Wait(absl::Seconds(20)), 1);
  EXPECT_NE(process->Log().find("owns tables"), std::string::npos)
      << process->Log();
}

TEST_F(TenantRegistryStartupTest, RefusesARoleThatCanDoMoreThanItNeeds) {
  // Another service's role.
  auto media_buy = Launch(BaseEnv(db_->MediaBuyUrl()));
  EXPECT_EQ(media_buy->Wait(absl::Seconds(20)), 1);
  EXPECT_NE(media_buy->Log().find(absl::StrCat(
                "database role '", db_->role_name(ServiceRole::kMediaBuy),
                "' can do more than tenant-registry needs: ")),
            std::string::npos)
      << media_buy->Log();
  EXPECT_NE(media_buy->Log().find("SELECT on products"), std::string::npos)
      << media_buy->Log();

  // The registry's own role, granted one table more.
  const std::string registry = db_->role_name(ServiceRole::kRegistry);
  ASSERT_TRUE(
      db_->ExecAsSuperuser("GRANT SELECT ON principals TO " + registry).ok());
  auto extra = Launch(BaseEnv(db_->RegistryUrl()));
  EXPECT_EQ(extra->Wait(absl::Seconds(20)), 1);
  EXPECT_NE(extra->Log().find(absl::StrCat("database role '", registry,
                                           "' can do more than tenant-registry "
                                           "needs: SELECT on principals;")),
            std::string::npos)
      << extra->Log();
}

TEST_F(TenantRegistryStartupTest, RefusesAPurgeUrlOfAnotherRole) {
  auto env = BaseEnv(db_->RegistryUrl());
  env["DATABASE_PURGE_URL"] = db_->RegistryUrl();
  auto process = Launch(env);
  EXPECT_EQ(process->Wait(absl::Seconds(20)), 1);
  EXPECT_NE(process->Log().find("can do more than the tenant-registry's hard "
                                "delete needs: "),
            std::string::npos)
      << process->Log();
  // With the purge role's URL it starts.
  env["DATABASE_PURGE_URL"] = db_->PurgeUrl();
  auto purge = Launch(env);
  EXPECT_TRUE(purge->AwaitLog("\"msg\":\"serving\"", absl::Seconds(20)))
      << purge->Log();
}

TEST_F(TenantRegistryStartupTest, RefusesAnUnmigratedDatabase) {
  auto bare = TestDatabase::Create(/*migrate=*/false);
  ASSERT_TRUE(bare.ok()) << bare.status();
  auto process = Launch(BaseEnv((*bare)->RegistryUrl()));
  EXPECT_EQ(process->Wait(absl::Seconds(20)), 1);
  EXPECT_NE(process->Log().find("run adcp-migrate first"), std::string::npos)
      << process->Log();
}

TEST_F(TenantRegistryStartupTest, RefusesMissingOrMalformedConfiguration) {
  auto env = BaseEnv(db_->RegistryUrl());
  env.erase("ADCP_INTERNAL_TOKEN");
  auto no_token = Launch(env);
  EXPECT_EQ(no_token->Wait(absl::Seconds(20)), 2);
  EXPECT_NE(no_token->Log().find("ADCP_INTERNAL_TOKEN: must be set"),
            std::string::npos);

  env = BaseEnv(db_->RegistryUrl());
  env["TENANT_REGISTRY_PORT"] = "http";
  auto bad_port = Launch(env);
  EXPECT_EQ(bad_port->Wait(absl::Seconds(20)), 2);
  EXPECT_NE(bad_port->Log().find("TENANT_REGISTRY_PORT: expected an integer"),
            std::string::npos)
      << bad_port->Log();
}

TEST_F(TenantRegistryStartupTest, ServesAsTheAppRoleAndStopsCleanlyOnSigterm) {
  auto process = Launch(BaseEnv(db_->RegistryUrl()));
  ASSERT_TRUE(process->AwaitLog("\"msg\":\"serving\"", absl::Seconds(20)))
      << process->Log();
  ASSERT_TRUE(process->Signal(SIGTERM));
  EXPECT_EQ(process->Wait(absl::Seconds(15)), 0) << process->Log();
  const std::string log = process->Log();
  EXPECT_NE(log.find("\"msg\":\"shutting down\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"msg\":\"stopped\""), std::string::npos) << log;
  // Every line is one JSON object naming the service.
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(line.starts_with("{") && line.ends_with("}")) << line;
    EXPECT_NE(line.find("\"service\":\"tenant-registry\""), std::string::npos)
        << line;
  }
}

}  // namespace
}  // namespace adcp::tenant_registry
