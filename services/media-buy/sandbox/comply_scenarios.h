// The comply_test_controller's scenarios, one runner over a request's
// params: the dispatch and shared helpers (comply_controller.cc), the forced
// state changes (force_scenarios.cc), the simulated delivery and spend
// (simulate_scenarios.cc) and the seeded fixtures (seed_scenarios.cc).
// Internal to services/media-buy/sandbox.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "services/media-buy/domain/records.h"
#include "services/media-buy/sandbox/comply_controller.h"

namespace adcp::media_buy::comply {

// A failed controller request: the answer, not a call error.
struct Refusal {
  std::string code;
  std::string detail;
  std::string current_state;
};

using Outcome = std::optional<Refusal>;

Outcome Refuse(std::string code, std::string detail,
               std::string current_state = {});
Outcome MissingParam(std::string_view name);
// params.<name> as a non-empty string, or a refusal.
std::optional<std::string> StringParam(const nlohmann::json& params,
                                       std::string_view name);
std::string JoinedNames(const std::set<std::string>& names);

// The state machines of creatives and accounts: from each state, the states
// it may move to.
const std::map<std::string, std::set<std::string>>& CreativeMoves();
const std::map<std::string, std::set<std::string>>& AccountMoves();
// The AdCP media-buy statuses.
const std::set<std::string>& BuyStates();
std::set<std::string> KeysOf(
    const std::map<std::string, std::set<std::string>>& moves);

class Controller {
 public:
  Controller(TenantTxn& txn, const ControllerCall& call,
             const nlohmann::json& params,
             v1::ComplyTestControllerResponse* response)
      : txn_(txn), call_(call), params_(params), response_(response) {}

  Outcome Run(const std::string& scenario);

 private:
  // force_scenarios.cc
  void Moved(const std::string& previous, const std::string& current);
  std::variant<std::string, Refusal> TargetStatus(
      const std::set<std::string>& states);
  Outcome ForceCreative();
  Outcome ForceAccount();
  std::variant<BuyRow, Refusal> OwnBuy(const std::string& media_buy_id);
  std::string CurrentStatus(const BuyRow& buy);
  Outcome ForceMediaBuy();
  Outcome ForceArm();

  // simulate_scenarios.cc
  std::variant<int64_t, Refusal> Count(std::string_view name);
  static nlohmann::json Cumulative(const BuyRow& buy);
  static nlohmann::json Shown(const nlohmann::json& delivery,
                              const std::string& currency);
  Outcome SimulateDelivery();
  Outcome SimulateSpend();

  // seed_scenarios.cc
  std::variant<nlohmann::json, Refusal> Fixture();
  // The stored product `product_id`: none, one the caller sees (active, open
  // to it), or one it does not see, which the controller must not touch
  // (another buyer's restricted or an inactive product).
  struct Existing {
    std::optional<ProductRow> row;
    bool hidden = false;
  };
  Existing ExistingProduct(const std::string& product_id);
  static Outcome Hidden();
  static nlohmann::json ProductJson(const ProductRow& row);
  nlohmann::json PlaceholderPricing() const;
  Outcome StoreProduct(const nlohmann::json& product,
                       const ProductRow* replaced);
  nlohmann::json WithAgentUrls(nlohmann::json format_ids) const;
  Outcome SeedProduct();
  Outcome SeedPricingOption();
  Outcome SeedCreative();
  std::variant<BuyRow, Refusal> FixtureBuy(const std::string& media_buy_id,
                                           const nlohmann::json& fixture);
  std::variant<PackageRow, Refusal> FixturePackage(
      const BuyRow& buy, const nlohmann::json& fixture);
  Outcome SeedMediaBuy();

  TenantTxn& txn_;
  const ControllerCall& call_;
  const nlohmann::json& params_;
  v1::ComplyTestControllerResponse* response_;
};

}  // namespace adcp::media_buy::comply
