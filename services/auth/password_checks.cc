#include "services/auth/password_checks.h"

#include "absl/strings/str_cat.h"
#include "libs/base/env.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"

namespace adcp::auth {

absl::StatusOr<PasswordCheckLimits> PasswordCheckLimitsFromEnv() {
  PasswordCheckLimits limits;
  ASSIGN_OR_RETURN(
      limits.concurrent,
      env::Int("AUTH_PASSWORD_CHECKS_CONCURRENCY", limits.concurrent, 1, 1024));
  ASSIGN_OR_RETURN(const int wait_ms,
                   env::Int("AUTH_PASSWORD_CHECKS_WAIT_MS", 1000, 0, 60000));
  limits.wait = absl::Milliseconds(wait_ms);
  return limits;
}

PasswordChecks::PasswordChecks(const PasswordCheckLimits& limits)
    : bulkhead_(limits.concurrent, limits.wait,
                absl::StrCat("password checks: ", limits.concurrent,
                             " in progress, the most this auth replica "
                             "runs at once; retry shortly")) {}

void PasswordChecks::ExportMetrics(prometheus::Registry& registry) {
  in_progress_ = &prometheus::BuildGauge()
                      .Name("adcp_auth_password_checks_in_progress")
                      .Help("Password hashes and checks running now")
                      .Register(registry)
                      .Add({});
  refused_ = &prometheus::BuildCounter()
                  .Name("adcp_auth_password_checks_refused_total")
                  .Help(
                      "Password checks refused because every slot of the "
                      "bulkhead was taken (AUTH_PASSWORD_CHECKS_CONCURRENCY)")
                  .Register(registry)
                  .Add({});
}

absl::StatusOr<TenantBulkhead::Slot> PasswordChecks::Acquire() {
  absl::StatusOr<TenantBulkhead::Slot> slot = bulkhead_.Acquire();
  if (!slot.ok() && refused_ != nullptr) refused_->Increment();
  return slot;
}

absl::StatusOr<std::string> PasswordChecks::Hash(std::string_view password) {
  ASSIGN_OR_RETURN(TenantBulkhead::Slot slot, Acquire());
  if (in_progress_ != nullptr) in_progress_->Increment();
  std::string hash = HashPassword(password);
  if (in_progress_ != nullptr) in_progress_->Decrement();
  if (hash.empty()) return absl::InternalError("password hashing failed");
  return hash;
}

absl::StatusOr<bool> PasswordChecks::Matches(std::string_view password,
                                             std::string_view encoded) {
  ASSIGN_OR_RETURN(TenantBulkhead::Slot slot, Acquire());
  if (in_progress_ != nullptr) in_progress_->Increment();
  const bool matches = PasswordMatches(password, encoded);
  if (in_progress_ != nullptr) in_progress_->Decrement();
  return matches;
}

}  // namespace adcp::auth
