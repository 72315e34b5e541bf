// The controller's simulations: delivery (impressions, clicks, conversions,
// spend) added to a buy's running totals, and spend set to a share of the
// budget of one buy or of an account's buys.
#include "absl/strings/str_cat.h"
#include "services/media-buy/domain/money.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/sandbox/comply_scenarios.h"
#include "services/media-buy/store/account_store.h"
#include "services/media-buy/store/buy_store.h"

namespace adcp::media_buy::comply {

using nlohmann::json;

// A non-negative whole number param (absent: 0).
std::variant<int64_t, Refusal> Controller::Count(std::string_view name) {
  auto it = params_.find(std::string(name));
  if (it == params_.end()) return int64_t{0};
  if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1e15 ||
      it->get<double>() != static_cast<double>(it->get<int64_t>()))
    return *Refuse("INVALID_PARAMS",
                   absl::StrCat("params.", std::string(name),
                                " must be a whole number >= 0"));
  return it->get<int64_t>();
}

json Controller::Cumulative(const BuyRow& buy) {
  json delivery = buy.simulated_delivery.is_object() ? buy.simulated_delivery
                                                     : json{{"impressions", 0},
                                                            {"clicks", 0},
                                                            {"conversions", 0},
                                                            {"spend", "0"}};
  return delivery;
}

json Controller::Shown(const json& delivery, const std::string& currency) {
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

Outcome Controller::SimulateDelivery() {
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

Outcome Controller::SimulateSpend() {
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

}  // namespace adcp::media_buy::comply
