// Failed admin sign-ins, counted in PostgreSQL so that the slow-down holds
// across every replica of the admin gateway and of auth (issue 27). The
// caller names the keys (a client address, a device, an admin name) and the
// threshold of each; once a key has `threshold` failures, its next attempt
// waits 1 s after the last failure, doubling with each further failure, up
// to the longest delay. Slowed down, never locked out. Times are the
// database's, so every replica agrees.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/db/pg_pool.h"
#include "libs/db/service_role.h"

namespace adcp::auth {

struct SignInKey {
  std::string key;
  int threshold = 5;
  // Kept after a successful sign-in (a count many callers share).
  bool keep_on_success = false;
};

// The delay a key with `failures` earns after its last failure.
absl::Duration SignInDelay(int failures, int threshold,
                           absl::Duration max_delay);

class SignInFailures {
 public:
  static PgPool::Statements Statements();
  // Merged into the auth role's privileges.
  static RolePrivileges Privileges();

  explicit SignInFailures(PgPool& pool) : pool_(pool) {}

  // How long the caller must still wait: the longest over `keys`.
  absl::StatusOr<absl::Duration> Wait(const std::vector<SignInKey>& keys,
                                      absl::Duration max_delay);
  // Counts a failure of every key; deletes, on the way, up to 1000 rows
  // quiet for twice `max_delay` (memory stays bounded under made-up keys).
  absl::Status RecordFailure(const std::vector<SignInKey>& keys,
                             absl::Duration max_delay);
  // After a successful sign-in: the keys not kept on success.
  absl::Status Forget(const std::vector<SignInKey>& keys);

 private:
  PgPool& pool_;
};

}  // namespace adcp::auth
