#include "services/media-buy/domain/money.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/media-buy/domain/adcp_error.h"

namespace adcp::media_buy {

absl::StatusOr<Micros> MicrosFromNumber(std::string_view field, double value) {
  if (!std::isfinite(value) || value < 0)
    return InvalidField(field, "must be a number >= 0");
  const double micros = std::round(value * kMicrosPerUnit);
  if (micros > static_cast<double>(kMaxMicros))
    return InvalidField(
        field, absl::StrCat("must be at most ", kMaxMicros / kMicrosPerUnit));
  return static_cast<Micros>(micros);
}

absl::StatusOr<Micros> MicrosFromDecimal(std::string_view text) {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  const size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string fraction(dot == std::string_view::npos ? ""
                                                     : text.substr(dot + 1));
  if (fraction.size() > 6) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than 6 decimals: ", std::string(text)));
  }
  fraction.resize(6, '0');
  int64_t units = 0, micros = 0;
  if (!absl::SimpleAtoi(absl::string_view(whole.data(), whole.size()),
                        &units) ||
      !absl::SimpleAtoi(fraction, &micros)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a decimal: ", std::string(text)));
  }
  const Micros value = units * kMicrosPerUnit + micros;
  return negative ? -value : value;
}

std::string DecimalFromMicros(Micros micros) {
  const bool negative = micros < 0;
  const uint64_t magnitude =
      negative ? -static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
  return absl::StrFormat("%s%d.%06d", negative ? "-" : "",
                         magnitude / kMicrosPerUnit,
                         magnitude % kMicrosPerUnit);
}

double NumberFromMicros(Micros micros) {
  return static_cast<double>(micros) / kMicrosPerUnit;
}

std::string DisplayAmount(Micros micros) {
  const bool negative = micros < 0;
  const Micros magnitude = negative ? -micros : micros;
  const Micros cents =
      (magnitude + kMicrosPerUnit / 200) / (kMicrosPerUnit / 100);
  const std::string digits = absl::StrCat(cents / 100);
  std::string whole = negative ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) whole.push_back(',');
    whole.push_back(digits[i]);
  }
  return absl::StrFormat("%s.%02d", whole, cents % 100);
}

}  // namespace adcp::media_buy
