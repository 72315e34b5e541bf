// Password hashing and checking (scrypt, N=2^15: tens of milliseconds of one
// core each) behind a bulkhead, so that a flood of sign-ins holds at most
// `concurrent` cores and the rest of auth (token resolution for every
// service) keeps its share. A check that finds every slot taken waits at
// most `wait`, then is refused UNAVAILABLE (transient; the gateway answers
// 503).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/base/bulkhead.h"

namespace adcp::auth {

struct PasswordCheckLimits {
  // AUTH_PASSWORD_CHECKS_CONCURRENCY: half the cores, at least 1.
  int concurrent =
      std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2);
  // AUTH_PASSWORD_CHECKS_WAIT_MS (1000).
  absl::Duration wait = absl::Seconds(1);
};

// The defaults above, then the environment; each value 1 to 1024 (wait
// 0 to 60000 ms), else an error naming the variable.
absl::StatusOr<PasswordCheckLimits> PasswordCheckLimitsFromEnv();

class PasswordChecks {
 public:
  explicit PasswordChecks(const PasswordCheckLimits& limits);

  // HashPassword's encoding, or UNAVAILABLE when the bulkhead is full.
  absl::StatusOr<std::string> Hash(std::string_view password);
  // PasswordMatches, or UNAVAILABLE when the bulkhead is full.
  absl::StatusOr<bool> Matches(std::string_view password,
                               std::string_view encoded);

  // Before serving: adcp_auth_password_checks_in_progress (gauge) and
  // adcp_auth_password_checks_refused_total (counter).
  void ExportMetrics(prometheus::Registry& registry);
  int in_progress() const { return bulkhead_.InUse(); }

 private:
  absl::StatusOr<TenantBulkhead::Slot> Acquire();

  Bulkhead bulkhead_;
  prometheus::Gauge* in_progress_ = nullptr;
  prometheus::Counter* refused_ = nullptr;
};

}  // namespace adcp::auth
