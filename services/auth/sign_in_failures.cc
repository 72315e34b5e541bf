#include "services/auth/sign_in_failures.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "libs/base/status.h"

namespace adcp::auth {
namespace {

constexpr char kCharge[] = "sign_in_failures_charge";
constexpr char kSelect[] = "sign_in_failures_select";
constexpr char kPrune[] = "sign_in_failures_prune";
constexpr char kForget[] = "sign_in_failures_forget";
constexpr char kUncharge[] = "sign_in_failures_uncharge";

// Rolls back Charge's transaction when a key refuses the attempt.
constexpr char kRefused[] = "sign-in attempt refused by its slow-down";

}  // namespace

absl::Duration SignInDelay(int failures, int threshold,
                           absl::Duration max_delay) {
  if (failures < threshold) return absl::ZeroDuration();
  const int over = std::min(failures - threshold, 20);
  return std::min(absl::Seconds(1) * (int64_t{1} << over), max_delay);
}

PgPool::Statements SignInFailures::Statements() {
  // kCharge counts the attempt only when the key's wait (SignInDelay in SQL:
  // $2 the threshold, $3 the longest delay in seconds) is over; otherwise
  // it returns no row, and the row stays locked until the transaction ends.
  // Under READ COMMITTED a concurrent charge of the same key waits for this
  // one and then sees its count.
  return {
      {kCharge,
       "INSERT INTO system_admin_sign_in_failures AS f "
       "(throttle_key, failures, last_failure) VALUES ($1, 1, now()) "
       "ON CONFLICT (throttle_key) DO UPDATE SET "
       "failures = least(f.failures, 1000000) + 1, last_failure = now() "
       "WHERE f.failures < $2::int OR f.last_failure + make_interval(secs => "
       "least(power(2, least(f.failures - $2::int, 20)), $3::bigint)) "
       "<= now() "
       "RETURNING failures"},
      {kSelect,
       "SELECT failures, "
       "(extract(epoch FROM now() - last_failure) * 1000000)::bigint "
       "FROM system_admin_sign_in_failures WHERE throttle_key = $1"},
      {kPrune,
       "DELETE FROM system_admin_sign_in_failures WHERE throttle_key IN ("
       "SELECT throttle_key FROM system_admin_sign_in_failures "
       "WHERE last_failure < now() - make_interval(secs => $1::bigint) "
       "LIMIT 1000 FOR UPDATE SKIP LOCKED)"},
      {kForget,
       "DELETE FROM system_admin_sign_in_failures WHERE throttle_key = $1"},
      // A count given back to 0 is no row (failures > 0 in the table).
      {kUncharge,
       "WITH gone AS (DELETE FROM system_admin_sign_in_failures "
       "WHERE throttle_key = $1 AND failures <= 1) "
       "UPDATE system_admin_sign_in_failures SET failures = failures - 1 "
       "WHERE throttle_key = $1 AND failures > 1"},
  };
}

RolePrivileges SignInFailures::Privileges() {
  return {.service = "auth",
          .tables = {{"system_admin_sign_in_failures",
                      {"SELECT", "INSERT", "UPDATE", "DELETE"}}}};
}

absl::StatusOr<absl::Duration> SignInFailures::Charge(
    const std::vector<SignInKey>& keys, absl::Duration max_delay) {
  // Locked in one order, so two charges of the same keys cannot deadlock.
  std::vector<const SignInKey*> sorted;
  for (const SignInKey& key : keys) sorted.push_back(&key);
  std::sort(
      sorted.begin(), sorted.end(),
      [](const SignInKey* a, const SignInKey* b) { return a->key < b->key; });
  absl::Duration wait = absl::ZeroDuration();
  const absl::Status charged =
      pool_.WithTransaction([&](PgTxn& txn) -> absl::Status {
        for (const SignInKey* key : sorted) {
          if (!txn.Exec(kCharge, key->key, key->threshold,
                        absl::ToInt64Seconds(max_delay))
                   .empty())
            continue;
          const pqxx::result rows = txn.Exec(kSelect, key->key);
          if (rows.empty()) continue;  // cannot happen: the row is locked
          const absl::Duration since =
              absl::Microseconds(rows[0][1].as<int64_t>());
          wait = std::max(wait, SignInDelay(rows[0][0].as<int>(),
                                            key->threshold, max_delay) -
                                    since);
        }
        // A refusal charges no key.
        if (wait > absl::ZeroDuration()) return absl::AbortedError(kRefused);
        return absl::OkStatus();
      });
  if (wait > absl::ZeroDuration()) return wait;
  RETURN_IF_ERROR(charged);
  RETURN_IF_ERROR(pool_.WithTransaction([](PgTxn& txn) -> absl::Status {
    txn.Exec0(kPrune, absl::ToInt64Seconds(kSignInFailuresKeptFor));
    return absl::OkStatus();
  }));
  return absl::ZeroDuration();
}

absl::Status SignInFailures::Succeeded(const std::vector<SignInKey>& keys) {
  return pool_.WithTransaction([&](PgTxn& txn) -> absl::Status {
    for (const SignInKey& key : keys)
      txn.Exec0(key.keep_on_success ? kUncharge : kForget, key.key);
    return absl::OkStatus();
  });
}

absl::Status SignInFailures::Uncharge(const std::vector<SignInKey>& keys) {
  return pool_.WithTransaction([&](PgTxn& txn) -> absl::Status {
    for (const SignInKey& key : keys) txn.Exec0(kUncharge, key.key);
    return absl::OkStatus();
  });
}

}  // namespace adcp::auth
