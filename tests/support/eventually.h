// Waiting for something another thread or process does, without guessing
// how long it takes: polls a condition until it holds or a deadline passes.
#pragma once

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace adcp::testing {

// True as soon as `condition()` holds; false once `timeout` has passed
// without it (checked every 2 ms).
inline bool Eventually(const std::function<bool()>& condition,
                       absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

}  // namespace adcp::testing
