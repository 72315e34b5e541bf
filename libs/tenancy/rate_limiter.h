// Token buckets keyed by string (a tenant, or a tenant's principal).
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace adcp {

struct RateLimit {
  double per_second = 100;
  double burst = 200;
};

class RateLimiter {
 public:
  using Clock = std::function<absl::Time()>;
  explicit RateLimiter(Clock clock = [] { return absl::Now(); });

  // Takes one token from `key`'s bucket (created full). Returns nullopt when
  // granted, else how long until a token will be available. A bucket keeps
  // its state across limit changes; the new limit applies from now on.
  std::optional<absl::Duration> Acquire(const std::string& key,
                                        const RateLimit& limit);

  // Like Acquire, without taking the token: nullopt when one is available.
  std::optional<absl::Duration> Peek(const std::string& key,
                                     const RateLimit& limit) const;

  size_t bucket_count() const;

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  void PruneLocked(absl::Time now);

  const Clock clock_;
  mutable std::mutex mutex_;
  absl::flat_hash_map<std::string, Bucket> buckets_;
};

}  // namespace adcp
