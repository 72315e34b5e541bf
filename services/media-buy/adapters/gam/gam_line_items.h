// What a media buy becomes in Google Ad Manager, without I/O: each
// package's line item plan (line item type, cost type and goal, from its
// delivery type and pricing model), the LineItem and Creative XML the
// adapter sends, and the names it finds an order and its line items by
// again after a lost answer.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/media-buy/adapters/adapter.h"
#include "services/media-buy/adapters/gam/xml_node.h"

namespace adcp::media_buy::gam_soap {

struct LineItemPlan {
  std::string line_item_type;
  std::string cost_type;
  Micros cost_per_unit = 0;
  std::string goal_type;  // LIFETIME, DAILY, NONE
  std::string unit_type;  // IMPRESSIONS, CLICKS, VIEWABLE_IMPRESSIONS
  int64_t units = 0;
};

// "AdCP <media_buy_id>" and "AdCP <media_buy_id> <package_id>".
std::string OrderName(const AdapterBuy& buy);
std::string LineItemName(const AdapterBuy& buy, const AdapterPackage& package);

// Guaranteed CPM/vCPM/CPC/CPCV -> STANDARD, guaranteed flat rate ->
// SPONSORSHIP at CPD (the budget per day, 100% share of voice),
// non-guaranteed CPM/CPC -> PRICE_PRIORITY; the goal's units from the
// impressions goal, else the budget at the rate. INVALID_ARGUMENT for a
// combination Ad Manager has no type for, or a guaranteed package with
// neither rate nor goal.
absl::StatusOr<LineItemPlan> PlanLineItem(const AdapterPackage& package,
                                          const AdapterBuy& buy);

// The package's LineItem in `order`, targeting config's ad_unit_ids (required
// unless `dry_run`) with placeholders of its creative_sizes (300x250), dated
// in `zone`.
absl::StatusOr<XmlNode> LineItemXml(const AdapterBuy& buy,
                                    const AdapterPackage& package,
                                    const std::string& order,
                                    const nlohmann::json& config, bool dry_run,
                                    absl::TimeZone zone,
                                    const std::string& zone_name);

// An ImageRedirectCreative (an image asset) or ThirdPartyCreative (an html
// asset) of `advertiser`; INVALID_ARGUMENT when it has neither.
absl::StatusOr<XmlNode> CreativeXml(const AdapterCreative& creative,
                                    const std::string& advertiser);

}  // namespace adcp::media_buy::gam_soap
