// Money as integer micro-units (1/1,000,000 of the currency unit). AdCP sends
// amounts as JSON numbers; they become micros at the edge of the service and
// NUMERIC text in SQL, so no amount is ever stored or summed in floating
// point.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace adcp::media_buy {

using Micros = int64_t;

inline constexpr Micros kMicrosPerUnit = 1'000'000;
// 10^9 currency units: above any real budget, and sums of thousands of
// amounts stay far from int64 overflow.
inline constexpr Micros kMaxMicros = 1'000'000'000 * kMicrosPerUnit;

// A non-negative amount sent as a number, rounded to the micro. Errors name
// `field` and say the rule (finite, >= 0, at most kMaxMicros).
absl::StatusOr<Micros> MicrosFromNumber(std::string_view field, double value);

// "123.450000" (NUMERIC text from PostgreSQL) -> micros; exact.
absl::StatusOr<Micros> MicrosFromDecimal(std::string_view text);

// micros -> "123.450000" for a NUMERIC parameter.
std::string DecimalFromMicros(Micros micros);

// micros -> a JSON number for AdCP payloads.
double NumberFromMicros(Micros micros);

// "12,500.00": for messages.
std::string DisplayAmount(Micros micros);

}  // namespace adcp::media_buy
