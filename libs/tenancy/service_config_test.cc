// ServiceConfigFromEnv's database settings: the statement mode and the URL
// the listeners use (PgBouncer, issue 27).
#include "libs/tenancy/service_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace adcp {
namespace {

class ServiceConfigFromEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("DATABASE_URL", "host=bouncer dbname=adcp", 1);
    setenv("ADCP_INTERNAL_TOKEN", "internal-token-for-the-test", 1);
  }
  void TearDown() override {
    for (const char* name : {"DATABASE_URL", "ADCP_INTERNAL_TOKEN",
                             "DATABASE_LISTEN_URL", "DB_STATEMENT_MODE"})
      unsetenv(name);
  }
  static absl::StatusOr<ServiceConfig> Read() {
    return ServiceConfigFromEnv("test", "TEST_PORT", 50999, 9499);
  }
};

TEST_F(ServiceConfigFromEnvTest, DefaultsArePreparedAndListeningOnTheSameUrl) {
  auto config = Read();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->statement_mode, StatementMode::kPrepared);
  EXPECT_EQ(config->ListenUrl(), "host=bouncer dbname=adcp");
  EXPECT_EQ(config->PoolOptions().statement_mode, StatementMode::kPrepared);
}

TEST_F(ServiceConfigFromEnvTest, BehindPgBouncer) {
  setenv("DB_STATEMENT_MODE", "unprepared", 1);
  setenv("DATABASE_LISTEN_URL", "host=postgres dbname=adcp", 1);
  auto config = Read();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->PoolOptions().statement_mode, StatementMode::kUnprepared);
  EXPECT_EQ(config->PoolOptions().conninfo, "host=bouncer dbname=adcp");
  EXPECT_EQ(config->ListenUrl(), "host=postgres dbname=adcp");
}

TEST_F(ServiceConfigFromEnvTest, AnUnknownStatementModeIsRefusedByName) {
  setenv("DB_STATEMENT_MODE", "transaction", 1);
  auto config = Read();
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(),
            "DB_STATEMENT_MODE: must be prepared or unprepared");
}

}  // namespace
}  // namespace adcp
