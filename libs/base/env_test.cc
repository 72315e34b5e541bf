#include "libs/base/env.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace adcp::env {
namespace {

TEST(EnvTest, DefaultsWhenUnsetOrEmpty) {
  unsetenv("ADCP_TEST_VAR");
  EXPECT_EQ(String("ADCP_TEST_VAR", "d"), "d");
  EXPECT_EQ(*Int("ADCP_TEST_VAR", 5, 0, 10), 5);
  setenv("ADCP_TEST_VAR", "", 1);
  EXPECT_EQ(*Bool("ADCP_TEST_VAR", true), true);
  EXPECT_FALSE(Required("ADCP_TEST_VAR").ok());
}

TEST(EnvTest, ParsesAndRejectsNamingTheVariable) {
  setenv("ADCP_TEST_VAR", "8080", 1);
  EXPECT_EQ(*Int("ADCP_TEST_VAR", 1, 0, 65535), 8080);
  setenv("ADCP_TEST_VAR", "70000", 1);
  auto out_of_range = Int("ADCP_TEST_VAR", 1, 0, 65535);
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_EQ(out_of_range.status().message(),
            "ADCP_TEST_VAR: expected an integer in [0, 65535], got '70000'");
  setenv("ADCP_TEST_VAR", "12abc", 1);
  EXPECT_FALSE(Int("ADCP_TEST_VAR", 1, 0, 65535).ok());
  setenv("ADCP_TEST_VAR", "Off", 1);
  EXPECT_EQ(*Bool("ADCP_TEST_VAR", true), false);
  setenv("ADCP_TEST_VAR", "maybe", 1);
  EXPECT_FALSE(Bool("ADCP_TEST_VAR", true).ok());
  unsetenv("ADCP_TEST_VAR");
}

}  // namespace
}  // namespace adcp::env
