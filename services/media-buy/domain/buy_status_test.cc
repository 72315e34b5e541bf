// The media-buy lifecycle table against AdCP's (media-buy-status.json and
// the edges @adcp/sdk's status.monotonic check allows), and the statuses a
// stored buy reads as.
#include "services/media-buy/domain/buy_status.h"

#include <gtest/gtest.h>

namespace adcp::media_buy {
namespace {

TEST(MediaBuyLifecycle, IsAdcpsDiagram) {
  const std::map<std::string, std::set<std::string>> adcp = {
      {"pending_creatives",
       {"pending_start", "active", "paused", "canceled", "rejected"}},
      {"pending_start", {"active", "paused", "canceled", "rejected"}},
      {"active", {"paused", "completed", "canceled"}},
      {"paused", {"active", "completed", "canceled"}},
      {"completed", {}},
      {"rejected", {}},
      {"canceled", {}},
  };
  EXPECT_EQ(MediaBuyMoves(), adcp);
  for (const auto& [from, targets] : adcp) {
    EXPECT_FALSE(IsMediaBuyMove(from, from)) << from;
    for (const auto& [to, unused] : adcp)
      EXPECT_EQ(IsMediaBuyMove(from, to), targets.count(to) > 0)
          << from << " -> " << to;
  }
  EXPECT_FALSE(IsMediaBuyMove("dreaming", "active"));
  EXPECT_FALSE(IsMediaBuyMove("active", "dreaming"));
}

BuyRow Buy(absl::Time start, absl::Time end) {
  BuyRow buy;
  buy.status = "active";
  buy.start_time = start;
  buy.end_time = end;
  return buy;
}

// Before it goes live a buy waits for creatives and its flight; once live
// (active or paused) it never reads a pending status again: AdCP has no
// edge back.
TEST(AdcpStatus, ALiveBuyNeverReadsPendingAgain) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  const absl::Duration day = absl::Hours(24);
  BuyRow buy = Buy(now + day, now + 10 * day);
  EXPECT_EQ(AdcpStatus(buy, false, now), "pending_creatives");
  EXPECT_EQ(AdcpStatus(buy, true, now), "pending_start");
  EXPECT_EQ(AdcpStatus(buy, true, now + 2 * day), "active");

  buy.went_live = true;
  EXPECT_EQ(AdcpStatus(buy, false, now), "active");
  EXPECT_EQ(AdcpStatus(buy, true, now), "active");
  buy.status = "paused";
  EXPECT_EQ(AdcpStatus(buy, false, now), "paused");
  EXPECT_EQ(AdcpStatus(buy, false, now + 11 * day), "completed");
  buy.status = "canceled";
  EXPECT_EQ(AdcpStatus(buy, false, now), "canceled");
}

}  // namespace
}  // namespace adcp::media_buy
