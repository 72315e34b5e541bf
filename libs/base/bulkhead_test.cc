#include "libs/base/bulkhead.h"

#include <gtest/gtest.h>

#include <thread>

namespace adcp {
namespace {

TEST(TenantBulkheadTest, OneTenantsSlotsDoNotStarveAnother) {
  TenantBulkhead bulkhead(2, absl::Milliseconds(50));
  auto a1 = bulkhead.Acquire("a");
  auto a2 = bulkhead.Acquire("a");
  ASSERT_TRUE(a1.ok() && a2.ok());
  EXPECT_EQ(bulkhead.InUse("a"), 2);
  const absl::Time start = absl::Now();
  auto a3 = bulkhead.Acquire("a");
  EXPECT_TRUE(absl::IsUnavailable(a3.status()));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(45));
  EXPECT_NE(a3.status().message().find("2 requests in progress"),
            std::string::npos);
  auto b1 = bulkhead.Acquire("b");  // another tenant: served at once
  EXPECT_TRUE(b1.ok());
  EXPECT_EQ(bulkhead.InUse("b"), 1);
}

TEST(TenantBulkheadTest, AReleasedSlotWakesAWaiter) {
  TenantBulkhead bulkhead(1, absl::Seconds(10));
  auto held = bulkhead.Acquire("a");
  ASSERT_TRUE(held.ok());
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    *held = TenantBulkhead::Slot();  // released
  });
  auto next = bulkhead.Acquire("a");
  release.join();
  EXPECT_TRUE(next.ok());
  EXPECT_EQ(bulkhead.InUse("a"), 1);
  next = TenantBulkhead::Slot();
  EXPECT_EQ(bulkhead.InUse("a"), 0);
}

TEST(BulkheadTest, ItsSlotsAreTheProcesssAndItsRefusalSaysWhy) {
  Bulkhead bulkhead(1, absl::Milliseconds(20), "password checks busy");
  auto held = bulkhead.Acquire();
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(bulkhead.InUse(), 1);
  auto refused = bulkhead.Acquire();
  EXPECT_TRUE(absl::IsUnavailable(refused.status()));
  EXPECT_EQ(refused.status().message(), "password checks busy");
  *held = TenantBulkhead::Slot();
  EXPECT_EQ(bulkhead.InUse(), 0);
  EXPECT_TRUE(bulkhead.Acquire().ok());
}

}  // namespace
}  // namespace adcp
