// ReplicaCount against the throwaway PostgreSQL of `./dev test`: replicas
// join and leave, and another service's sessions are not counted.
#include "libs/db/replica_count.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tests/support/eventually.h"
#include "tests/support/test_database.h"

namespace adcp {
namespace {

using ::adcp::testing::Eventually;
using ::adcp::testing::TestDatabase;

constexpr absl::Duration kRefresh = absl::Milliseconds(100);

TEST(ReplicaCountTest, CountsTheLiveReplicasOfOneService) {
  auto db = TestDatabase::Create(/*migrate=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  std::vector<std::unique_ptr<ReplicaCount>> replicas;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(std::make_unique<ReplicaCount>((*db)->MediaBuyUrl(),
                                                      "media-buy", kRefresh));
    replicas.back()->Start();
  }
  ReplicaCount other((*db)->AuthUrl(), "auth", kRefresh);
  other.Start();
  const auto all_see = [&](int expected) {
    for (const auto& replica : replicas)
      if (replica->count() != expected) return false;
    return true;
  };
  ASSERT_TRUE(Eventually([&] { return all_see(3); }, absl::Seconds(5)));
  ASSERT_TRUE(other.WaitUntilCounted(absl::Seconds(5)));
  EXPECT_TRUE(Eventually([&] { return other.count() == 1; }));

  // A replica that stops is gone from the others' count by their next
  // refresh.
  replicas.back()->Stop();
  replicas.pop_back();
  const absl::Time stopped = absl::Now();
  ASSERT_TRUE(Eventually([&] { return all_see(2); }, absl::Seconds(5)));
  EXPECT_LT(absl::Now() - stopped, 3 * kRefresh + absl::Milliseconds(500));
}

TEST(ReplicaCountTest, KeepsOneWhileTheDatabaseIsUnreachable) {
  ReplicaCount lonely("host=127.0.0.1 port=1 connect_timeout=1", "media-buy",
                      kRefresh);
  lonely.Start();
  EXPECT_FALSE(lonely.WaitUntilCounted(absl::Milliseconds(300)));
  EXPECT_EQ(lonely.count(), 1);
}

}  // namespace
}  // namespace adcp
