// Configuration from environment variables. Every reader takes the default
// used when the variable is unset or empty; a set but malformed value is an
// error that names the variable, never a silent fallback.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace adcp::env {

std::string String(const char* name, std::string_view default_value);

// An integer in [min, max].
absl::StatusOr<int> Int(const char* name, int default_value, int min, int max);

// 1/true/yes/on or 0/false/no/off, case-insensitive.
absl::StatusOr<bool> Bool(const char* name, bool default_value);

// Unset or empty is FAILED_PRECONDITION naming the variable.
absl::StatusOr<std::string> Required(const char* name);

}  // namespace adcp::env
