#include "libs/base/env.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace adcp::env {
namespace {

const char* Raw(const char* name) {
  const char* value = std::getenv(name);
  return (value == nullptr || *value == '\0') ? nullptr : value;
}

}  // namespace

std::string String(const char* name, std::string_view default_value) {
  const char* value = Raw(name);
  return value ? std::string(value) : std::string(default_value);
}

absl::StatusOr<int> Int(const char* name, int default_value, int min, int max) {
  const char* value = Raw(name);
  if (!value) return default_value;
  int parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed) || parsed < min || parsed > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": expected an integer in [", min, ", ", max,
                     "], got '", value, "'"));
  }
  return parsed;
}

absl::StatusOr<bool> Bool(const char* name, bool default_value) {
  const char* value = Raw(name);
  if (!value) return default_value;
  const std::string lower = absl::AsciiStrToLower(value);
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "on")
    return true;
  if (lower == "0" || lower == "false" || lower == "no" || lower == "off")
    return false;
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": expected true or false, got '", value, "'"));
}

absl::StatusOr<std::string> Required(const char* name) {
  const char* value = Raw(name);
  if (!value) {
    return absl::FailedPreconditionError(absl::StrCat(name, ": must be set"));
  }
  return std::string(value);
}

}  // namespace adcp::env
