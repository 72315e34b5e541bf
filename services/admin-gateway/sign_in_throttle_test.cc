#include "services/admin-gateway/sign_in_throttle.h"

#include <gtest/gtest.h>

namespace adcp::admin_gateway {
namespace {

class AdminSignInThrottleTest : public ::testing::Test {
 protected:
  SignInThrottle throttle_{absl::Seconds(10), [this] { return now_; }};
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

TEST_F(AdminSignInThrottleTest, WaitsOnlyFromTheThresholdOn) {
  EXPECT_EQ(throttle_.Wait("peer:a", 3), absl::ZeroDuration());
  throttle_.RecordFailure("peer:a");
  throttle_.RecordFailure("peer:a");
  EXPECT_EQ(throttle_.Wait("peer:a", 3), absl::ZeroDuration());
  throttle_.RecordFailure("peer:a");
  EXPECT_EQ(throttle_.Wait("peer:a", 3), absl::Seconds(1));
  EXPECT_EQ(throttle_.Wait("peer:a", 4), absl::ZeroDuration());
}

TEST_F(AdminSignInThrottleTest, TheWaitDoublesPerFailureUpToTheMaximum) {
  for (int i = 0; i < 2; ++i) throttle_.RecordFailure("k");
  EXPECT_EQ(throttle_.Wait("k", 1), absl::Seconds(2));
  throttle_.RecordFailure("k");
  EXPECT_EQ(throttle_.Wait("k", 1), absl::Seconds(4));
  throttle_.RecordFailure("k");
  EXPECT_EQ(throttle_.Wait("k", 1), absl::Seconds(8));
  throttle_.RecordFailure("k");
  EXPECT_EQ(throttle_.Wait("k", 1), absl::Seconds(10));
  for (int i = 0; i < 100; ++i) throttle_.RecordFailure("k");
  EXPECT_EQ(throttle_.Wait("k", 1), absl::Seconds(10));
}

TEST_F(AdminSignInThrottleTest, TheWaitRunsFromTheLastFailure) {
  for (int i = 0; i < 3; ++i) throttle_.RecordFailure("k");
  EXPECT_EQ(throttle_.Wait("k", 2), absl::Seconds(2));
  now_ += absl::Milliseconds(1500);
  EXPECT_EQ(throttle_.Wait("k", 2), absl::Milliseconds(500));
  now_ += absl::Seconds(1);
  EXPECT_EQ(throttle_.Wait("k", 2), absl::ZeroDuration());
}

TEST_F(AdminSignInThrottleTest, KeysCountApartAndForgetClearsOne) {
  for (int i = 0; i < 3; ++i) throttle_.RecordFailure("device:x");
  throttle_.RecordFailure("device:y");
  EXPECT_EQ(throttle_.Wait("device:x", 3), absl::Seconds(1));
  EXPECT_EQ(throttle_.Wait("device:y", 3), absl::ZeroDuration());
  throttle_.Forget("device:x");
  EXPECT_EQ(throttle_.Wait("device:x", 1), absl::ZeroDuration());
  EXPECT_EQ(throttle_.Wait("device:y", 1), absl::Seconds(1));
}

TEST_F(AdminSignInThrottleTest, KeysQuietForTwiceTheMaximumStartOver) {
  for (int i = 0; i < 3; ++i) throttle_.RecordFailure("old");
  now_ += absl::Seconds(21);
  throttle_.RecordFailure("other");  // forgets "old" on the way
  throttle_.RecordFailure("old");
  // One failure, not four: no wait at a threshold of 3.
  EXPECT_EQ(throttle_.Wait("old", 3), absl::ZeroDuration());
  EXPECT_EQ(throttle_.Wait("old", 1), absl::Seconds(1));
}

}  // namespace
}  // namespace adcp::admin_gateway
