#include "libs/tenancy/rate_limiter.h"

#include <gtest/gtest.h>

namespace adcp {
namespace {

class RateLimiterTest : public ::testing::Test {
 protected:
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  RateLimiter limiter_{[this] { return now_; }};
};

TEST_F(RateLimiterTest, GrantsTheBurstThenRefusesWithTheWait) {
  const RateLimit limit{.per_second = 2, .burst = 3};
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(limiter_.Acquire("t", limit).has_value()) << i;
  const auto wait = limiter_.Acquire("t", limit);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, absl::Milliseconds(500));
}

TEST_F(RateLimiterTest, RefillsAtTheRateUpToTheBurst) {
  const RateLimit limit{.per_second = 10, .burst = 2};
  EXPECT_FALSE(limiter_.Acquire("t", limit));
  EXPECT_FALSE(limiter_.Acquire("t", limit));
  EXPECT_TRUE(limiter_.Acquire("t", limit));
  now_ += absl::Milliseconds(100);  // one token back
  EXPECT_FALSE(limiter_.Acquire("t", limit));
  EXPECT_TRUE(limiter_.Acquire("t", limit));
  now_ += absl::Hours(1);  // never more than the burst
  EXPECT_FALSE(limiter_.Acquire("t", limit));
  EXPECT_FALSE(limiter_.Acquire("t", limit));
  EXPECT_TRUE(limiter_.Acquire("t", limit));
}

TEST_F(RateLimiterTest, KeysAreIndependent) {
  const RateLimit limit{.per_second = 1, .burst = 1};
  EXPECT_FALSE(limiter_.Acquire("tenant-a", limit));
  EXPECT_TRUE(limiter_.Acquire("tenant-a", limit));
  EXPECT_FALSE(limiter_.Acquire("tenant-b", limit));
  EXPECT_EQ(limiter_.bucket_count(), 2u);
}

}  // namespace
}  // namespace adcp
