// Tenant config: DeepMerge, ParseConfigDocument, RedactCredentials, over
// JSON parsed as the admin API parses a PUT /system/tenants/{id}/config
// body. Input: `base \0 patch`, or just a patch merged into an example
// config. Properties:
//  - DeepMerge follows its contract key by key (a null removes, objects merge,
//    anything else replaces, keys only in base stay) and is idempotent;
//  - RedactCredentials keeps the document's shape, changes values only to
//    "[redacted]", redacts at least the obvious credential keys, and is
//    idempotent;
//  - a document ParseConfigDocument accepts is stored (ConfigToDocument)
//    with every value it gave, and the stored form parses back to the same
//    config and holds nothing to redact;
//  - nothing throws.
#include <google/protobuf/util/message_differencer.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "libs/tenancy/tenant_config.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using adcp_fuzz::Show;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using nlohmann::json;

constexpr std::string_view kExampleBase = R"({
  "adapters": {"kevel": {"enabled": true, "network_id": "123",
                         "api_key_secret": "kevel-localnews"},
               "mock": {"enabled": false}},
  "creative_engine": {"auto_approve_formats": ["display_300x250"],
                      "human_review_required": true},
  "features": {"max_daily_budget": 5000, "anonymous_discovery": true},
  "branding": {"primary_color": "#112233"},
  "publisher_domains": ["example.com"]
})";

// DeepMerge's contract, checked one level at a time.
void CheckMerge(const json& base, const json& patch, const json& merged) {
  if (!patch.is_object()) {
    FUZZ_CHECK(merged == patch, "a non-object patch replaces: " + Show(merged));
    return;
  }
  FUZZ_CHECK(merged.is_object(), "merging an object patch gives an object");
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      FUZZ_CHECK(!merged.contains(key), "a null removes " + key);
    } else if (value.is_object()) {
      FUZZ_CHECK(merged.contains(key) && merged[key].is_object(),
                 "an object patch value stays an object at " + key);
      const json below =
          base.is_object() && base.contains(key) ? base[key] : json::object();
      CheckMerge(below, value, merged[key]);
    } else {
      FUZZ_CHECK(merged.contains(key) && merged[key] == value,
                 "a scalar or array patch value replaces at " + key);
    }
  }
  if (base.is_object()) {
    for (const auto& [key, value] : base.items()) {
      if (!patch.contains(key))
        FUZZ_CHECK(merged.contains(key) && merged[key] == value,
                   "a key only in base stays: " + key);
    }
    for (const auto& [key, value] : merged.items())
      FUZZ_CHECK(base.contains(key) || patch.contains(key),
                 "no key from nowhere: " + key);
  } else {
    FUZZ_CHECK(merged.size() <= patch.size(), "no key from nowhere");
  }
}

// Keys that hold a credential by any reading of RedactCredentials' contract
// (a subset of what it redacts).
bool ObviousCredential(const std::string& key) {
  const std::string lower = absl::AsciiStrToLower(key);
  if (absl::EndsWith(lower, "_secret")) return false;
  for (const char* word : {"password", "api_key", "private_key", "token"})
    if (absl::StrContains(lower, word)) return true;
  return false;
}

void CheckRedacted(const json& original, const json& redacted) {
  if (original.is_object()) {
    FUZZ_CHECK(redacted.is_object() && redacted.size() == original.size(),
               "redaction keeps every key");
    for (const auto& [key, value] : original.items()) {
      FUZZ_CHECK(redacted.contains(key), "redaction keeps key " + key);
      const json& out = redacted[key];
      if (ObviousCredential(key) && !value.is_null())
        FUZZ_CHECK(out == "[redacted]",
                   "credential key kept its value: " + key);
      if (out == "[redacted]" && value != "[redacted]") continue;
      CheckRedacted(value, out);
    }
  } else if (original.is_array()) {
    FUZZ_CHECK(redacted.is_array() && redacted.size() == original.size(),
               "redaction keeps arrays");
    for (size_t i = 0; i < original.size(); ++i)
      CheckRedacted(original[i], redacted[i]);
  } else {
    FUZZ_CHECK(redacted == original,
               "redaction changed a plain value: " + Show(original));
  }
}

// What ConfigToDocument must give for an accepted document: the document
// without the values protobuf's proto3 mapping leaves out (empty strings of
// fields without presence, empty arrays).
json Expected(const json& document, const Descriptor* type) {
  json out = json::object();
  for (const auto& [key, value] : document.items()) {
    const FieldDescriptor* field = type->FindFieldByName(key);
    if (field == nullptr) continue;  // unreachable: validation refused it
    if (field->is_repeated()) {
      if (!value.empty()) out[key] = value;
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      out[key] = Expected(value, field->message_type());
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
               !field->has_presence() && value == "") {
      continue;
    } else {
      out[key] = value;
    }
  }
  return out;
}

void CheckValidation(const json& document) {
  const absl::StatusOr<adcp::TenantConfig> config =
      adcp::ParseConfigDocument(document);
  if (!config.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(config.status()) &&
                   !config.status().message().empty(),
               config.status().ToString());
    return;
  }
  const json stored = adcp::ConfigToDocument(*config);
  FUZZ_CHECK(stored == Expected(document, adcp::TenantConfig::descriptor()),
             "an accepted value was lost or changed on the way to the stored "
             "form:\ndocument " +
                 Show(document) + "\nstored   " + Show(stored));
  const absl::StatusOr<adcp::TenantConfig> again =
      adcp::ParseConfigDocument(stored);
  FUZZ_CHECK(again.ok(), "the stored form of a valid config is refused: " +
                             again.status().ToString());
  FUZZ_CHECK(
      google::protobuf::util::MessageDifferencer::Equals(*again, *config),
      "the stored form parses to another config");
  FUZZ_CHECK(adcp::RedactCredentials(stored) == stored,
             "a valid config holds something to redact: " + Show(stored));
  const adcp::TenantConfigView view(*config);
  const json budget = view.Get("features.max_daily_budget");
  FUZZ_CHECK(budget.is_null() || budget.is_number(), Show(budget));
  for (const char* adapter : {"google_ad_manager", "kevel", "mock"}) {
    FUZZ_CHECK(view.AdapterConfig(adapter).is_object(), adapter);
    (void)view.IsAdapterEnabled(adapter);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = adcp_fuzz::AsText(data, size);
  const size_t nul = input.find('\0');
  const std::string_view base_text =
      nul == std::string_view::npos ? kExampleBase : input.substr(0, nul);
  const std::string_view patch_text =
      nul == std::string_view::npos ? input : input.substr(nul + 1);
  const std::optional<json> base = adcp_fuzz::ParseUntrustedJson(base_text);
  const std::optional<json> patch = adcp_fuzz::ParseUntrustedJson(patch_text);
  if (!base || !patch) return 0;

  const json merged = adcp::DeepMerge(*base, *patch);
  CheckMerge(*base, *patch, merged);
  FUZZ_CHECK(adcp::DeepMerge(merged, *patch) == merged,
             "DeepMerge is not idempotent: " + Show(merged));

  for (const json* document : {&*patch, &merged}) {
    const json redacted = adcp::RedactCredentials(*document);
    CheckRedacted(*document, redacted);
    FUZZ_CHECK(adcp::RedactCredentials(redacted) == redacted,
               "RedactCredentials is not idempotent");
    CheckValidation(*document);
  }
  return 0;
}
