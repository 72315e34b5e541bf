// Tenant initialization (seed section 8): the steps that make a new tenant
// usable, run in order, each idempotent, so that repeating the request after
// a failure resumes where it stopped and creates nothing twice. The tenant
// stays inactive (invisible to agents) until the last step succeeds.
//
//   create_tenant      the registry row, pending initialization
//   creative_formats   creative_engine defaults where the config has none
//   admin_principal    {tenant_id}_admin and its token (a fresh token when
//                      a failed earlier attempt created the principal)
//   default_products   display 300x250, 728x90 and video 30s for each enabled
//                      ad server, priced from product_defaults
//   activate           CompleteInitialization: initialized, active, audited
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/admin-gateway/backends.h"

namespace adcp::admin_gateway {

struct InitializedTenant {
  std::string tenant_id;
  std::string admin_token;  // shown once
  std::vector<std::string> product_ids;
  bool resumed = false;  // an earlier, failed initialization was completed
};

class TenantInitializer {
 public:
  explicit TenantInitializer(Backends& backends,
                             absl::Duration propagation_wait = absl::Seconds(5))
      : backends_(backends), propagation_wait_(propagation_wait) {}

  // A failure names its step: FailedStep(status) and the message.
  absl::StatusOr<InitializedTenant> Initialize(
      const tenant::v1::CreateTenantRequest& request);

  static const std::vector<std::string>& Steps();

 private:
  Backends& backends_;
  // How long a new tenant may take to reach auth's and media-buy's caches.
  const absl::Duration propagation_wait_;
};

// The step a failed Initialize stopped at, or "" for another status.
std::string FailedStep(const absl::Status& status);

// The default products of one ad server for a tenant's config.
std::vector<media_buy::v1::UpsertProductRequest> DefaultProducts(
    const std::string& adapter, const tenant::v1::TenantConfig& config);

}  // namespace adcp::admin_gateway
