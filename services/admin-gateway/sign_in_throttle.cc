#include "services/admin-gateway/sign_in_throttle.h"

#include <algorithm>
#include <cstdint>

namespace adcp::admin_gateway {

SignInThrottle::SignInThrottle(absl::Duration max_delay,
                               std::function<absl::Time()> clock)
    : max_delay_(max_delay), clock_(std::move(clock)) {}

absl::Duration SignInThrottle::Wait(const std::string& key,
                                    int threshold) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = failures_.find(key);
  if (it == failures_.end() || it->second.count < threshold)
    return absl::ZeroDuration();
  const int over = std::min(it->second.count - threshold, 20);
  const absl::Duration delay =
      std::min(absl::Seconds(1) * (int64_t{1} << over), max_delay_);
  return std::max(absl::ZeroDuration(), it->second.last + delay - clock_());
}

void SignInThrottle::RecordFailure(const std::string& key) {
  const absl::Time now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  if (failures_.size() > 100000) failures_.clear();
  absl::erase_if(failures_, [&](const auto& entry) {
    return now - entry.second.last > 2 * max_delay_;
  });
  Failures& failures = failures_[key];
  ++failures.count;
  failures.last = now;
}

void SignInThrottle::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  failures_.erase(key);
}

}  // namespace adcp::admin_gateway
