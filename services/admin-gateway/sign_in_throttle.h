// Failed sign-ins slow a caller down and never lock it out. Failures are
// counted per key (a client address, a device, an admin name: the caller
// chooses); once a key has `threshold` failures, its next attempt waits 1 s
// after the last failure, doubling with each further failure, up to
// max_delay.
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace adcp::admin_gateway {

class SignInThrottle {
 public:
  SignInThrottle(absl::Duration max_delay, std::function<absl::Time()> clock);

  // How long `key` must still wait before its next attempt (zero: none).
  absl::Duration Wait(const std::string& key, int threshold) const;
  // Counts a failure of `key`. Keys quiet for twice max_delay are forgotten
  // on the way, and beyond 100000 keys all are: memory stays bounded under
  // a flood of made-up keys.
  void RecordFailure(const std::string& key);
  // After a successful sign-in.
  void Forget(const std::string& key);

 private:
  struct Failures {
    int count = 0;
    absl::Time last;
  };

  const absl::Duration max_delay_;
  const std::function<absl::Time()> clock_;
  mutable std::mutex mutex_;
  absl::flat_hash_map<std::string, Failures> failures_;
};

}  // namespace adcp::admin_gateway
