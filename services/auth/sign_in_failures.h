// Failed admin sign-ins, counted in PostgreSQL so that the slow-down holds
// across every replica of the admin gateway and of auth (issue 27). The
// caller names the keys (a client address, a device, an admin name) and the
// threshold of each; once a key has `threshold` failures, its next attempt
// waits 1 s after the last failure, doubling with each further failure, up
// to the longest delay. Slowed down, never locked out. Times are the
// database's, so every replica agrees.
//
// An attempt is charged before its password is checked (Charge), in one
// transaction that either counts it against every key or refuses it, so
// concurrent guesses cannot all pass the wait before any is counted; a
// sign-in that succeeds (or is never checked) gives its charge back.
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
  // Kept after a successful sign-in (a count many callers share): the
  // success only gives back its own charge.
  bool keep_on_success = false;
};

// The delay a key with `failures` earns after its last failure.
absl::Duration SignInDelay(int failures, int threshold,
                           absl::Duration max_delay);

// Rows quiet this long are deleted on the way (memory stays bounded under
// made-up keys). A server-side constant: twice the longest delay a caller
// may ask for, so no caller's max_delay shortens another key's memory.
inline constexpr absl::Duration kSignInFailuresKeptFor = absl::Hours(48);

class SignInFailures {
 public:
  static PgPool::Statements Statements();
  // Merged into the auth role's privileges.
  static RolePrivileges Privileges();

  explicit SignInFailures(PgPool& pool) : pool_(pool) {}

  // Charges one attempt to every key, unless one of them must still wait:
  // then nothing is charged and the answer is that wait (the longest over
  // the keys that refuse). Zero: admitted, and counted as a failure until
  // Settle says otherwise. Also deletes up to 1000 rows quiet for
  // kSignInFailuresKeptFor.
  absl::StatusOr<absl::Duration> Charge(const std::vector<SignInKey>& keys,
                                        absl::Duration max_delay);
  // An admitted attempt that succeeded: forgets the keys not kept on
  // success and gives back the charge of the others.
  absl::Status Succeeded(const std::vector<SignInKey>& keys);
  // An admitted attempt whose password was never checked (e.g. the hashing
  // bulkhead was full): gives back its charge on every key. The last
  // failure's time stays (a key over its threshold waits from now).
  absl::Status Uncharge(const std::vector<SignInKey>& keys);

 private:
  PgPool& pool_;
};

}  // namespace adcp::auth
