// AdCP's comply_test_controller for sandbox tenants: seeds fixtures (products,
// pricing options, creatives), forces lifecycle states (creatives, accounts,
// media buys), simulates delivery and spend, and arms the caller's next
// create_media_buy. It acts only on the caller's own objects (another
// buyer's are NOT_FOUND). Failures are answers ({success: false, error,
// error_detail}), as the protocol has them, not call errors.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "adcp/tenant/v1/tenant_registry.pb.h"
#include "libs/db/pg_pool.h"
#include "services/media-buy/domain/formats.h"

namespace adcp::media_buy {

struct ControllerCall {
  std::string principal_id;
  const tenant::v1::Tenant* tenant = nullptr;
  absl::Time now;
  const FormatCatalog* formats = nullptr;
  std::string publisher_base_domain;
};

// The scenarios this controller runs (list_scenarios), and those AdCP lets
// get_adcp_capabilities announce in compliance_testing.scenarios.
const std::vector<std::string>& ControllerScenarios();
const std::vector<std::string>& AnnouncedControllerScenarios();

// Runs one controller request in `txn` (the tenant's transaction). Returns an
// error only for failures of the service itself (e.g. the database).
absl::Status RunComplyTestController(
    TenantTxn& txn, const ControllerCall& call,
    const v1::ComplyTestControllerRequest& request,
    v1::ComplyTestControllerResponse* response);

}  // namespace adcp::media_buy
