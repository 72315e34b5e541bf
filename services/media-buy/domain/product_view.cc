#include "services/media-buy/domain/product_view.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <regex>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/base/status.h"
#include "libs/tenancy/tenant_config.h"
#include "services/media-buy/domain/money.h"
#include "services/media-buy/domain/validation.h"

namespace adcp::media_buy {

namespace pb = ::adcp::media_buy::v1;

std::vector<std::string> PublisherDomains(const tenant::v1::Tenant& tenant,
                                          const std::string& base_domain) {
  std::vector<std::string> domains(tenant.config().publisher_domains().begin(),
                                   tenant.config().publisher_domains().end());
  if (domains.empty() && !tenant.virtual_host().empty())
    domains.push_back(absl::AsciiStrToLower(tenant.virtual_host()));
  if (domains.empty())
    domains.push_back(absl::StrCat(tenant.subdomain(), ".", base_domain));
  return domains;
}

bool MatchesProductFilters(const ProductRow& product,
                           const nlohmann::json& filters) {
  if (!filters.is_object()) return true;
  if (auto it = filters.find("delivery_type");
      it != filters.end() && it->is_string() &&
      it->get<std::string>() != product.delivery_type) {
    return false;
  }
  if (auto it = filters.find("channels");
      it != filters.end() && it->is_array()) {
    bool any = false;
    for (const auto& channel : *it) {
      if (channel.is_string() &&
          std::find(product.channels.begin(), product.channels.end(),
                    channel.get<std::string>()) != product.channels.end())
        any = true;
    }
    if (!any) return false;
  }
  if (auto it = filters.find("format_ids");
      it != filters.end() && it->is_array()) {
    bool any = false;
    for (const auto& wanted : *it) {
      for (const auto& have : product.format_ids) {
        if (wanted.value("id", "") == have.value("id", "")) any = true;
      }
    }
    if (!any) return false;
  }
  return true;
}

std::vector<std::string> BriefTerms(const std::string& brief) {
  std::vector<std::string> terms;
  absl::flat_hash_set<absl::string_view> seen;
  const std::string lower = absl::AsciiStrToLower(brief);
  for (absl::string_view word : absl::StrSplit(
           lower, absl::ByAnyChar(" ,.;:!?\n\t"), absl::SkipEmpty())) {
    if (word.size() < 3 || !seen.insert(word).second) continue;
    terms.emplace_back(word);
  }
  return terms;
}

std::string BriefText(const ProductRow& product) {
  return absl::AsciiStrToLower(
      absl::StrCat(product.name, " ", product.description, " ",
                   absl::StrJoin(product.channels, " ")));
}

int BriefScore(std::string_view brief_text,
               const std::vector<std::string>& terms) {
  int score = 0;
  for (const std::string& term : terms)
    if (brief_text.find(term) != std::string_view::npos) ++score;
  return score;
}

pb::Product ProductToProto(const ProductRow& row) {
  nlohmann::json product = {
      {"product_id", row.product_id},
      {"name", row.name},
      {"description", row.description},
      {"publisher_properties", row.publisher_properties},
      {"channels", row.channels},
      {"format_ids", row.format_ids},
      {"delivery_type", row.delivery_type},
      {"pricing_options", row.pricing_options},
      {"reporting_capabilities", row.reporting_capabilities}};
  pb::Product out;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  (void)google::protobuf::util::JsonStringToMessage(product.dump(), &out,
                                                    options);
  return out;
}

namespace {

const std::set<std::string>& PricingModels() {
  static const auto* models =
      new std::set<std::string>{"cpm", "vcpm", "cpc", "cpcv", "flat_rate"};
  return *models;
}

nlohmann::json MessageJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return nlohmann::json::parse(json);
}

nlohmann::json DefaultReportingCapabilities() {
  return {{"available_reporting_frequencies", {"daily"}},
          {"expected_delay_minutes", 60},
          {"timezone", "UTC"},
          {"supports_webhooks", false},
          {"available_metrics", {"impressions", "spend", "clicks", "ctr"}},
          {"date_range_support", "date_range"}};
}

// ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$: product and pricing option ids.
const std::regex& CatalogueIdPattern() {
  static const std::regex pattern("^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$");
  return pattern;
}

// The product's format ids, each one this seller offers.
absl::StatusOr<nlohmann::json> FormatIdsOf(const pb::Product& product,
                                           const FormatCatalog& formats) {
  if (product.format_ids_size() == 0)
    return InvalidField("product.format_ids", "must name at least one format");
  nlohmann::json out = nlohmann::json::array();
  for (int i = 0; i < product.format_ids_size(); ++i) {
    const std::string field = absl::StrCat("product.format_ids[", i, "]");
    RETURN_IF_ERROR(ValidateFormatId(field, product.format_ids(i)));
    if (formats.Find(product.format_ids(i)) == nullptr)
      return InvalidField(
          field, absl::StrCat("format '", product.format_ids(i).id(), "' of ",
                              product.format_ids(i).agent_url(),
                              " is not offered by this seller"));
    out.push_back(MessageJson(product.format_ids(i)));
  }
  return out;
}

absl::Status CheckPricingOption(const pb::PricingOption& option,
                                const std::string& field) {
  static const std::regex currency_pattern("^[A-Z]{3}$");
  if (!PricingModels().count(option.pricing_model()))
    return InvalidField(field + ".pricing_model",
                        "must be one of cpm, vcpm, cpc, cpcv, flat_rate");
  if (!std::regex_match(option.currency(), currency_pattern))
    return InvalidField(field + ".currency",
                        "must be an ISO 4217 code (3 capital letters)");
  if (!option.has_fixed_price() && !option.has_floor_price())
    return InvalidField(field, "needs fixed_price or floor_price");
  if (option.has_fixed_price()) {
    ASSIGN_OR_RETURN(Micros price, MicrosFromNumber(field + ".fixed_price",
                                                    option.fixed_price()));
    if (price <= 0) return InvalidField(field + ".fixed_price", "must be > 0");
  }
  if (option.has_floor_price()) {
    RETURN_IF_ERROR(
        MicrosFromNumber(field + ".floor_price", option.floor_price())
            .status());
  }
  if (option.has_min_spend_per_package()) {
    RETURN_IF_ERROR(MicrosFromNumber(field + ".min_spend_per_package",
                                     option.min_spend_per_package())
                        .status());
  }
  return absl::OkStatus();
}

// The product's pricing options, each checked, their ids unique.
absl::StatusOr<nlohmann::json> PricingOptionsOf(const pb::Product& product) {
  if (product.pricing_options_size() == 0)
    return InvalidField("product.pricing_options",
                        "must have at least one option");
  nlohmann::json out = nlohmann::json::array();
  std::set<std::string> option_ids;
  for (int i = 0; i < product.pricing_options_size(); ++i) {
    const pb::PricingOption& option = product.pricing_options(i);
    const std::string field = absl::StrCat("product.pricing_options[", i, "]");
    if (!std::regex_match(option.pricing_option_id(), CatalogueIdPattern()) ||
        !option_ids.insert(option.pricing_option_id()).second)
      return InvalidField(field + ".pricing_option_id",
                          "must be a unique id of A-Z a-z 0-9 _ . : -");
    RETURN_IF_ERROR(CheckPricingOption(option, field));
    out.push_back(MessageJson(option));
  }
  return out;
}

}  // namespace

absl::StatusOr<ProductRow> ProductFromDefinition(
    const pb::ProductDefinition& definition, const FormatCatalog& formats,
    const tenant::v1::Tenant& tenant, const std::string& base_domain) {
  const pb::Product& product = definition.product();
  ProductRow row;
  if (!std::regex_match(product.product_id(), CatalogueIdPattern()))
    return InvalidField("product.product_id",
                        "must be 1-100 of A-Z a-z 0-9 _ . : - starting with a "
                        "letter or digit");
  if (product.name().empty() || product.name().size() > 255)
    return InvalidField("product.name", "must be 1-255 characters");
  if (product.delivery_type() != "guaranteed" &&
      product.delivery_type() != "non_guaranteed")
    return InvalidField("product.delivery_type",
                        "must be guaranteed or non_guaranteed");
  ASSIGN_OR_RETURN(row.format_ids, FormatIdsOf(product, formats));
  ASSIGN_OR_RETURN(row.pricing_options, PricingOptionsOf(product));
  row.product_id = product.product_id();
  row.name = product.name();
  row.description =
      product.description().empty() ? product.name() : product.description();
  row.delivery_type = product.delivery_type();
  row.channels.assign(product.channels().begin(), product.channels().end());
  if (row.channels.empty()) row.channels.push_back("display");
  row.publisher_properties = nlohmann::json::array();
  for (const auto& selector : product.publisher_properties())
    row.publisher_properties.push_back(StructToJson(selector));
  if (row.publisher_properties.empty()) {
    for (const std::string& domain : PublisherDomains(tenant, base_domain))
      row.publisher_properties.push_back(
          {{"publisher_domain", domain}, {"selection_type", "all"}});
  }
  row.reporting_capabilities =
      product.has_reporting_capabilities()
          ? StructToJson(product.reporting_capabilities())
          : DefaultReportingCapabilities();
  std::set<std::string> principals;
  for (int i = 0; i < definition.allowed_principal_ids_size(); ++i) {
    RETURN_IF_ERROR(ValidateId(absl::StrCat("allowed_principal_ids[", i, "]"),
                               definition.allowed_principal_ids(i)));
    if (principals.insert(definition.allowed_principal_ids(i)).second)
      row.allowed_principal_ids.push_back(definition.allowed_principal_ids(i));
  }
  row.is_active = !definition.has_is_active() || definition.is_active();
  return row;
}

void HidePricing(pb::Product& product) {
  for (pb::PricingOption& option : *product.mutable_pricing_options()) {
    option.clear_fixed_price();
    option.clear_floor_price();
    option.clear_min_spend_per_package();
    option.clear_price_guidance();
  }
}

const nlohmann::json* FindPricingOption(const ProductRow& product,
                                        const std::string& id) {
  for (const auto& option : product.pricing_options) {
    if (option.value("pricing_option_id", "") == id) return &option;
  }
  return nullptr;
}

}  // namespace adcp::media_buy
