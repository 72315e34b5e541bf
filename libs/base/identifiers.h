// Shapes of the identifiers the suite passes around.
#pragma once

#include <string_view>

namespace adcp {

// A lowercase DNS label: 1-63 of a-z, 0-9 and '-', not starting or ending
// with '-'. Tenant ids and subdomains have this shape.
inline bool IsDnsLabel(std::string_view text) {
  if (text.empty() || text.size() > 63 || text.front() == '-' ||
      text.back() == '-')
    return false;
  for (char c : text) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace adcp
