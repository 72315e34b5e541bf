// The comply_test_controller's entry: a request's scenario dispatched to
// the controller's runner (comply_scenarios.h), its refusal written as the
// answer, and the helpers the scenarios share.
#include "services/media-buy/sandbox/comply_controller.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/tenancy/tenant_config.h"
#include "services/media-buy/sandbox/comply_scenarios.h"

namespace adcp::media_buy {
namespace comply {

using nlohmann::json;

Outcome Refuse(std::string code, std::string detail,
               std::string current_state) {
  return Refusal{std::move(code), std::move(detail), std::move(current_state)};
}

Outcome MissingParam(std::string_view name) {
  return Refuse("INVALID_PARAMS",
                absl::StrCat("params.", std::string(name), " is required"));
}

std::optional<std::string> StringParam(const json& params,
                                       std::string_view name) {
  auto it = params.find(std::string(name));
  if (it == params.end() || !it->is_string() || it->get<std::string>().empty())
    return std::nullopt;
  return it->get<std::string>();
}

std::string JoinedNames(const std::set<std::string>& names) {
  return absl::StrJoin(names, ", ");
}

Outcome Controller::Run(const std::string& scenario) {
  if (scenario == "list_scenarios") {
    for (const std::string& name : ControllerScenarios())
      response_->add_scenarios(name);
    return std::nullopt;
  }
  if (scenario == "force_creative_status") return ForceCreative();
  if (scenario == "force_account_status") return ForceAccount();
  if (scenario == "force_media_buy_status") return ForceMediaBuy();
  if (scenario == "simulate_delivery") return SimulateDelivery();
  if (scenario == "simulate_budget_spend") return SimulateSpend();
  if (scenario == "force_create_media_buy_arm") return ForceArm();
  if (scenario == "seed_product") return SeedProduct();
  if (scenario == "seed_pricing_option") return SeedPricingOption();
  if (scenario == "seed_creative") return SeedCreative();
  if (scenario == "seed_media_buy") return SeedMediaBuy();
  return Refuse(
      "UNKNOWN_SCENARIO",
      absl::StrCat("scenario '", scenario, "' is not supported; supported: ",
                   absl::StrJoin(ControllerScenarios(), ", ")));
}

}  // namespace comply

namespace pb = ::adcp::media_buy::v1;
using comply::Outcome;
using nlohmann::json;

const std::vector<std::string>& ControllerScenarios() {
  static const auto* scenarios = new std::vector<std::string>{
      "force_creative_status",  "force_account_status",
      "force_media_buy_status", "simulate_delivery",
      "simulate_budget_spend",  "force_create_media_buy_arm",
      "seed_product",           "seed_pricing_option",
      "seed_creative",          "seed_media_buy"};
  return *scenarios;
}

const std::vector<std::string>& AnnouncedControllerScenarios() {
  static const auto* scenarios = new std::vector<std::string>{
      "force_creative_status", "force_account_status", "force_media_buy_status",
      "simulate_delivery", "simulate_budget_spend"};
  return *scenarios;
}

absl::Status RunComplyTestController(
    TenantTxn& txn, const ControllerCall& call,
    const pb::ComplyTestControllerRequest& request,
    pb::ComplyTestControllerResponse* response) {
  const json params = StructToJson(request.params());
  if (request.scenario().empty()) {
    response->set_success(false);
    response->set_error("INVALID_PARAMS");
    response->set_error_detail("scenario is required");
    return absl::OkStatus();
  }
  comply::Controller controller(txn, call, params, response);
  const Outcome refusal = controller.Run(request.scenario());
  response->set_success(!refusal.has_value());
  if (refusal) {
    response->set_error(refusal->code);
    response->set_error_detail(refusal->detail);
    if (!refusal->current_state.empty())
      response->set_current_state(refusal->current_state);
  }
  return absl::OkStatus();
}

}  // namespace adcp::media_buy