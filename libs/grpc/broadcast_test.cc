#include "libs/grpc/broadcast.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "absl/time/clock.h"

namespace adcp {
namespace {

constexpr absl::Duration kNow = absl::ZeroDuration();

TEST(BroadcastTest, EverySubscriberGetsEveryEventInOrder) {
  Broadcast<std::string> broadcast("resync");
  auto first = broadcast.Subscribe();
  auto second = broadcast.Subscribe();
  broadcast.Publish("a");
  broadcast.Publish("b");
  for (auto* subscription : {&first, &second}) {
    EXPECT_EQ((*subscription)->Next(kNow), "a");
    EXPECT_EQ((*subscription)->Next(kNow), "b");
    EXPECT_EQ((*subscription)->Next(kNow), std::nullopt);
  }
}

TEST(BroadcastTest, ASubscriberSeesOnlyEventsPublishedAfterItSubscribed) {
  Broadcast<int> broadcast(-1);
  broadcast.Publish(1);
  auto late = broadcast.Subscribe();
  broadcast.Publish(2);
  EXPECT_EQ(late->Next(kNow), 2);
  EXPECT_EQ(late->Next(kNow), std::nullopt);
}

TEST(BroadcastTest, NextTimesOutWhenNothingArrives) {
  Broadcast<int> broadcast(-1);
  auto subscription = broadcast.Subscribe();
  const absl::Time start = absl::Now();
  EXPECT_EQ(subscription->Next(absl::Milliseconds(50)), std::nullopt);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(45));
  EXPECT_FALSE(subscription->closed());
}

TEST(BroadcastTest, ABlockedNextWakesOnPublish) {
  Broadcast<int> broadcast(-1);
  auto subscription = broadcast.Subscribe();
  std::optional<int> received;
  const absl::Time start = absl::Now();
  std::thread reader([&] { received = subscription->Next(absl::Seconds(30)); });
  broadcast.Publish(7);
  reader.join();
  EXPECT_EQ(received, 7);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));  // not the 30 s timeout
}

TEST(BroadcastTest, ASlowReaderGetsTheOverflowEventInsteadOfTheBacklog) {
  Broadcast<int> broadcast(/*overflow=*/-1, /*max_queued=*/3);
  auto slow = broadcast.Subscribe();
  auto fast = broadcast.Subscribe();
  for (int i = 1; i <= 5; ++i) {
    broadcast.Publish(i);
    EXPECT_EQ(fast->Next(kNow), i);
  }
  // 1, 2, 3 filled the queue; 4 replaced them with the overflow event; 5
  // queued behind it.
  EXPECT_EQ(slow->Next(kNow), -1);
  EXPECT_EQ(slow->Next(kNow), 5);
  EXPECT_EQ(slow->Next(kNow), std::nullopt);
  // The reader caught up: later events arrive as usual.
  broadcast.Publish(6);
  EXPECT_EQ(slow->Next(kNow), 6);
}

TEST(BroadcastTest, ADroppedSubscriptionIsForgotten) {
  Broadcast<int> broadcast(-1, 2);
  auto kept = broadcast.Subscribe();
  std::weak_ptr<Broadcast<int>::Subscription> dropped = broadcast.Subscribe();
  EXPECT_TRUE(dropped.expired());  // nobody else holds it
  for (int i = 0; i < 10; ++i) broadcast.Publish(i);
  EXPECT_EQ(kept->Next(kNow), -1);
}

TEST(BroadcastTest, CloseWakesReadersAndLetsThemDrainWhatIsQueued) {
  Broadcast<int> broadcast(-1);
  auto idle = broadcast.Subscribe();
  auto busy = broadcast.Subscribe();
  std::optional<int> received = 0;
  std::thread reader([&] { received = idle->Next(absl::Seconds(30)); });
  broadcast.Publish(1);
  reader.join();
  ASSERT_EQ(received, 1);
  broadcast.Publish(2);
  ASSERT_EQ(idle->Next(kNow), 2);
  const absl::Time start_wait = absl::Now();
  std::thread waiter([&] { received = idle->Next(absl::Seconds(30)); });
  broadcast.Close();
  waiter.join();
  EXPECT_EQ(received, std::nullopt);
  EXPECT_LT(absl::Now() - start_wait, absl::Seconds(10));  // woken by Close
  EXPECT_TRUE(idle->closed());
  // Queued before the close: still delivered, then nothing, at once.
  EXPECT_EQ(busy->Next(kNow), 1);
  EXPECT_EQ(busy->Next(kNow), 2);
  const absl::Time start = absl::Now();
  EXPECT_EQ(busy->Next(absl::Seconds(30)), std::nullopt);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // After the close, nothing is delivered and new subscriptions start closed.
  broadcast.Publish(3);
  EXPECT_EQ(busy->Next(kNow), std::nullopt);
  auto late = broadcast.Subscribe();
  EXPECT_TRUE(late->closed());
  EXPECT_EQ(late->Next(absl::Seconds(30)), std::nullopt);
  broadcast.Close();  // idempotent
}

}  // namespace
}  // namespace adcp
