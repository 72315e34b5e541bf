// Helpers shared by the media-buy task handlers: request validation, AdCP
// <-> row conversions, the derived media-buy status, ids and hashes.
#pragma once

#include <google/protobuf/struct.pb.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "adcp/tenant/v1/tenant_registry.pb.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/formats.h"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

google::protobuf::Struct JsonToStruct(const nlohmann::json& value);

// RFC 3339 UTC with a Z ("2026-12-01T00:00:00Z").
std::string Rfc3339(absl::Time time);
absl::StatusOr<absl::Time> ParseTime(std::string_view field,
                                     const std::string& value);
// YYYY-MM-DD (UTC midnight).
absl::StatusOr<absl::Time> ParseDate(std::string_view field,
                                     const std::string& value);

template <typename Request>
absl::Status CheckMajorVersion(const Request& request) {
  if (request.has_adcp_major_version() && request.adcp_major_version() != 3) {
    return AdcpError(
        "VERSION_UNSUPPORTED", "adcp_major_version",
        absl::StrCat("adcp_major_version: ", request.adcp_major_version(),
                     " is not supported; this seller speaks 3"),
        "send adcp_major_version 3");
  }
  return absl::OkStatus();
}

// ^[A-Za-z0-9_.:-]{16,255}$, required.
absl::Status ValidateIdempotencyKey(const std::string& key);
// 1-255 printable characters.
absl::Status ValidateId(std::string_view field, const std::string& value);
absl::Status ValidateFormatId(std::string_view field, const v1::FormatId& id);
// A domain name such as example.com (letters, digits, '-', '.'), required.
absl::Status ValidateDomain(std::string_view field, const std::string& domain);
// A whole number of impressions, 1 to 10^15.
absl::Status ValidateImpressions(std::string_view field, double impressions);

// A URL of a creative that reaches an ad server (click-through, landing,
// trackers, media): an absolute https URL with a host, at most 2048
// characters, without spaces or control characters; http too when
// `allow_http` (sandbox tenants). javascript:, data: and every other scheme
// are refused, naming the field (the value is never echoed).
inline constexpr size_t kMaxCreativeUrlLength = 2048;
absl::Status ValidateCreativeUrl(std::string_view field, std::string_view url,
                                 bool allow_http);
// Every URL in a creative's assets: the values of the keys "url", "href",
// "*_url", "*_url_template", and the strings of arrays under "*_urls", at
// any depth (assets nest at most kMaxAssetDepth levels).
inline constexpr int kMaxAssetDepth = 16;
absl::Status ValidateCreativeUrls(std::string_view field,
                                  const nlohmann::json& assets,
                                  bool allow_http);

// SHA-256 (hex) of the request without its idempotency_key and context, in
// deterministic serialization: equal payloads hash equal.
std::string RequestHash(const google::protobuf::Message& request);

// "mb_" + 16 hex characters of randomness.
std::string NewId(std::string_view prefix);

std::vector<std::string> PublisherDomains(const tenant::v1::Tenant& tenant,
                                          const std::string& base_domain);

// Products.
bool MatchesProductFilters(const ProductRow& product,
                           const nlohmann::json& filters);
// A brief's words that count (3 or more letters), distinct, lower case.
std::vector<std::string> BriefTerms(const std::string& brief);
// What a brief is matched against: the product's name, description and
// channels, lower case.
std::string BriefText(const ProductRow& product);
// How many of the brief's terms occur in the product's BriefText.
int BriefScore(std::string_view brief_text,
               const std::vector<std::string>& terms);
absl::StatusOr<size_t> ParseOffsetCursor(const std::string& cursor);
v1::Product ProductToProto(const ProductRow& row);
absl::StatusOr<ProductRow> ProductFromDefinition(
    const v1::ProductDefinition& definition, const FormatCatalog& formats,
    const tenant::v1::Tenant& tenant, const std::string& base_domain);
// Removes the prices of the product's pricing options (fixed and floor
// prices, guidance, minimum spend), for callers without a principal.
void HidePricing(v1::Product& product);
// The pricing option `id` of a product (JSON object), or null.
const nlohmann::json* FindPricingOption(const ProductRow& product,
                                        const std::string& id);

// Media buys.
// The AdCP media-buy-status of a stored buy at `now`.
std::string AdcpStatus(const BuyRow& buy, bool has_live_creatives,
                       absl::Time now);
std::vector<std::string> ValidActions(const std::string& adcp_status);
// The same for a stored buy: one awaiting approval cannot be paused.
std::vector<std::string> ValidActionsFor(const BuyRow& buy,
                                         const std::string& adcp_status);
v1::Package PackageToProto(const PackageRow& row, const std::string& currency);
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

}  // namespace adcp::media_buy
