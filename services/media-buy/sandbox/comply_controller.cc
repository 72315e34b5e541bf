#include "services/media-buy/sandbox/comply_controller.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/base/secrets.h"
#include "libs/tenancy/tenant_config.h"
#include "services/media-buy/domain/buy_status.h"
#include "services/media-buy/domain/money.h"
#include "services/media-buy/domain/product_view.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/store/account_store.h"
#include "services/media-buy/store/buy_store.h"
#include "services/media-buy/store/creative_store.h"
#include "services/media-buy/store/directive_store.h"
#include "services/media-buy/store/human_task_store.h"
#include "services/media-buy/store/product_store.h"

namespace adcp::media_buy {
namespace {

namespace pb = ::adcp::media_buy::v1;
using nlohmann::json;

// A failed controller request: the answer, not a call error.
struct Refusal {
  std::string code;
  std::string detail;
  std::string current_state;
};

using Outcome = std::optional<Refusal>;

Outcome Refuse(std::string code, std::string detail,
               std::string current_state = {}) {
  return Refusal{std::move(code), std::move(detail), std::move(current_state)};
}

Outcome MissingParam(std::string_view name) {
  return Refuse("INVALID_PARAMS",
                absl::StrCat("params.", std::string(name), " is required"));
}

// params.<name> as a non-empty string, or a refusal.
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

// -------------------------------------------------------- state machines --

// Same-state requests succeed unchanged everywhere; these are the moves.
const std::map<std::string, std::set<std::string>>& CreativeMoves() {
  static const auto* moves = new std::map<std::string, std::set<std::string>>{
      {"processing", {"pending_review", "approved", "rejected"}},
      {"pending_review", {"approved", "rejected"}},
      {"approved", {"archived", "rejected"}},
      {"rejected", {"processing", "pending_review"}},
      {"archived", {"approved"}},
  };
  return *moves;
}

const std::map<std::string, std::set<std::string>>& AccountMoves() {
  static const auto* moves = new std::map<std::string, std::set<std::string>>{
      {"pending_approval", {"active", "rejected"}},
      {"active", {"suspended", "payment_required", "closed"}},
      {"suspended", {"active", "closed"}},
      {"payment_required", {"active", "suspended", "closed"}},
      {"rejected", {"pending_approval"}},
      {"closed", {}},
  };
  return *moves;
}

// Media buys: any live state may move to any state; completed, rejected and
// canceled are final.
const std::set<std::string>& BuyStates() {
  static const auto* states = new std::set<std::string>{
      "pending_creatives", "pending_start", "active",  "paused",
      "completed",         "rejected",      "canceled"};
  return *states;
}

bool IsFinalBuyState(const std::string& state) {
  return state == "completed" || state == "rejected" || state == "canceled";
}

std::set<std::string> KeysOf(
    const std::map<std::string, std::set<std::string>>& moves) {
  std::set<std::string> keys;
  for (const auto& [key, unused] : moves) keys.insert(key);
  return keys;
}

// The target status, checked against the machine's states; then whether the
// move from `current` is allowed.
Outcome CheckMove(const std::map<std::string, std::set<std::string>>& moves,
                  const std::string& current, const std::string& target,
                  std::string_view what) {
  if (target == current) return std::nullopt;
  auto from = moves.find(current);
  if (from == moves.end() || !from->second.count(target)) {
    return Refuse("INVALID_TRANSITION",
                  absl::StrCat("a ", std::string(what), " cannot move from ",
                               current, " to ", target),
                  current);
  }
  return std::nullopt;
}

// ------------------------------------------------------------- the runner --

class Controller {
 public:
  Controller(TenantTxn& txn, const ControllerCall& call, const json& params,
             pb::ComplyTestControllerResponse* response)
      : txn_(txn), call_(call), params_(params), response_(response) {}

  Outcome Run(const std::string& scenario) {
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
    return Refuse(
        "UNKNOWN_SCENARIO",
        absl::StrCat("scenario '", scenario, "' is not supported; supported: ",
                     absl::StrJoin(ControllerScenarios(), ", ")));
  }

 private:
  void Moved(const std::string& previous, const std::string& current) {
    response_->set_previous_state(previous);
    response_->set_current_state(current);
  }

  // The status param, one of `states`.
  std::variant<std::string, Refusal> TargetStatus(
      const std::set<std::string>& states) {
    auto status = StringParam(params_, "status");
    if (!status) return *MissingParam("status");
    if (!states.count(*status))
      return *Refuse(
          "INVALID_PARAMS",
          absl::StrCat("params.status must be one of ", JoinedNames(states)));
    return *status;
  }

  Outcome ForceCreative() {
    auto creative_id = StringParam(params_, "creative_id");
    if (!creative_id) return MissingParam("creative_id");
    auto status = TargetStatus(KeysOf(CreativeMoves()));
    if (auto* refusal = std::get_if<Refusal>(&status)) return *refusal;
    const std::string& target = std::get<std::string>(status);
    auto creative = CreativeStore::Find(txn_, call_.principal_id, *creative_id);
    if (!creative)
      return Refuse("NOT_FOUND",
                    absl::StrCat("no creative '", *creative_id, "'"));
    if (auto refusal =
            CheckMove(CreativeMoves(), creative->status, target, "creative"))
      return refusal;
    const std::string previous = creative->status;
    creative->status = target;
    if (target == "rejected") {
      creative->rejection_reason =
          StringParam(params_, "rejection_reason")
              .value_or("rejected by the compliance test controller");
    } else {
      creative->rejection_reason.clear();
    }
    CreativeStore::Upsert(txn_, *creative);
    Moved(previous, target);
    return std::nullopt;
  }

  Outcome ForceAccount() {
    auto account_id = StringParam(params_, "account_id");
    if (!account_id) return MissingParam("account_id");
    auto status = TargetStatus(KeysOf(AccountMoves()));
    if (auto* refusal = std::get_if<Refusal>(&status)) return *refusal;
    const std::string& target = std::get<std::string>(status);
    auto account = AccountStore::ById(txn_, *account_id);
    if (!account || account->principal_id != call_.principal_id)
      return Refuse("NOT_FOUND",
                    absl::StrCat("no account '", *account_id, "'"));
    if (auto refusal =
            CheckMove(AccountMoves(), account->status, target, "account"))
      return refusal;
    AccountStore::SetStatus(txn_, *account_id, target);
    Moved(account->status, target);
    return std::nullopt;
  }

  // The caller's buy `media_buy_id`, locked.
  std::variant<BuyRow, Refusal> OwnBuy(const std::string& media_buy_id) {
    auto buy =
        BuyStore::Find(txn_, media_buy_id, {call_.principal_id, false}, true);
    if (!buy)
      return *Refuse("NOT_FOUND",
                     absl::StrCat("no media buy '", media_buy_id, "'"));
    return *std::move(buy);
  }

  std::string CurrentStatus(const BuyRow& buy) {
    const auto assignments =
        CreativeStore::AssignmentsOfBuy(txn_, buy.media_buy_id);
    const bool live = std::any_of(
        assignments.begin(), assignments.end(),
        [](const AssignmentRow& a) { return a.creative_status == "approved"; });
    return AdcpStatus(buy, live, call_.now);
  }

  Outcome ForceMediaBuy() {
    auto media_buy_id = StringParam(params_, "media_buy_id");
    if (!media_buy_id) return MissingParam("media_buy_id");
    auto status = TargetStatus(BuyStates());
    if (auto* refusal = std::get_if<Refusal>(&status)) return *refusal;
    const std::string& target = std::get<std::string>(status);
    auto buy = OwnBuy(*media_buy_id);
    if (auto* refusal = std::get_if<Refusal>(&buy)) return *refusal;
    const std::string current = CurrentStatus(std::get<BuyRow>(buy));
    if (current != target && IsFinalBuyState(current))
      return Refuse("INVALID_TRANSITION",
                    absl::StrCat("a media buy cannot leave ", current,
                                 " (a final state)"),
                    current);
    if (target == "canceled" || target == "rejected") {
      // Final for real: nobody approves or resumes it afterwards.
      BuyRow row = std::get<BuyRow>(buy);
      row.status = target;
      BuyStore::Update(txn_, row);
      HumanTaskStore::FailOpenOfBuy(
          txn_, *media_buy_id,
          absl::StrCat("the compliance test controller set it ", target));
    }
    BuyStore::ForceStatus(
        txn_, *media_buy_id, target,
        target == "rejected"
            ? StringParam(params_, "rejection_reason")
                  .value_or("rejected by the compliance test controller")
            : "");
    Moved(current, target);
    return std::nullopt;
  }

  // A non-negative whole number param (absent: 0).
  std::variant<int64_t, Refusal> Count(std::string_view name) {
    auto it = params_.find(std::string(name));
    if (it == params_.end()) return int64_t{0};
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1e15 ||
        it->get<double>() != static_cast<double>(it->get<int64_t>()))
      return *Refuse("INVALID_PARAMS",
                     absl::StrCat("params.", std::string(name),
                                  " must be a whole number >= 0"));
    return it->get<int64_t>();
  }

  static json Cumulative(const BuyRow& buy) {
    json delivery = buy.simulated_delivery.is_object()
                        ? buy.simulated_delivery
                        : json{{"impressions", 0},
                               {"clicks", 0},
                               {"conversions", 0},
                               {"spend", "0"}};
    return delivery;
  }

  static json Shown(const json& delivery, const std::string& currency) {
    return {{"impressions", delivery.value("impressions", int64_t{0})},
            {"clicks", delivery.value("clicks", int64_t{0})},
            {"conversions", delivery.value("conversions", int64_t{0})},
            {"reported_spend",
             {{"amount",
               NumberFromMicros(
                   MicrosFromDecimal(delivery.value("spend", std::string("0")))
                       .value_or(0))},
              {"currency", currency}}}};
  }

  Outcome SimulateDelivery() {
    auto media_buy_id = StringParam(params_, "media_buy_id");
    if (!media_buy_id) return MissingParam("media_buy_id");
    int64_t added[3];
    const char* names[3] = {"impressions", "clicks", "conversions"};
    for (int i = 0; i < 3; ++i) {
      auto count = Count(names[i]);
      if (auto* refusal = std::get_if<Refusal>(&count)) return *refusal;
      added[i] = std::get<int64_t>(count);
    }
    Micros spend = 0;
    if (params_.contains("reported_spend")) {
      const json& reported = params_["reported_spend"];
      if (!reported.is_object() || !reported.contains("amount") ||
          !reported["amount"].is_number())
        return Refuse("INVALID_PARAMS",
                      "params.reported_spend must be {amount, currency}");
      auto micros = MicrosFromNumber("params.reported_spend.amount",
                                     reported["amount"].get<double>());
      if (!micros.ok() || *micros < 0)
        return Refuse("INVALID_PARAMS",
                      "params.reported_spend.amount must be a number >= 0");
      spend = *micros;
    }
    auto buy = OwnBuy(*media_buy_id);
    if (auto* refusal = std::get_if<Refusal>(&buy)) return *refusal;
    const BuyRow& row = std::get<BuyRow>(buy);
    if (params_.contains("reported_spend") &&
        params_["reported_spend"].contains("currency") &&
        (!params_["reported_spend"]["currency"].is_string() ||
         params_["reported_spend"]["currency"] != row.currency))
      return Refuse("INVALID_PARAMS",
                    absl::StrCat("params.reported_spend.currency must be the "
                                 "buy's currency, ",
                                 row.currency));
    json total = Cumulative(row);
    for (int i = 0; i < 3; ++i) {
      total[names[i]] = total.value(names[i], int64_t{0}) + added[i];
      if (total[names[i]].get<int64_t>() > int64_t{1000000000000000})
        return Refuse("INVALID_PARAMS",
                      absl::StrCat("params.", names[i],
                                   ": the simulated total would pass 10^15"));
    }
    if (spend > Micros{1000000000} * 1000000000)  // 10^9 units
      return Refuse("INVALID_PARAMS",
                    "params.reported_spend.amount must be at most 10^9");
    total["spend"] = DecimalFromMicros(
        MicrosFromDecimal(total.value("spend", std::string("0"))).value_or(0) +
        spend);
    BuyStore::SetSimulatedDelivery(txn_, *media_buy_id, total);
    *response_->mutable_simulated() =
        JsonToStruct(Shown({{"impressions", added[0]},
                            {"clicks", added[1]},
                            {"conversions", added[2]},
                            {"spend", DecimalFromMicros(spend)}},
                           row.currency));
    *response_->mutable_cumulative() = JsonToStruct(Shown(total, row.currency));
    return std::nullopt;
  }

  Outcome SimulateSpend() {
    auto it = params_.find("spend_percentage");
    if (it == params_.end()) return MissingParam("spend_percentage");
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 100)
      return Refuse("INVALID_PARAMS",
                    "params.spend_percentage must be a number from 0 to 100");
    const double percentage = it->get<double>();
    std::vector<BuyRow> buys;
    if (auto media_buy_id = StringParam(params_, "media_buy_id")) {
      auto buy = OwnBuy(*media_buy_id);
      if (auto* refusal = std::get_if<Refusal>(&buy)) return *refusal;
      buys.push_back(std::get<BuyRow>(std::move(buy)));
    } else if (auto account_id = StringParam(params_, "account_id")) {
      auto account = AccountStore::ById(txn_, *account_id);
      if (!account || account->principal_id != call_.principal_id)
        return Refuse("NOT_FOUND",
                      absl::StrCat("no account '", *account_id, "'"));
      std::string after;
      while (true) {
        std::vector<BuyRow> page =
            BuyStore::List(txn_, {call_.principal_id, false}, 100, after);
        for (BuyRow& buy : page)
          if (buy.account_id == *account_id) buys.push_back(std::move(buy));
        if (page.size() < 100) break;
        after = page.back().media_buy_id;
      }
    } else {
      return Refuse("INVALID_PARAMS",
                    "params.media_buy_id or params.account_id is required");
    }
    Micros budget = 0, spent = 0;
    std::string currency;
    for (const BuyRow& buy : buys) {
      const Micros spend = static_cast<Micros>(
          static_cast<double>(buy.total_budget) * percentage / 100.0);
      json total = Cumulative(buy);
      total["spend"] = DecimalFromMicros(spend);
      BuyStore::SetSimulatedDelivery(txn_, buy.media_buy_id, total);
      if (currency.empty()) currency = buy.currency;
      if (buy.currency != currency) continue;  // summed in one currency
      budget += buy.total_budget;
      spent += spend;
    }
    json simulated = {{"spend_percentage", percentage},
                      {"computed_spend", NumberFromMicros(spent)},
                      {"budget", NumberFromMicros(budget)}};
    if (!currency.empty()) simulated["currency"] = currency;
    *response_->mutable_simulated() = JsonToStruct(simulated);
    return std::nullopt;
  }

  Outcome ForceArm() {
    auto arm = StringParam(params_, "arm");
    if (!arm) return MissingParam("arm");
    if (*arm != "submitted")
      return Refuse("INVALID_PARAMS",
                    "params.arm must be submitted (the only asynchronous arm "
                    "this seller has)");
    auto task_id = StringParam(params_, "task_id");
    if (!task_id) return MissingParam("task_id");
    if (!ValidateId("params.task_id", *task_id).ok() || task_id->size() > 80)
      return Refuse("INVALID_PARAMS",
                    "params.task_id must be 1-80 printable characters");
    // Another principal's task keeps its id.
    if (auto task = HumanTaskStore::Find(txn_, *task_id, {"", true}, false);
        task && task->principal_id != call_.principal_id)
      return Refuse("INVALID_PARAMS", "params.task_id is already in use");
    const Directive directive{
        .arm = *arm,
        .task_id = *task_id,
        .message = StringParam(params_, "message").value_or("")};
    DirectiveStore::Put(txn_, call_.principal_id, directive);
    *response_->mutable_forced() =
        JsonToStruct({{"arm", directive.arm}, {"task_id", directive.task_id}});
    response_->set_message(
        "the next create_media_buy of this principal answers submitted");
    return std::nullopt;
  }

  // A fixture param: an object (absent: {}).
  std::variant<json, Refusal> Fixture() {
    auto it = params_.find("fixture");
    if (it == params_.end()) return json::object();
    if (!it->is_object())
      return *Refuse("INVALID_PARAMS", "params.fixture must be an object");
    return *it;
  }

  // The stored product `product_id`: none, one the caller sees (active, open
  // to it), or one it does not see, which the controller must not touch
  // (another buyer's restricted or an inactive product).
  struct Existing {
    std::optional<ProductRow> row;
    bool hidden = false;
  };
  Existing ExistingProduct(const std::string& product_id) {
    for (ProductRow& row : ProductStore::List(txn_, {"", true})) {
      if (row.product_id != product_id) continue;
      const auto& allowed = row.allowed_principal_ids;
      const bool visible =
          row.is_active &&
          (allowed.empty() || std::find(allowed.begin(), allowed.end(),
                                        call_.principal_id) != allowed.end());
      if (!visible) return {.hidden = true};
      return {.row = std::move(row)};
    }
    return {};
  }

  static Outcome Hidden() {
    return Refuse("FORBIDDEN",
                  "this product id is in use and cannot be seeded");
  }

  // A stored product as AdCP JSON (proto field names).
  static json ProductJson(const ProductRow& row) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    std::string text;
    (void)google::protobuf::util::MessageToJsonString(ProductToProto(row),
                                                      &text, options);
    return json::parse(text);
  }

  json PlaceholderPricing() const {
    return {{"pricing_option_id", "default"},
            {"pricing_model", "cpm"},
            {"currency", "USD"},
            {"fixed_price", 10}};
  }

  // Validates `product` as the catalogue does and stores it, keeping the
  // audience and state of the product it replaces.
  Outcome StoreProduct(const json& product, const ProductRow* replaced) {
    pb::ProductDefinition definition;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;  // AdCP fields this seller ignores
    if (!google::protobuf::util::JsonStringToMessage(
             json{{"product", product}}.dump(), &definition, options)
             .ok())
      return Refuse("INVALID_PARAMS",
                    "params.fixture does not have the shape of a product");
    if (replaced != nullptr) {
      for (const std::string& id : replaced->allowed_principal_ids)
        definition.add_allowed_principal_ids(id);
      definition.set_is_active(replaced->is_active);
    }
    auto row = ProductFromDefinition(definition, *call_.formats, *call_.tenant,
                                     call_.publisher_base_domain);
    if (!row.ok())
      return Refuse("INVALID_PARAMS", std::string(row.status().message()));
    ProductStore::Upsert(txn_, *row);
    return std::nullopt;
  }

  json WithAgentUrls(json format_ids) const {
    if (!format_ids.is_array()) return format_ids;
    for (json& id : format_ids)
      if (id.is_object() && !id.contains("agent_url"))
        id["agent_url"] = call_.formats->agent_url();
    return format_ids;
  }

  // A product from a sparse fixture over the stored product (or a baseline):
  // name and description default from the id, formats to this seller's
  // creative agent, pricing to a placeholder "default" option until
  // seed_pricing_option adds real ones.
  Outcome SeedProduct() {
    auto product_id = StringParam(params_, "product_id");
    if (!product_id) return MissingParam("product_id");
    auto fixture = Fixture();
    if (auto* refusal = std::get_if<Refusal>(&fixture)) return *refusal;
    json product;
    const Existing existing = ExistingProduct(*product_id);
    if (existing.hidden) return Hidden();
    if (existing.row) {
      product = ProductJson(*existing.row);
    } else {
      product = {{"name", absl::StrCat("Sandbox product ", *product_id)},
                 {"description",
                  absl::StrCat("Fixture ", *product_id,
                               " seeded by the compliance test controller")},
                 {"delivery_type", "non_guaranteed"},
                 {"channels", {"display"}},
                 {"format_ids", {{{"id", "display_300x250"}}}},
                 {"pricing_options", {PlaceholderPricing()}}};
    }
    for (const auto& [key, value] : std::get<json>(fixture).items())
      product[key] = value;
    product["product_id"] = *product_id;
    product["format_ids"] = WithAgentUrls(product["format_ids"]);
    if (auto refusal =
            StoreProduct(product, existing.row ? &*existing.row : nullptr))
      return refusal;
    response_->set_message("Fixture seeded");
    return std::nullopt;
  }

  Outcome SeedPricingOption() {
    auto product_id = StringParam(params_, "product_id");
    if (!product_id) return MissingParam("product_id");
    auto option_id = StringParam(params_, "pricing_option_id");
    if (!option_id) return MissingParam("pricing_option_id");
    auto fixture = Fixture();
    if (auto* refusal = std::get_if<Refusal>(&fixture)) return *refusal;
    const Existing found = ExistingProduct(*product_id);
    if (found.hidden) return Hidden();
    if (!found.row)
      return Refuse("NOT_FOUND", absl::StrCat("no product '", *product_id,
                                              "' (seed_product first)"));
    const ProductRow* existing = &*found.row;
    json option = {{"pricing_model", "cpm"}, {"currency", "USD"}};
    for (const auto& [key, value] : std::get<json>(fixture).items())
      option[key] = value;
    option["pricing_option_id"] = *option_id;
    json options = json::array();
    for (const json& stored : existing->pricing_options) {
      if (stored.value("pricing_option_id", "") == *option_id) continue;
      // The placeholder goes once a real option is seeded.
      if (stored.value("pricing_option_id", "") == "default" &&
          stored == PlaceholderPricing())
        continue;
      options.push_back(stored);
    }
    options.push_back(option);
    json product = ProductJson(*existing);
    product["pricing_options"] = std::move(options);
    if (auto refusal = StoreProduct(product, existing)) return refusal;
    response_->set_message("Fixture seeded");
    return std::nullopt;
  }

  Outcome SeedCreative() {
    auto creative_id = StringParam(params_, "creative_id");
    if (!creative_id) return MissingParam("creative_id");
    if (!ValidateId("params.creative_id", *creative_id).ok())
      return Refuse("INVALID_PARAMS",
                    "params.creative_id must be 1-255 printable characters");
    auto fixture_or = Fixture();
    if (auto* refusal = std::get_if<Refusal>(&fixture_or)) return *refusal;
    const json& fixture = std::get<json>(fixture_or);
    CreativeRow row;
    if (auto existing =
            CreativeStore::Find(txn_, call_.principal_id, *creative_id)) {
      row = *std::move(existing);
    } else {
      row.principal_id = call_.principal_id;
      row.creative_id = *creative_id;
      row.name = *creative_id;
      row.format_agent_url = call_.formats->agent_url();
      row.format_id = "display_300x250";
      row.status = "approved";
    }
    if (fixture.contains("name")) {
      if (!fixture["name"].is_string() ||
          fixture["name"].get<std::string>().empty() ||
          fixture["name"].get<std::string>().size() > 255)
        return Refuse("INVALID_PARAMS",
                      "params.fixture.name must be 1-255 characters");
      row.name = fixture["name"];
    }
    if (fixture.contains("status")) {
      if (!fixture["status"].is_string() ||
          !CreativeMoves().count(fixture["status"].get<std::string>()))
        return Refuse("INVALID_PARAMS",
                      absl::StrCat("params.fixture.status must be one of ",
                                   JoinedNames(KeysOf(CreativeMoves()))));
      row.status = fixture["status"];
    }
    if (fixture.contains("format_id")) {
      const json& format = fixture["format_id"];
      if (!format.is_object() || !format.contains("id") ||
          !format["id"].is_string() ||
          (format.contains("agent_url") && !format["agent_url"].is_string()))
        return Refuse("INVALID_PARAMS",
                      "params.fixture.format_id must be {agent_url?, id}");
      row.format_id = format["id"];
      row.format_agent_url =
          format.value("agent_url", call_.formats->agent_url());
    }
    if (fixture.contains("assets")) {
      if (!fixture["assets"].is_object())
        return Refuse("INVALID_PARAMS",
                      "params.fixture.assets must be an object");
      row.assets = fixture["assets"];
    }
    CreativeStore::Upsert(txn_, row);
    response_->set_message("Fixture seeded");
    return std::nullopt;
  }

  TenantTxn& txn_;
  const ControllerCall& call_;
  const json& params_;
  pb::ComplyTestControllerResponse* response_;
};

}  // namespace

const std::vector<std::string>& ControllerScenarios() {
  static const auto* scenarios = new std::vector<std::string>{
      "force_creative_status",  "force_account_status",
      "force_media_buy_status", "simulate_delivery",
      "simulate_budget_spend",  "force_create_media_buy_arm",
      "seed_product",           "seed_pricing_option",
      "seed_creative"};
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
  Controller controller(txn, call, params, response);
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
