// What a buy may ask of the seller: its flight's days against the tenant's
// max_daily_budget, and the measurement terms the seller signs. No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adcp/tenant/v1/tenant_registry.pb.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/domain/money.h"

namespace adcp::media_buy {

// How far ahead a flight may end (and an update may move its start).
inline constexpr absl::Duration kMaxFlightAhead = absl::Hours(24 * 366 * 5);
// Packages of one buy (create_media_buy) and package changes of one update.
inline constexpr int kMaxPackages = 50;
// Creatives one package assignment list may name (create and update).
inline constexpr int kMaxCreativeAssignmentsPerPackage = 100;

// Days of a flight, a started day counting whole (at least 1).
int64_t FlightDays(absl::Time start, absl::Time end);

// The seller's measurement terms: billing on live, c3 or c7 windows with at
// least kMinVariancePercent variance, makegoods by additional delivery or
// credit. Otherwise TERMS_REJECTED naming the field.
inline constexpr double kMinVariancePercent = 10;
absl::Status CheckMeasurementTerms(std::string_view field,
                                   const nlohmann::json& terms);

// max_daily_budget check: BUDGET_EXCEEDED naming the limit.
absl::Status CheckDailyBudget(const tenant::v1::Tenant& tenant,
                              std::string_view field, Micros total,
                              const std::string& currency, absl::Time start,
                              absl::Time end);

// BUDGET_TOO_LOW of package `field` ("packages[i]"): its budget is below
// its pricing option's min_spend_per_package.
absl::Status BudgetTooLow(const std::string& field, Micros min_spend,
                          const std::string& currency);
// The refusal of package `field`'s bid below its pricing option's floor.
absl::Status BelowFloorPrice(const std::string& field, Micros floor,
                             const std::string& currency);

}  // namespace adcp::media_buy
