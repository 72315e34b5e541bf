// Ad-server adapters (seed section 5). A media buy the service has validated
// and stored is handed to the adapter of the tenant's ad server: Google Ad
// Manager, Kevel, or the built-in mock. Adapters get everything they need in
// the call (no database access); what they return (order and line ids) the
// service stores.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adcp/tenant/v1/tenant_registry.pb.h"
#include "libs/tenancy/tenant_config.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/domain/money.h"

namespace adcp::media_buy {

using Clock = std::function<absl::Time()>;

struct AdapterPackage {
  std::string package_id;
  std::string product_id;
  std::string pricing_model;  // cpm, flat_rate, ...
  // The product's: guaranteed | non_guaranteed.
  std::string delivery_type;
  Micros budget = 0;
  Micros rate = 0;  // fixed price or bid; 0 when none
  std::string pacing = "even";
  int64_t impressions_goal = 0;  // 0: none
  bool paused = false;
  std::string line_id;  // the ad server's id, once created
};

struct AdapterBuy {
  std::string tenant_id;
  std::string media_buy_id;
  std::string principal_id;
  std::string currency;
  absl::Time start_time;
  absl::Time end_time;
  bool paused = false;
  // When the whole buy was paused (delivery stops accruing there).
  std::optional<absl::Time> paused_at;
  std::string order_id;  // the ad server's id, once created
  std::vector<AdapterPackage> packages;
  // Adapter-specific ids of what earlier calls created upstream (e.g. Kevel's
  // advertiser), as CreatedOrder::upstream left them; {} when none.
  nlohmann::json upstream = nlohmann::json::object();
};

struct AdapterCreative {
  std::string creative_id;
  std::string name;
  std::string format_id;
  nlohmann::json assets;
  std::vector<std::string> package_ids;
  // The ad server's id from an earlier upload, empty when none.
  std::string platform_id;
};

struct AdapterUpdate {
  std::optional<bool> paused;
  std::optional<absl::Time> start_time;
  std::optional<absl::Time> end_time;
  // Packages whose budget, pacing, goal or paused flag changed (new values).
  std::vector<AdapterPackage> packages;
};

// What exists upstream of a buy. CreateMediaBuy fills it as it goes, so that
// after a failure the caller can persist what was created and a retry
// resumes from there instead of creating it twice.
struct CreatedOrder {
  std::string order_id;
  std::map<std::string, std::string> line_ids;  // package_id -> line id
  // Adapter-specific state (ids of other objects; a step whose outcome is
  // unknown after a timeout, looked up upstream before it is retried).
  nlohmann::json upstream = nlohmann::json::object();
  // The step that failed ("create_order", "create_line_item:pkg_1"), empty
  // after success.
  std::string failed_step;
};

struct PackageDeliveryReport {
  std::string package_id;
  int64_t impressions = 0;
  Micros spend = 0;
  int64_t clicks = 0;
  // Delivered / expected-by-now; 1.0 is on pace.
  double pacing_index = 0;
  // delivering | completed | budget_exhausted | flight_ended | goal_met;
  // empty while not delivering (before the flight, paused)
  std::string delivery_status;
};

struct DeliveryReport {
  std::vector<PackageDeliveryReport> packages;
};

class AdServerAdapter {
 public:
  virtual ~AdServerAdapter() = default;

  virtual const std::string& name() const = 0;
  virtual bool dry_run() const = 0;

  // Creates upstream what the buy still lacks. `order` arrives holding what
  // earlier attempts created (buy.order_id, the packages' line ids,
  // buy.upstream) and gains every object as it is created; on failure it
  // says which step failed, and the status says what the ad server refused.
  virtual absl::Status CreateMediaBuy(const AdapterBuy& buy,
                                      CreatedOrder& order) = 0;
  // Uploads the creatives the ad server lacks (those without platform_id)
  // and associates them with the buy's lines. `uploaded` (creative_id -> the
  // ad server's creative id) gains each creative as soon as the ad server
  // has it, also when a later step fails, so that the caller keeps the ids
  // and a retry does not upload them again.
  virtual absl::Status AddCreatives(
      const AdapterBuy& buy, const std::vector<AdapterCreative>& creatives,
      std::map<std::string, std::string>& uploaded) = 0;
  virtual absl::Status UpdateMediaBuy(const AdapterBuy& buy,
                                      const AdapterUpdate& update) = 0;
  // The ad server's view of the order: scheduled | delivering | paused |
  // completed.
  virtual absl::StatusOr<std::string> GetStatus(const AdapterBuy& buy) = 0;
  // Delivery accrued from the start of the flight to `until`.
  virtual absl::StatusOr<DeliveryReport> GetDelivery(const AdapterBuy& buy,
                                                     absl::Time until) = 0;

  // In dry_run, what the adapter would have done, one line per call.
  virtual std::vector<std::string> Journal() const = 0;
};

// What an adapter is created with.
struct AdapterContext {
  std::string tenant_id;
  std::string tenant_name;
  std::string principal_id;
  // The principal's platform_mappings (advertiser ids per ad server).
  nlohmann::json principal_mappings = nlohmann::json::object();
  // The tenant's adapters.<name> merged over the deployment's base config.
  nlohmann::json config = nlohmann::json::object();
  bool dry_run = false;
  Clock clock;
};

using AdapterFactory =
    std::function<absl::StatusOr<std::unique_ptr<AdServerAdapter>>(
        const AdapterContext&)>;

// Adapter names in the order a tenant's ad server is chosen when several are
// enabled.
inline const std::vector<std::string>& AdapterPrecedence() {
  static const std::vector<std::string> names = {"google_ad_manager", "kevel",
                                                 "mock"};
  return names;
}

class AdapterRegistry {
 public:
  explicit AdapterRegistry(Clock clock) : clock_(std::move(clock)) {}

  void Register(std::string name, AdapterFactory factory);
  // The deployment's base config per adapter name ({"kevel": {...}}), under
  // which each tenant's adapters.<name> is merged.
  void SetBaseConfig(nlohmann::json base) { base_ = std::move(base); }
  // Adapters the deployment has no implementation for are served by this one
  // (e.g. "mock" in development); empty: such tenants get an error.
  void SetStandIn(std::string name) { stand_in_ = std::move(name); }

  // The name of the tenant's ad server: the first enabled one in
  // AdapterPrecedence(); FAILED_PRECONDITION when none is enabled.
  absl::StatusOr<std::string> SelectedName(const TenantConfigView& view) const;

  // Seed section 5's get_adapter: the tenant's adapter `name` config (from
  // `view`, the tenant's config) merged over the base config. "Adapter X not
  // enabled for tenant Y" when the tenant has not enabled it.
  absl::StatusOr<std::unique_ptr<AdServerAdapter>> GetAdapter(
      const tenant::v1::Tenant& tenant, const TenantConfigView& view,
      const std::string& name, const std::string& principal_id,
      const nlohmann::json& principal_mappings, bool dry_run) const;

  // Whether the tenant's adapter asks for a person to approve each buy.
  static bool ManualApprovalRequired(const TenantConfigView& view,
                                     const std::string& name);

 private:
  Clock clock_;
  std::map<std::string, AdapterFactory> factories_;
  nlohmann::json base_ = nlohmann::json::object();
  std::string stand_in_;
};

}  // namespace adcp::media_buy
