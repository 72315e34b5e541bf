#include "libs/tenancy/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace adcp {
namespace {
// Buckets idle this long are full again and can be forgotten.
constexpr absl::Duration kIdle = absl::Minutes(5);
constexpr size_t kPruneAbove = 100000;
}  // namespace

RateLimiter::RateLimiter(Clock clock) : clock_(std::move(clock)) {}

std::optional<absl::Duration> RateLimiter::Acquire(const std::string& key,
                                                   const RateLimit& limit) {
  const absl::Time now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  if (buckets_.size() > kPruneAbove) PruneLocked(now);
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{limit.burst, now});
  Bucket& bucket = it->second;
  if (!inserted) {
    const double elapsed = absl::ToDoubleSeconds(now - bucket.updated);
    bucket.tokens = std::min(
        limit.burst, bucket.tokens + std::max(0.0, elapsed) * limit.per_second);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return std::nullopt;
  }
  const double seconds = (1 - bucket.tokens) / limit.per_second;
  return absl::Milliseconds(std::ceil(seconds * 1000));
}

std::optional<absl::Duration> RateLimiter::Peek(const std::string& key,
                                                const RateLimit& limit) const {
  const absl::Time now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) return std::nullopt;  // full
  const double tokens = std::min(
      limit.burst,
      it->second.tokens +
          std::max(0.0, absl::ToDoubleSeconds(now - it->second.updated)) *
              limit.per_second);
  if (tokens >= 1) return std::nullopt;
  return absl::Milliseconds(std::ceil((1 - tokens) / limit.per_second * 1000));
}

size_t RateLimiter::bucket_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return buckets_.size();
}

void RateLimiter::PruneLocked(absl::Time now) {
  absl::erase_if(buckets_, [&](const auto& entry) {
    return now - entry.second.updated > kIdle;
  });
}

}  // namespace adcp
