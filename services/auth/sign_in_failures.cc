#include "services/auth/sign_in_failures.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "libs/base/status.h"

namespace adcp::auth {
namespace {

constexpr char kSelect[] = "sign_in_failures_select";
constexpr char kRecord[] = "sign_in_failures_record";
constexpr char kPrune[] = "sign_in_failures_prune";
constexpr char kForget[] = "sign_in_failures_forget";

}  // namespace

absl::Duration SignInDelay(int failures, int threshold,
                           absl::Duration max_delay) {
  if (failures < threshold) return absl::ZeroDuration();
  const int over = std::min(failures - threshold, 20);
  return std::min(absl::Seconds(1) * (int64_t{1} << over), max_delay);
}

PgPool::Statements SignInFailures::Statements() {
  return {
      {kSelect,
       "SELECT failures, "
       "(extract(epoch FROM now() - last_failure) * 1000000)::bigint "
       "FROM system_admin_sign_in_failures WHERE throttle_key = $1"},
      {kRecord,
       "INSERT INTO system_admin_sign_in_failures AS f "
       "(throttle_key, failures, last_failure) VALUES ($1, 1, now()) "
       "ON CONFLICT (throttle_key) DO UPDATE SET "
       "failures = least(f.failures, 1000000) + 1, last_failure = now()"},
      {kPrune,
       "DELETE FROM system_admin_sign_in_failures WHERE throttle_key IN ("
       "SELECT throttle_key FROM system_admin_sign_in_failures "
       "WHERE last_failure < now() - make_interval(secs => $1::bigint) "
       "LIMIT 1000)"},
      {kForget,
       "DELETE FROM system_admin_sign_in_failures WHERE throttle_key = $1"},
  };
}

RolePrivileges SignInFailures::Privileges() {
  return {.service = "auth",
          .tables = {{"system_admin_sign_in_failures",
                      {"SELECT", "INSERT", "UPDATE", "DELETE"}}}};
}

absl::StatusOr<absl::Duration> SignInFailures::Wait(
    const std::vector<SignInKey>& keys, absl::Duration max_delay) {
  absl::Duration wait = absl::ZeroDuration();
  RETURN_IF_ERROR(pool_.WithTransaction([&](PgTxn& txn) -> absl::Status {
    for (const SignInKey& key : keys) {
      const pqxx::result rows = txn.Exec(kSelect, key.key);
      if (rows.empty()) continue;
      const absl::Duration since = absl::Microseconds(rows[0][1].as<int64_t>());
      wait = std::max(
          wait,
          SignInDelay(rows[0][0].as<int>(), key.threshold, max_delay) - since);
    }
    return absl::OkStatus();
  }));
  return wait;
}

absl::Status SignInFailures::RecordFailure(const std::vector<SignInKey>& keys,
                                           absl::Duration max_delay) {
  return pool_.WithTransaction([&](PgTxn& txn) -> absl::Status {
    txn.Exec0(kPrune, absl::ToInt64Seconds(2 * max_delay));
    for (const SignInKey& key : keys) txn.Exec0(kRecord, key.key);
    return absl::OkStatus();
  });
}

absl::Status SignInFailures::Forget(const std::vector<SignInKey>& keys) {
  return pool_.WithTransaction([&](PgTxn& txn) -> absl::Status {
    for (const SignInKey& key : keys)
      if (!key.keep_on_success) txn.Exec0(kForget, key.key);
    return absl::OkStatus();
  });
}

}  // namespace adcp::auth
