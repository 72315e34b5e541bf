#include "services/media-buy/domain/task_support.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "libs/tenancy/tenant_config.h"

namespace adcp::media_buy {

namespace pb = ::adcp::media_buy::v1;

google::protobuf::Struct JsonToStruct(const nlohmann::json& value) {
  google::protobuf::Struct out;
  (void)google::protobuf::util::JsonStringToMessage(value.dump(), &out);
  return out;
}

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseTime(std::string_view field,
                                     const std::string& value) {
  absl::Time time;
  std::string error;
  if (value.empty()) return InvalidField(field, "is required");
  if (!absl::ParseTime(absl::RFC3339_full, value, &time, &error)) {
    return InvalidField(
        field, absl::StrCat("must be an ISO 8601 date-time with a zone "
                            "(e.g. 2026-12-01T00:00:00Z), got '",
                            value.substr(0, 64), "'"));
  }
  return time;
}

absl::StatusOr<absl::Time> ParseDate(std::string_view field,
                                     const std::string& value) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%d", value, absl::UTCTimeZone(), &time, &error)) {
    return InvalidField(field, "must be a date YYYY-MM-DD");
  }
  return time;
}

absl::Status ValidateCreativeUrl(std::string_view field, std::string_view url,
                                 bool allow_http) {
  const std::string rule =
      allow_http ? "must be an absolute https or http URL"
                 : "must be an absolute https URL (http only in sandbox "
                   "tenants)";
  if (url.empty())
    return InvalidField(field, absl::StrCat(rule, ", not empty"));
  if (url.size() > kMaxCreativeUrlLength)
    return InvalidField(
        field,
        absl::StrCat("must be at most ", kMaxCreativeUrlLength, " characters"));
  // Browsers drop tabs and newlines inside a scheme ("java\tscript:"):
  // nothing at or below a space, nor DEL, is accepted anywhere.
  if (std::any_of(url.begin(), url.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
      }))
    return InvalidField(field,
                        absl::StrCat(rule,
                                     "; spaces and control characters must be "
                                     "percent-encoded"));
  const size_t colon = url.find(':');
  std::string scheme =
      colon == std::string_view::npos ? "" : std::string(url.substr(0, colon));
  const bool scheme_ok =
      !scheme.empty() && scheme.size() <= 32 &&
      absl::ascii_isalpha(scheme[0]) &&
      std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '+' || c == '-' || c == '.';
      });
  if (!scheme_ok)
    return InvalidField(field, absl::StrCat(rule, "; this has no scheme"));
  absl::AsciiStrToLower(&scheme);
  if (scheme != "https" && !(allow_http && scheme == "http"))
    return InvalidField(field, absl::StrCat(rule, ", not ", scheme, ":"));
  const std::string_view rest = url.substr(colon + 1);
  if (rest.substr(0, 2) != "//" || rest.size() < 3 || rest[2] == '/' ||
      rest[2] == '?' || rest[2] == '#')
    return InvalidField(field, absl::StrCat(rule, " with a host"));
  return absl::OkStatus();
}

namespace {

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsUrlKey(const std::string& key) {
  return key == "url" || key == "href" || EndsWith(key, "_url") ||
         EndsWith(key, "url_template");
}

absl::Status CheckUrlsIn(const std::string& at, const nlohmann::json& value,
                         bool allow_http, int depth) {
  if (depth > kMaxAssetDepth)
    return InvalidField(
        at, absl::StrCat("assets nest at most ", kMaxAssetDepth, " levels"));
  if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i)
      RETURN_IF_ERROR(CheckUrlsIn(absl::StrCat(at, "[", i, "]"), value[i],
                                  allow_http, depth + 1));
    return absl::OkStatus();
  }
  if (!value.is_object()) return absl::OkStatus();
  for (const auto& [key, member] : value.items()) {
    const std::string field = absl::StrCat(at, ".", key);
    if (IsUrlKey(key)) {
      if (!member.is_string())
        return InvalidField(field, "must be a URL string");
      RETURN_IF_ERROR(
          ValidateCreativeUrl(field, member.get<std::string>(), allow_http));
    } else if (EndsWith(key, "_urls") && member.is_array()) {
      for (size_t i = 0; i < member.size(); ++i) {
        const std::string item = absl::StrCat(field, "[", i, "]");
        if (!member[i].is_string())
          return InvalidField(item, "must be a URL string");
        RETURN_IF_ERROR(ValidateCreativeUrl(item, member[i].get<std::string>(),
                                            allow_http));
      }
    } else {
      RETURN_IF_ERROR(CheckUrlsIn(field, member, allow_http, depth + 1));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCreativeUrls(std::string_view field,
                                  const nlohmann::json& assets,
                                  bool allow_http) {
  return CheckUrlsIn(std::string(field), assets, allow_http, 0);
}

absl::Status ValidateIdempotencyKey(const std::string& key) {
  static const std::regex pattern("^[A-Za-z0-9_.:-]{16,255}$");
  if (key.empty()) {
    return InvalidField(
        "idempotency_key",
        "is required (16-255 characters of A-Z a-z 0-9 _ . : -)");
  }
  if (!std::regex_match(key, pattern)) {
    return InvalidField("idempotency_key",
                        "must be 16-255 characters of A-Z a-z 0-9 _ . : -");
  }
  return absl::OkStatus();
}

absl::Status ValidateId(std::string_view field, const std::string& value) {
  if (value.empty()) return InvalidField(field, "is required");
  if (value.size() > 255)
    return InvalidField(field, "must be at most 255 characters");
  for (unsigned char c : value) {
    if (c < 0x21 || c == 0x7f)
      return InvalidField(field,
                          "must not contain spaces or control characters");
  }
  return absl::OkStatus();
}

absl::Status ValidateFormatId(std::string_view field, const pb::FormatId& id) {
  static const std::regex pattern("^[a-zA-Z0-9_-]+$");
  if (id.agent_url().empty())
    return InvalidField(absl::StrCat(std::string(field), ".agent_url"),
                        "is required");
  if (id.id().empty())
    return InvalidField(absl::StrCat(std::string(field), ".id"), "is required");
  if (!std::regex_match(id.id(), pattern))
    return InvalidField(absl::StrCat(std::string(field), ".id"),
                        "must contain only letters, digits, '_' and '-'");
  return absl::OkStatus();
}

std::string RequestHash(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const auto* descriptor = copy->GetDescriptor();
  const auto* reflection = copy->GetReflection();
  for (const char* name : {"idempotency_key", "context"}) {
    if (const auto* field = descriptor->FindFieldByName(name))
      reflection->ClearField(copy.get(), field);
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&coded);
  }
  return absl::BytesToHexString(
      Sha256(absl::StrCat(descriptor->full_name(), "\n", bytes)));
}

std::string NewId(std::string_view prefix) {
  return absl::StrCat(std::string(prefix), RandomHex(8));
}

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

absl::StatusOr<size_t> ParseOffsetCursor(const std::string& cursor) {
  size_t offset = 0;
  if (!absl::SimpleAtoi(cursor, &offset) || offset > 1'000'000)
    return InvalidField("pagination.cursor",
                        "is not a cursor this seller issued");
  return offset;
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

}  // namespace

absl::StatusOr<ProductRow> ProductFromDefinition(
    const pb::ProductDefinition& definition, const FormatCatalog& formats,
    const tenant::v1::Tenant& tenant, const std::string& base_domain) {
  static const std::regex id_pattern("^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$");
  static const std::regex currency_pattern("^[A-Z]{3}$");
  const pb::Product& product = definition.product();
  ProductRow row;
  if (!std::regex_match(product.product_id(), id_pattern))
    return InvalidField("product.product_id",
                        "must be 1-100 of A-Z a-z 0-9 _ . : - starting with a "
                        "letter or digit");
  if (product.name().empty() || product.name().size() > 255)
    return InvalidField("product.name", "must be 1-255 characters");
  if (product.delivery_type() != "guaranteed" &&
      product.delivery_type() != "non_guaranteed")
    return InvalidField("product.delivery_type",
                        "must be guaranteed or non_guaranteed");
  if (product.format_ids_size() == 0)
    return InvalidField("product.format_ids", "must name at least one format");
  row.format_ids = nlohmann::json::array();
  for (int i = 0; i < product.format_ids_size(); ++i) {
    const std::string field = absl::StrCat("product.format_ids[", i, "]");
    RETURN_IF_ERROR(ValidateFormatId(field, product.format_ids(i)));
    if (formats.Find(product.format_ids(i)) == nullptr)
      return InvalidField(
          field, absl::StrCat("format '", product.format_ids(i).id(), "' of ",
                              product.format_ids(i).agent_url(),
                              " is not offered by this seller"));
    row.format_ids.push_back(MessageJson(product.format_ids(i)));
  }
  if (product.pricing_options_size() == 0)
    return InvalidField("product.pricing_options",
                        "must have at least one option");
  row.pricing_options = nlohmann::json::array();
  std::set<std::string> option_ids;
  for (int i = 0; i < product.pricing_options_size(); ++i) {
    const pb::PricingOption& option = product.pricing_options(i);
    const std::string field = absl::StrCat("product.pricing_options[", i, "]");
    if (!std::regex_match(option.pricing_option_id(), id_pattern) ||
        !option_ids.insert(option.pricing_option_id()).second)
      return InvalidField(field + ".pricing_option_id",
                          "must be a unique id of A-Z a-z 0-9 _ . : -");
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
      if (price <= 0)
        return InvalidField(field + ".fixed_price", "must be > 0");
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
    row.pricing_options.push_back(MessageJson(option));
  }
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

std::string AdcpStatus(const BuyRow& buy, bool has_live_creatives,
                       absl::Time now) {
  if (!buy.forced_status.empty()) return buy.forced_status;  // sandbox
  if (buy.status == "rejected" || buy.status == "canceled") return buy.status;
  // AdCP 3.0 has no approval state for a buy (the buyer follows the task):
  // a buy awaiting the publisher's approval reads as pending_start.
  if (buy.status == "pending_approval") return "pending_start";
  if (now >= buy.end_time) return "completed";
  // The ad server does not have the whole buy yet (a step failed).
  if (buy.adapter_state.contains("failed_step")) return "pending_start";
  if (buy.status == "paused") return "paused";
  if (!has_live_creatives) return "pending_creatives";
  if (now < buy.start_time) return "pending_start";
  return "active";
}

std::vector<std::string> ValidActions(const std::string& adcp_status) {
  if (adcp_status == "completed" || adcp_status == "rejected" ||
      adcp_status == "canceled")
    return {};
  if (adcp_status == "paused")
    return {"resume",       "cancel",          "update_budget",
            "update_dates", "update_packages", "sync_creatives"};
  return {"pause",        "cancel",          "update_budget",
          "update_dates", "update_packages", "sync_creatives"};
}

std::vector<std::string> ValidActionsFor(const BuyRow& buy,
                                         const std::string& adcp_status) {
  if (buy.status == "pending_approval")
    return {"cancel", "update_budget", "update_dates", "update_packages",
            "sync_creatives"};
  return ValidActions(adcp_status);
}

pb::Package PackageToProto(const PackageRow& row, const std::string& currency) {
  pb::Package package;
  package.set_package_id(row.package_id);
  package.set_product_id(row.product_id);
  package.set_budget(NumberFromMicros(row.budget));
  package.set_pacing(row.pacing);
  package.set_pricing_option_id(row.pricing_option_id);
  if (row.bid_price) package.set_bid_price(NumberFromMicros(*row.bid_price));
  if (row.impressions)
    package.set_impressions(static_cast<double>(*row.impressions));
  package.set_paused(row.paused);
  package.set_currency(currency);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  for (const auto& id : row.format_ids) {
    (void)google::protobuf::util::JsonStringToMessage(
        id.dump(), package.add_format_ids(), options);
  }
  if (row.targeting_overlay.is_object())
    *package.mutable_targeting_overlay() = JsonToStruct(row.targeting_overlay);
  if (row.extra.contains("context"))
    *package.mutable_context() = JsonToStruct(row.extra["context"]);
  if (row.extra.contains("ext"))
    *package.mutable_ext() = JsonToStruct(row.extra["ext"]);
  if (row.extra.contains("measurement_terms"))
    *package.mutable_measurement_terms() =
        JsonToStruct(row.extra["measurement_terms"]);
  return package;
}

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

absl::Status ValidateDomain(std::string_view field, const std::string& domain) {
  if (domain.empty()) return InvalidField(field, "is required");
  if (domain.size() > 253 ||
      !std::all_of(domain.begin(), domain.end(),
                   [](char c) {
                     return absl::ascii_isalnum(c) || c == '-' || c == '.';
                   }) ||
      domain.front() == '.' || domain.back() == '.' ||
      domain.find('.') == std::string::npos) {
    return InvalidField(field, "must be a domain name such as example.com");
  }
  return absl::OkStatus();
}

absl::Status ValidateImpressions(std::string_view field, double impressions) {
  if (!std::isfinite(impressions) || impressions < 1 || impressions > 1e15 ||
      impressions != std::floor(impressions))
    return InvalidField(field, "must be a whole number from 1 to 10^15");
  return absl::OkStatus();
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

}  // namespace adcp::media_buy
