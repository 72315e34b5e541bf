#include "libs/db/migrations.h"

#include <gtest/gtest.h>

namespace adcp {
namespace {

TEST(MigrationVersionTest, ParsesNumberedFiles) {
  EXPECT_EQ(*MigrationVersion("0001_tenants.sql"), 1);
  EXPECT_EQ(*MigrationVersion("0042_more_things.sql"), 42);
}

TEST(MigrationVersionTest, RejectsOtherNamesWithTheFileName) {
  for (const char* bad :
       {"tenants.sql", "_x.sql", "0000_zero.sql", "12a_x.sql", "0001_x.txt"}) {
    auto version = MigrationVersion(bad);
    ASSERT_FALSE(version.ok()) << bad;
    EXPECT_NE(std::string(version.status().message()).find(bad),
              std::string::npos);
  }
}

}  // namespace
}  // namespace adcp
