#include "services/admin-gateway/admin_authenticator.h"

#include <gtest/gtest.h>

namespace adcp::admin_gateway {
namespace {

TEST(RetryAfterSecondsTest, RoundsTheSuitesMillisecondsUpToSeconds) {
  auto exhausted = [](const char* message) {
    return RetryAfterSeconds(absl::ResourceExhaustedError(message));
  };
  EXPECT_EQ(exhausted("too many failed sign-in attempts; retry after 1 ms"), 1);
  EXPECT_EQ(exhausted("rate limited; retry after 1000 ms"), 1);
  EXPECT_EQ(exhausted("rate limited; retry after 1001 ms"), 2);
  EXPECT_EQ(exhausted("rate limited; retry after 899999 ms"), 900);
  // No hint, or one in another unit: the shortest wait.
  EXPECT_EQ(exhausted("rate limited"), 1);
  EXPECT_EQ(exhausted("rate limited; retry after 30 s"), 1);
  EXPECT_EQ(exhausted("retry after x ms"), 1);
  // Capped at a day.
  EXPECT_EQ(exhausted("retry after 999999999999 ms"), 86400);
}

}  // namespace
}  // namespace adcp::admin_gateway
