#include "services/tenant-registry/tenant_validation.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/base/identifiers.h"

namespace adcp::tenant_registry {
namespace {

absl::Status Invalid(std::string_view field, std::string_view rule) {
  return absl::InvalidArgumentError(std::string(field) + ": " +
                                    std::string(rule));
}

bool HasControlCharacter(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

absl::Status ValidateLabel(std::string_view field, std::string_view value) {
  if (value.empty()) return Invalid(field, "required");
  if (!IsDnsLabel(value)) {
    return Invalid(
        field,
        "expected a lowercase DNS label: 1 to 63 of a-z, 0-9 and '-', "
        "not starting or ending with '-'");
  }
  if (IsReservedName(value)) {
    return Invalid(field, "'" + std::string(value) + "' is a reserved name");
  }
  return absl::OkStatus();
}

}  // namespace

bool IsReservedName(std::string_view label) {
  static constexpr std::array<std::string_view, 20> kReserved = {
      "www",    "admin",  "api",    "app",     "mail",      "ftp",     "smtp",
      "system", "static", "assets", "cdn",     "mcp",       "auth",    "login",
      "status", "docs",   "help",   "support", "localhost", "internal"};
  for (std::string_view reserved : kReserved) {
    if (label == reserved) return true;
  }
  return false;
}

absl::Status ValidateTenantId(std::string_view field, std::string_view value) {
  return ValidateLabel(field, value);
}

absl::Status ValidateSubdomain(std::string_view field, std::string_view value) {
  return ValidateLabel(field, value);
}

absl::Status ValidateVirtualHost(std::string_view field,
                                 std::string_view value) {
  const std::string_view rule =
      "expected a lowercase host name of two or more DNS labels, 253 "
      "characters at most";
  if (value.size() > 253) return Invalid(field, rule);
  int labels = 0;
  for (absl::string_view label :
       absl::StrSplit(absl::string_view(value.data(), value.size()), '.')) {
    if (!IsDnsLabel(std::string_view(label.data(), label.size())))
      return Invalid(field, rule);
    ++labels;
  }
  if (labels < 2) return Invalid(field, rule);
  return absl::OkStatus();
}

absl::Status ValidateName(std::string_view field, std::string_view value) {
  if (absl::StripAsciiWhitespace(absl::string_view(value.data(), value.size()))
          .empty())
    return Invalid(field, "required");
  if (value.size() > 255) return Invalid(field, "at most 255 bytes");
  if (HasControlCharacter(value))
    return Invalid(field, "must not contain control characters");
  return absl::OkStatus();
}

absl::Status ValidateBillingPlan(std::string_view field,
                                 std::string_view value) {
  if (value == "standard" || value == "premium" || value == "enterprise") {
    return absl::OkStatus();
  }
  return Invalid(field, "expected one of standard, premium, enterprise");
}

absl::Status ValidateBillingContact(std::string_view field,
                                    std::string_view value) {
  if (value.size() > 255) return Invalid(field, "at most 255 bytes");
  if (HasControlCharacter(value))
    return Invalid(field, "must not contain control characters");
  return absl::OkStatus();
}

}  // namespace adcp::tenant_registry
