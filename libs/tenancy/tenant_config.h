// Tenant configuration documents: the deep merge of seed section 6, the
// validation of a document against the typed TenantConfig proto, and the C++
// form of the seed's TenantConfigManager (section 5).
#pragma once

#include <google/protobuf/struct.pb.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "adcp/tenant/v1/tenant_config.pb.h"

namespace adcp {

// Most publisher_domains a tenant's config lists (each is sent in every
// get_adcp_capabilities answer).
inline constexpr int kMaxPublisherDomains = 100;

using TenantConfig = ::adcp::tenant::v1::TenantConfig;

// A protobuf Struct as JSON (numbers become JSON numbers, integral ones
// integers).
nlohmann::json StructToJson(const google::protobuf::Struct& value);

// Merges `patch` into `base`: where both hold an object at a key they merge
// recursively; otherwise the patch's value replaces; a null in the patch
// removes the key. Nulls never survive into the result.
nlohmann::json DeepMerge(nlohmann::json base, const nlohmann::json& patch);

// Checks `document` against TenantConfig: every key known, every value of the
// field's type, then the rules (max_daily_budget >= 0, primary_color
// #rrggbb, logo_url http(s), numeric ad-server ids, an enabled adapter has
// its id). INVALID_ARGUMENT lists every problem as `path: rule`, e.g.
// `features.max_daily_budget: expected a number`.
absl::StatusOr<TenantConfig> ParseConfigDocument(
    const nlohmann::json& document);

// A deployment secret's name (the key of a Kubernetes Secret, a file name):
// 1-253 of a-z, 0-9, '.', '_', '-', starting with a letter or digit.
bool IsSecretName(std::string_view name);

// `document` with the value of every key that would hold a credential in
// clear (api_key, password, token, private_key, ...; not the *_secret
// references) replaced by "[redacted]", at any depth. Tenant config never
// accepts such keys; read APIs apply this to whatever is stored anyway.
nlohmann::json RedactCredentials(nlohmann::json document);

// The stored form: proto field names, unset fields left out.
nlohmann::json ConfigToDocument(const TenantConfig& config);

// Read access to one tenant's configuration, as the seed's
// TenantConfigManager, over an immutable snapshot.
class TenantConfigView {
 public:
  explicit TenantConfigView(TenantConfig config);

  const TenantConfig& typed() const { return config_; }

  // The value at a dotted path ("features.max_daily_budget"), or
  // `default_value` when any step is missing.
  nlohmann::json Get(std::string_view dotted_path,
                     nlohmann::json default_value = nullptr) const;

  // adapters.<name> as an object; {} when the adapter is not configured.
  nlohmann::json AdapterConfig(std::string_view adapter_name) const;
  bool IsAdapterEnabled(std::string_view adapter_name) const;

  // True only when features.<feature> is the boolean true.
  bool IsFeatureEnabled(std::string_view feature) const;

 private:
  TenantConfig config_;
  nlohmann::json document_;
};

}  // namespace adcp
