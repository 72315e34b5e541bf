#include "services/media-buy/adapters/adapter.h"

#include "absl/strings/str_cat.h"
#include "libs/tenancy/tenant_config.h"

namespace adcp::media_buy {

void AdapterRegistry::Register(std::string name, AdapterFactory factory) {
  factories_[std::move(name)] = std::move(factory);
}

absl::StatusOr<std::string> AdapterRegistry::SelectedName(
    const TenantConfigView& view) const {
  for (const std::string& name : AdapterPrecedence()) {
    if (view.IsAdapterEnabled(name)) return name;
  }
  return absl::FailedPreconditionError(
      "no ad server adapter is enabled for this tenant");
}

absl::StatusOr<std::unique_ptr<AdServerAdapter>> AdapterRegistry::GetAdapter(
    const tenant::v1::Tenant& tenant, const TenantConfigView& view,
    const std::string& name, const std::string& principal_id,
    const nlohmann::json& principal_mappings, bool dry_run) const {
  if (!view.IsAdapterEnabled(name)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Adapter ", name, " not enabled for tenant ", tenant.name()));
  }
  nlohmann::json config = base_.contains(name) && base_[name].is_object()
                              ? base_[name]
                              : nlohmann::json::object();
  config.merge_patch(view.AdapterConfig(name));
  auto factory = factories_.find(name);
  if (factory == factories_.end() && !stand_in_.empty()) {
    factory = factories_.find(stand_in_);
  }
  if (factory == factories_.end()) {
    return absl::UnavailableError(
        absl::StrCat("Adapter ", name, " is not available in this deployment"));
  }
  AdapterContext context{.tenant_id = tenant.tenant_id(),
                         .tenant_name = tenant.name(),
                         .principal_id = principal_id,
                         .principal_mappings = principal_mappings,
                         .config = std::move(config),
                         .dry_run = dry_run,
                         .clock = clock_};
  return factory->second(context);
}

bool AdapterRegistry::ManualApprovalRequired(const TenantConfigView& view,
                                             const std::string& name) {
  return view.AdapterConfig(name).value("manual_approval_required", false);
}

}  // namespace adcp::media_buy
