// Products as buyers see them: the AdCP Product of a stored row, the row of
// a catalogue definition, discovery filters and the scoring of a brief.
// No I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "adcp/tenant/v1/tenant_registry.pb.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/domain/formats.h"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

// The tenant's publisher_domains; else its virtual host; else
// "<subdomain>.<base_domain>".
std::vector<std::string> PublisherDomains(const tenant::v1::Tenant& tenant,
                                          const std::string& base_domain);

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

}  // namespace adcp::media_buy
