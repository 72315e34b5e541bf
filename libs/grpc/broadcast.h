// Fan-out of events to any number of subscribers, each with its own bounded
// queue. A subscriber that falls more than `max_queued` events behind has its
// queue replaced by a single `overflow` event (typically "resync"), so a slow
// reader costs memory proportional to the bound, not to the backlog.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/time/time.h"

namespace adcp {

template <typename Event>
class Broadcast {
 public:
  class Subscription {
   public:
    // The next event, or nullopt after `timeout` or once closed and drained.
    std::optional<Event> Next(absl::Duration timeout) {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                      [&] { return closed_ || !queue_.empty(); });
      if (queue_.empty()) return std::nullopt;
      Event event = std::move(queue_.front());
      queue_.pop_front();
      return event;
    }
    bool closed() const {
      std::lock_guard<std::mutex> lock(mutex_);
      return closed_;
    }

   private:
    friend class Broadcast;
    void Push(const Event& event, const Event& overflow, size_t max_queued) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (closed_) return;
        if (queue_.size() >= max_queued) {
          queue_.clear();
          queue_.push_back(overflow);
        } else {
          queue_.push_back(event);
        }
      }
      ready_.notify_one();
    }
    void Close() {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        closed_ = true;
      }
      ready_.notify_all();
    }

    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Event> queue_;
    bool closed_ = false;
  };

  explicit Broadcast(Event overflow, size_t max_queued = 4096)
      : overflow_(std::move(overflow)), max_queued_(max_queued) {}

  std::shared_ptr<Subscription> Subscribe() {
    auto subscription = std::make_shared<Subscription>();
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) {
      subscription->Close();
    } else {
      subscriptions_.push_back(subscription);
    }
    return subscription;
  }

  void Publish(const Event& event) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::erase_if(subscriptions_, [&](const std::weak_ptr<Subscription>& weak) {
      auto subscription = weak.lock();
      if (!subscription) return true;
      subscription->Push(event, overflow_, max_queued_);
      return false;
    });
  }

  // Closes every subscription; later ones start closed. Idempotent.
  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    for (auto& weak : subscriptions_) {
      if (auto subscription = weak.lock()) subscription->Close();
    }
    subscriptions_.clear();
  }

 private:
  const Event overflow_;
  const size_t max_queued_;
  std::mutex mutex_;
  bool closed_ = false;
  std::vector<std::weak_ptr<Subscription>> subscriptions_;
};

}  // namespace adcp
