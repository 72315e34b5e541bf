#include "libs/tenancy/tenant_config.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <set>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/base/identifiers.h"
#include "libs/json/proto_json.h"
#include "libs/json/struct_json.h"
#include "libs/tenancy/request_signing_config.h"

namespace adcp {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key)
                      : absl::StrCat(path, ".", std::string(key));
}

const char* TypeName(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    default:
      return "a number";
  }
}

void CheckObject(const nlohmann::json& value, const Descriptor* type,
                 const std::string& path, std::vector<std::string>& errors);

// A key that would hold a credential in clear (api_key, password, a private
// key...), as opposed to a reference to one (..._secret).
bool LooksLikeCredential(std::string_view key) {
  const std::string lower = absl::AsciiStrToLower(std::string(key));
  if (absl::EndsWith(lower, "_secret") && lower != "client_secret")
    return false;
  for (const char* word :
       {"api_key", "apikey", "password", "private_key", "secret", "token",
        "credential", "service_account_key", "service_account_json"}) {
    if (absl::StrContains(lower, word)) return true;
  }
  return false;
}

void CheckSingle(const nlohmann::json& value, const FieldDescriptor* field,
                 const std::string& path, std::vector<std::string>& errors) {
  auto expect = [&](bool ok, const char* expected) {
    if (!ok)
      errors.push_back(absl::StrCat(path, ": expected ", expected, ", got ",
                                    TypeName(value)));
  };
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      expect(value.is_boolean(), "a boolean");
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      expect(value.is_number(), "a number");
      break;
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      expect(value.is_number_integer() || value.is_number_unsigned(),
             "an integer");
      break;
    case FieldDescriptor::CPPTYPE_STRING:
      expect(value.is_string(), "a string");
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      expect(value.is_string() && field->enum_type()->FindValueByName(
                                      value.get<std::string>()) != nullptr,
             "one of the enum names");
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      CheckObject(value, field->message_type(), path, errors);
      break;
  }
}

void CheckObject(const nlohmann::json& value, const Descriptor* type,
                 const std::string& path, std::vector<std::string>& errors) {
  if (!value.is_object()) {
    errors.push_back(absl::StrCat(path.empty() ? "config" : path,
                                  ": expected an object, got ",
                                  TypeName(value)));
    return;
  }
  for (const auto& [key, child] : value.items()) {
    const std::string child_path = Join(path, key);
    const FieldDescriptor* field = type->FindFieldByName(key);
    if (field == nullptr && LooksLikeCredential(key)) {
      errors.push_back(absl::StrCat(
          child_path,
          ": credentials are not stored in tenant config; keep them in the "
          "deployment's secret store and name the secret (e.g. "
          "api_key_secret or service_account_key_secret)"));
      continue;
    }
    if (field == nullptr) {
      errors.push_back(absl::StrCat(child_path, ": unknown key"));
      continue;
    }
    if (!field->is_repeated()) {
      CheckSingle(child, field, child_path, errors);
      continue;
    }
    if (!child.is_array()) {
      errors.push_back(absl::StrCat(child_path, ": expected an array, got ",
                                    TypeName(child)));
      continue;
    }
    for (size_t i = 0; i < child.size(); ++i) {
      CheckSingle(child[i], field, absl::StrCat(child_path, "[", i, "]"),
                  errors);
    }
  }
}

bool IsDigits(std::string_view text) {
  return !text.empty() && text.size() <= 20 &&
         std::all_of(text.begin(), text.end(), absl::ascii_isdigit);
}

bool IsHexColor(std::string_view text) {
  return text.size() == 7 && text[0] == '#' &&
         std::all_of(text.begin() + 1, text.end(), absl::ascii_isxdigit);
}

bool IsHttpUrl(std::string_view text) {
  std::string_view rest;
  if (text.starts_with("https://")) {
    rest = text.substr(8);
  } else if (text.starts_with("http://")) {
    rest = text.substr(7);
  } else {
    return false;
  }
  const std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  return !host.empty() && text.size() <= 2048 &&
         std::none_of(text.begin(), text.end(), [](char c) {
           return absl::ascii_isspace(c) || absl::ascii_iscntrl(c);
         });
}

// Two or more lowercase DNS labels, 253 characters at most.
bool IsDomainName(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  int labels = 0;
  size_t start = 0;
  while (true) {
    const size_t dot = text.find('.', start);
    const std::string_view label = text.substr(
        start,
        dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!IsDnsLabel(label)) return false;
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return labels >= 2;
}

void CheckAdapterId(bool enabled, const std::string& id,
                    const std::string& path, std::vector<std::string>& errors) {
  if (id.empty()) {
    if (enabled)
      errors.push_back(
          absl::StrCat(path, ": required when the adapter is enabled"));
  } else if (!IsDigits(id)) {
    errors.push_back(absl::StrCat(path, ": expected 1 to 20 digits"));
  }
}

void CheckRules(const TenantConfig& config, std::vector<std::string>& errors) {
  const auto& gam = config.adapters().google_ad_manager();
  CheckAdapterId(gam.enabled(), gam.network_code(),
                 "adapters.google_ad_manager.network_code", errors);
  if (!gam.company_id().empty() && !IsDigits(gam.company_id())) {
    errors.push_back(
        "adapters.google_ad_manager.company_id: expected 1 to 20 digits");
  }
  if (!gam.trafficker_id().empty() && !IsDigits(gam.trafficker_id())) {
    errors.push_back(
        "adapters.google_ad_manager.trafficker_id: expected 1 to 20 digits");
  }
  const auto& kevel = config.adapters().kevel();
  CheckAdapterId(kevel.enabled(), kevel.network_id(),
                 "adapters.kevel.network_id", errors);
  for (const auto& [id, name] :
       {std::pair{&kevel.priority_id(), "priority_id"},
        std::pair{&kevel.ad_type_id(), "ad_type_id"}}) {
    if (!id->empty() && !IsDigits(*id))
      errors.push_back(
          absl::StrCat("adapters.kevel.", name, ": expected 1 to 20 digits"));
  }
  for (const auto& [name, path] :
       {std::pair{&gam.service_account_key_secret(),
                  "adapters.google_ad_manager.service_account_key_secret"},
        std::pair{&kevel.api_key_secret(), "adapters.kevel.api_key_secret"}}) {
    if (!name->empty() && !IsSecretName(*name))
      errors.push_back(absl::StrCat(
          path,
          ": expected the name of a deployment secret (1-253 of a-z, 0-9, "
          "'.', '_', '-', starting with a letter or digit), not a key"));
  }

  std::set<std::string> domains;
  if (config.publisher_domains_size() > kMaxPublisherDomains)
    errors.push_back(absl::StrCat("publisher_domains: at most ",
                                  kMaxPublisherDomains, " domains"));
  for (int i = 0;
       i < config.publisher_domains_size() && i < kMaxPublisherDomains; ++i) {
    const std::string& domain = config.publisher_domains(i);
    const std::string path = absl::StrCat("publisher_domains[", i, "]");
    if (!IsDomainName(domain)) {
      errors.push_back(absl::StrCat(
          path, ": expected a lowercase domain name such as example.com"));
    } else if (!domains.insert(domain).second) {
      errors.push_back(absl::StrCat(path, ": duplicate domain '", domain, "'"));
    }
  }

  std::set<std::string> formats;
  const auto& auto_approve = config.creative_engine().auto_approve_formats();
  for (int i = 0; i < auto_approve.size(); ++i) {
    const std::string& format = auto_approve[i];
    const std::string path =
        absl::StrCat("creative_engine.auto_approve_formats[", i, "]");
    if (format.empty() || format.size() > 100) {
      errors.push_back(
          absl::StrCat(path, ": expected a format id of 1 to 100 characters"));
    } else if (!formats.insert(format).second) {
      errors.push_back(absl::StrCat(path, ": duplicate format '", format, "'"));
    }
  }

  if (config.features().has_max_daily_budget()) {
    const double budget = config.features().max_daily_budget();
    if (!std::isfinite(budget) || budget < 0) {
      errors.push_back("features.max_daily_budget: must be a number >= 0");
    }
  }
  const auto& limits = config.rate_limits();
  const std::pair<bool, double> rates[] = {
      {limits.has_tenant_requests_per_second(),
       limits.tenant_requests_per_second()},
      {limits.has_tenant_burst(), limits.tenant_burst()},
      {limits.has_principal_requests_per_second(),
       limits.principal_requests_per_second()},
      {limits.has_principal_burst(), limits.principal_burst()},
      {limits.has_anonymous_requests_per_second(),
       limits.anonymous_requests_per_second()},
      {limits.has_anonymous_burst(), limits.anonymous_burst()}};
  const char* const rate_names[] = {
      "tenant_requests_per_second",    "tenant_burst",
      "principal_requests_per_second", "principal_burst",
      "anonymous_requests_per_second", "anonymous_burst"};
  for (int i = 0; i < 6; ++i) {
    const auto [set, value] = rates[i];
    const double minimum =
        i % 2 == 1 ? 1 : 0;  // a burst below 1 admits nothing
    if (set && !(value > 0 && value >= minimum && value <= 1e6)) {
      errors.push_back(
          absl::StrCat("rate_limits.", rate_names[i],
                       i % 2 == 1 ? ": must be a number >= 1 and <= 1000000"
                                  : ": must be a number > 0 and <= 1000000"));
    }
  }
  const auto& defaults = config.product_defaults();
  if (!defaults.currency().empty() &&
      (defaults.currency().size() != 3 ||
       !std::all_of(defaults.currency().begin(), defaults.currency().end(),
                    absl::ascii_isupper))) {
    errors.push_back(
        "product_defaults.currency: expected an ISO 4217 code such as USD");
  }
  for (const auto& [set, value, name] :
       {std::tuple{defaults.has_display_cpm(), defaults.display_cpm(),
                   "display_cpm"},
        std::tuple{defaults.has_video_cpm(), defaults.video_cpm(),
                   "video_cpm"}}) {
    if (set && !(std::isfinite(value) && value > 0 && value <= 1e6)) {
      errors.push_back(absl::StrCat("product_defaults.", name,
                                    ": must be a number > 0 and <= 1000000"));
    }
  }
  const auto& branding = config.branding();
  if (!branding.primary_color().empty() &&
      !IsHexColor(branding.primary_color())) {
    errors.push_back("branding.primary_color: expected a colour as #rrggbb");
  }
  if (!branding.logo_url().empty() && !IsHttpUrl(branding.logo_url())) {
    errors.push_back("branding.logo_url: expected an http:// or https:// URL");
  }
  CheckRequestSigning(config, errors);
}

}  // namespace

bool IsSecretName(std::string_view name) {
  return !name.empty() && name.size() <= 253 &&
         (absl::ascii_islower(name[0]) || absl::ascii_isdigit(name[0])) &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return absl::ascii_islower(c) || absl::ascii_isdigit(c) ||
                  c == '.' || c == '_' || c == '-';
         });
}

nlohmann::json RedactCredentials(nlohmann::json document) {
  if (document.is_array()) {
    for (auto& item : document) item = RedactCredentials(std::move(item));
  } else if (document.is_object()) {
    for (auto& [key, value] : document.items()) {
      if (LooksLikeCredential(key) && !value.is_null())
        value = "[redacted]";
      else
        value = RedactCredentials(std::move(value));
    }
  }
  return document;
}

nlohmann::json JsonNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == std::trunc(value) && std::fabs(value) < 1e15)
    return static_cast<int64_t>(value);
  return value;
}

nlohmann::json ValueToJson(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue:
      return JsonNumber(value.number_value());
    case google::protobuf::Value::kStringValue:
      return value.string_value();
    case google::protobuf::Value::kBoolValue:
      return value.bool_value();
    case google::protobuf::Value::kStructValue:
      return StructToJson(value.struct_value());
    case google::protobuf::Value::kListValue: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : value.list_value().values())
        out.push_back(ValueToJson(item));
      return out;
    }
    case google::protobuf::Value::kNullValue:
    case google::protobuf::Value::KIND_NOT_SET:
      break;
  }
  return nullptr;
}

// Directly, not through protobuf's JSON text: Structs are converted on hot
// paths (get_products filters, every answer of the agent edge).
nlohmann::json StructToJson(const google::protobuf::Struct& value) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, item] : value.fields()) out[key] = ValueToJson(item);
  return out;
}

// RFC 7386, which nlohmann implements: the same contract as the header's.
nlohmann::json DeepMerge(nlohmann::json base, const nlohmann::json& patch) {
  base.merge_patch(patch);
  return base;
}

absl::StatusOr<TenantConfig> ParseConfigDocument(
    const nlohmann::json& document) {
  std::vector<std::string> errors;
  CheckObject(document, TenantConfig::descriptor(), "", errors);
  if (!errors.empty())
    return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
  TenantConfig config;
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(document.dump(), &config);
  if (!parsed.ok()) {
    // The structural check above should make this unreachable; report the
    // parser's words rather than guess.
    return absl::InvalidArgumentError(
        absl::StrCat("config: ", parsed.message().as_string()));
  }
  CheckRules(config, errors);
  if (!errors.empty())
    return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
  return config;
}

nlohmann::json ConfigToDocument(const TenantConfig& config) {
  return ProtoToJson(config);
}

TenantConfigView::TenantConfigView(TenantConfig config)
    : config_(std::move(config)), document_(ConfigToDocument(config_)) {}

nlohmann::json TenantConfigView::Get(std::string_view dotted_path,
                                     nlohmann::json default_value) const {
  const nlohmann::json* node = &document_;
  for (absl::string_view key : absl::StrSplit(
           absl::string_view(dotted_path.data(), dotted_path.size()), '.')) {
    if (!node->is_object()) return default_value;
    auto it = node->find(std::string(key));
    if (it == node->end()) return default_value;
    node = &*it;
  }
  return *node;
}

nlohmann::json TenantConfigView::AdapterConfig(
    std::string_view adapter_name) const {
  return Get(absl::StrCat("adapters.", std::string(adapter_name)),
             nlohmann::json::object());
}

bool TenantConfigView::IsAdapterEnabled(std::string_view adapter_name) const {
  return Get(absl::StrCat("adapters.", std::string(adapter_name), ".enabled"),
             false) == true;
}

bool TenantConfigView::IsFeatureEnabled(std::string_view feature) const {
  return Get(absl::StrCat("features.", std::string(feature)), false) == true;
}

}  // namespace adcp
