#include "services/admin-gateway/admin_authenticator.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace adcp::admin_gateway {

AdminAuthenticator::AdminAuthenticator(std::shared_ptr<grpc::Channel> auth,
                                       RateLimit failures)
    : resolver_(std::move(auth)), failures_(failures) {
  resolver_.Start();
}

AdminAuthenticator::~AdminAuthenticator() { resolver_.Stop(); }

absl::StatusOr<SystemAdminIdentity> AdminAuthenticator::Authenticate(
    const std::string& token, const std::string& client) {
  const std::string key = absl::StrCat("fc:", client);
  if (const auto wait = limiter_.Peek(key, failures_)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "too many failed system admin tokens from this client; retry after ",
        absl::ToInt64Seconds(absl::Ceil(*wait, absl::Seconds(1))), " s"));
  }
  if (token.empty()) {
    limiter_.Acquire(key, failures_);
    return absl::PermissionDeniedError("Unauthorized");
  }
  absl::StatusOr<SystemAdminIdentity> admin = resolver_.Resolve(token, client);
  if (absl::IsUnauthenticated(admin.status())) {
    limiter_.Acquire(key, failures_);
    return absl::PermissionDeniedError("Unauthorized");
  }
  return admin;
}

int64_t RetryAfterSeconds(const absl::Status& status) {
  const absl::string_view message = status.message();
  const auto at = message.rfind("retry after ");
  int64_t ms = 0;
  if (at != absl::string_view::npos) {
    absl::string_view rest = message.substr(at + 12);
    if (!absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &ms) ||
        !absl::StartsWith(rest.substr(rest.find(' ') + 1), "ms"))
      ms = 0;
  }
  return std::max<int64_t>(1, (std::min<int64_t>(ms, 86400000) + 999) / 1000);
}

}  // namespace adcp::admin_gateway
