#include "services/media-buy/domain/buy_terms.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/media-buy/domain/adcp_error.h"

namespace adcp::media_buy {

int64_t FlightDays(absl::Time start, absl::Time end) {
  const double days = absl::ToDoubleHours(end - start) / 24.0;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(days - 1e-9)));
}

absl::Status CheckDailyBudget(const tenant::v1::Tenant& tenant,
                              std::string_view field, Micros total,
                              const std::string& currency, absl::Time start,
                              absl::Time end) {
  const auto& features = tenant.config().features();
  if (!features.has_max_daily_budget()) return absl::OkStatus();
  const Micros limit = static_cast<Micros>(
      std::llround(features.max_daily_budget() * kMicrosPerUnit));
  const int64_t days = FlightDays(start, end);
  if (static_cast<__int128>(total) <= static_cast<__int128>(limit) * days)
    return absl::OkStatus();
  const Micros daily = static_cast<Micros>(total / days);
  return AdcpError(
      "BUDGET_EXCEEDED", field,
      absl::StrCat(std::string(field), ": ", DisplayAmount(total), " ",
                   currency, " over ", days, " flight day(s) is ",
                   DisplayAmount(daily),
                   " per day, above this publisher's max_daily_budget of ",
                   DisplayAmount(limit), " per day"),
      absl::StrCat("lower the budget to at most ",
                   DisplayAmount(static_cast<Micros>(std::min<__int128>(
                       static_cast<__int128>(limit) * days, kMaxMicros))),
                   " or lengthen the flight"));
}

absl::Status CheckMeasurementTerms(std::string_view field,
                                   const nlohmann::json& terms) {
  const std::string base(field);
  if (!terms.is_object()) return InvalidField(base, "must be an object");
  if (terms.contains("billing_measurement")) {
    const nlohmann::json& billing = terms["billing_measurement"];
    const std::string at = base + ".billing_measurement";
    if (!billing.is_object()) return InvalidField(at, "must be an object");
    if (!billing.contains("vendor") || !billing["vendor"].is_object() ||
        !billing["vendor"].contains("domain"))
      return InvalidField(at + ".vendor", "is required ({domain})");
    static const std::set<std::string> kWindows = {"live", "c3", "c7"};
    if (billing.contains("measurement_window")) {
      if (!billing["measurement_window"].is_string())
        return InvalidField(at + ".measurement_window", "must be a string");
      const std::string window = billing["measurement_window"];
      if (!kWindows.count(window)) {
        return AdcpError(
            "TERMS_REJECTED", at + ".measurement_window",
            absl::StrCat(at, ".measurement_window: '", window,
                         "' is not offered; this seller bills on live, c3 or "
                         "c7 measurement"),
            "propose a window of c7 or shorter");
      }
    }
    if (billing.contains("max_variance_percent")) {
      if (!billing["max_variance_percent"].is_number())
        return InvalidField(at + ".max_variance_percent", "must be a number");
      const double variance = billing["max_variance_percent"];
      if (variance < kMinVariancePercent) {
        return AdcpError(
            "TERMS_REJECTED", at + ".max_variance_percent",
            absl::StrCat(at, ".max_variance_percent: ", variance,
                         "% is below the ", kMinVariancePercent,
                         "% variance this seller reconciles to"),
            absl::StrCat("allow at least ", kMinVariancePercent, "%"));
      }
    }
  }
  if (terms.contains("makegood_policy")) {
    const nlohmann::json& policy = terms["makegood_policy"];
    const std::string at = base + ".makegood_policy.available_remedies";
    if (!policy.is_object())
      return InvalidField(base + ".makegood_policy", "must be an object");
    static const std::set<std::string> kRemedies = {"additional_delivery",
                                                    "credit"};
    for (const auto& remedy :
         policy.value("available_remedies", nlohmann::json::array())) {
      if (!remedy.is_string() || !kRemedies.count(remedy.get<std::string>())) {
        return AdcpError("TERMS_REJECTED", at,
                         absl::StrCat(at,
                                      ": this seller offers "
                                      "additional_delivery and credit"),
                         "propose additional_delivery or credit");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status BudgetTooLow(const std::string& field, Micros min_spend,
                          const std::string& currency) {
  return AdcpError("BUDGET_TOO_LOW", field + ".budget",
                   absl::StrCat(field, ".budget: below the minimum spend of ",
                                DisplayAmount(min_spend), " ", currency,
                                " per package of this pricing option"),
                   "raise the package budget");
}

absl::Status BelowFloorPrice(const std::string& field, Micros floor,
                             const std::string& currency) {
  return InvalidField(field + ".bid_price",
                      absl::StrCat("must be at least the floor price ",
                                   DisplayAmount(floor), " ", currency));
}

}  // namespace adcp::media_buy
