#include "services/media-buy/domain/buy_status.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/money.h"
#include "services/media-buy/domain/wire_values.h"

namespace adcp::media_buy {

namespace pb = ::adcp::media_buy::v1;

const std::map<std::string, std::set<std::string>>& MediaBuyMoves() {
  static const auto* moves = new std::map<std::string, std::set<std::string>>{
      {"pending_creatives",
       {"pending_start", "active", "paused", "canceled", "rejected"}},
      {"pending_start", {"active", "paused", "canceled", "rejected"}},
      {"active", {"paused", "completed", "canceled"}},
      {"paused", {"active", "completed", "canceled"}},
      {"completed", {}},
      {"rejected", {}},
      {"canceled", {}},
  };
  return *moves;
}

bool IsMediaBuyMove(const std::string& from, const std::string& to) {
  auto it = MediaBuyMoves().find(from);
  return it != MediaBuyMoves().end() && it->second.count(to) > 0;
}

std::string AdcpStatus(const BuyRow& buy, bool has_live_creatives,
                       absl::Time now) {
  if (!buy.forced_status.empty()) return buy.forced_status;  // sandbox
  if (buy.status == "rejected" || buy.status == "canceled") return buy.status;
  // AdCP 3.0 has no approval state for a buy (the buyer follows the task):
  // a buy awaiting the publisher's approval reads as pending_start.
  if (buy.status == "pending_approval") return "pending_start";
  if (now >= buy.end_time) return "completed";
  // The ad server does not have the whole buy yet (a step failed).
  if (buy.adapter_state.contains("failed_step")) return "pending_start";
  if (buy.status == "paused") return "paused";
  if (buy.went_live) return "active";  // no edge back to the pending states
  if (!has_live_creatives) return "pending_creatives";
  if (now < buy.start_time) return "pending_start";
  return "active";
}

std::vector<std::string> ValidActions(const std::string& adcp_status) {
  if (adcp_status == "completed" || adcp_status == "rejected" ||
      adcp_status == "canceled")
    return {};
  if (adcp_status == "paused")
    return {"resume",       "cancel",          "update_budget",
            "update_dates", "update_packages", "sync_creatives"};
  return {"pause",        "cancel",          "update_budget",
          "update_dates", "update_packages", "sync_creatives"};
}

std::vector<std::string> ValidActionsFor(const BuyRow& buy,
                                         const std::string& adcp_status) {
  if (buy.status == "pending_approval")
    return {"cancel", "update_budget", "update_dates", "update_packages",
            "sync_creatives"};
  return ValidActions(adcp_status);
}

pb::Package PackageToProto(const PackageRow& row, const std::string& currency) {
  pb::Package package;
  package.set_package_id(row.package_id);
  package.set_product_id(row.product_id);
  package.set_budget(NumberFromMicros(row.budget));
  package.set_pacing(row.pacing);
  package.set_pricing_option_id(row.pricing_option_id);
  if (row.bid_price) package.set_bid_price(NumberFromMicros(*row.bid_price));
  if (row.impressions)
    package.set_impressions(static_cast<double>(*row.impressions));
  package.set_paused(row.paused);
  package.set_currency(currency);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  for (const auto& id : row.format_ids) {
    (void)google::protobuf::util::JsonStringToMessage(
        id.dump(), package.add_format_ids(), options);
  }
  if (row.targeting_overlay.is_object())
    *package.mutable_targeting_overlay() = JsonToStruct(row.targeting_overlay);
  if (row.extra.contains("context"))
    *package.mutable_context() = JsonToStruct(row.extra["context"]);
  if (row.extra.contains("ext"))
    *package.mutable_ext() = JsonToStruct(row.extra["ext"]);
  if (row.extra.contains("measurement_terms"))
    *package.mutable_measurement_terms() =
        JsonToStruct(row.extra["measurement_terms"]);
  return package;
}

bool AnyApproved(const std::vector<AssignmentRow>& assignments) {
  return std::any_of(
      assignments.begin(), assignments.end(),
      [](const AssignmentRow& a) { return a.creative_status == "approved"; });
}

absl::Status MediaBuyNotFound(std::string_view field) {
  return AdcpError("MEDIA_BUY_NOT_FOUND", field,
                   absl::StrCat(std::string(field), ": no such media buy"),
                   "list your media buys with get_media_buys");
}

}  // namespace adcp::media_buy
