#include "services/media-buy/adapters/gam/gam_line_items.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/base/status.h"
#include "services/media-buy/adapters/adapter_toolkit.h"
#include "services/media-buy/adapters/gam/gam_soap.h"

namespace adcp::media_buy::gam_soap {

using json = nlohmann::json;

std::string OrderName(const AdapterBuy& buy) {
  return absl::StrCat("AdCP ", buy.media_buy_id);
}
std::string LineItemName(const AdapterBuy& buy, const AdapterPackage& package) {
  return absl::StrCat("AdCP ", buy.media_buy_id, " ", package.package_id);
}

absl::StatusOr<LineItemPlan> PlanLineItem(const AdapterPackage& package,
                                          const AdapterBuy& buy) {
  const std::string& model = package.pricing_model;
  const bool guaranteed = package.delivery_type == "guaranteed";
  LineItemPlan plan{.goal_type = "LIFETIME", .unit_type = "IMPRESSIONS"};
  plan.cost_per_unit = package.rate;
  auto units_for = [&](Micros unit_price, int64_t per) -> int64_t {
    if (package.impressions_goal > 0) return package.impressions_goal;
    if (unit_price <= 0) return -1;
    return static_cast<int64_t>(static_cast<__int128>(package.budget) * per /
                                unit_price);
  };
  if (model == "flat_rate" && guaranteed) {
    plan.line_item_type = "SPONSORSHIP";
    plan.cost_type = "CPD";
    const int64_t days = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil(
               absl::ToDoubleHours(buy.end_time - buy.start_time) / 24)));
    plan.cost_per_unit = package.budget / days;
    plan.goal_type = "DAILY";
    plan.units = 100;  // share of voice, percent
    return plan;
  }
  if (model == "cpm" || (model == "vcpm" && guaranteed)) {
    plan.line_item_type = guaranteed ? "STANDARD" : "PRICE_PRIORITY";
    plan.cost_type = model == "vcpm" ? "VCPM" : "CPM";
    if (model == "vcpm") plan.unit_type = "VIEWABLE_IMPRESSIONS";
    plan.units = units_for(package.rate, 1000);
  } else if (model == "cpc") {
    plan.line_item_type = guaranteed ? "STANDARD" : "PRICE_PRIORITY";
    plan.cost_type = "CPC";
    plan.unit_type = "CLICKS";
    plan.units = units_for(package.rate, 1);
  } else if (model == "cpcv" && guaranteed) {
    plan.line_item_type = "STANDARD";
    plan.cost_type = "CPCV";
    plan.unit_type = "COMPLETED_VIEWS";
    plan.units = units_for(package.rate, 1);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("Google Ad Manager has no line item type for a ",
                     guaranteed ? "guaranteed" : "non-guaranteed", " ", model,
                     " package (", package.package_id, ")"));
  }
  if (plan.units < 0) {
    if (guaranteed)
      return absl::InvalidArgumentError(absl::StrCat(
          "package ", package.package_id,
          " has no rate or impressions goal to book a guaranteed line item"));
    plan.goal_type = "NONE";
  }
  return plan;
}

absl::StatusOr<XmlNode> LineItemXml(const AdapterBuy& buy,
                                    const AdapterPackage& package,
                                    const std::string& order,
                                    const nlohmann::json& config, bool dry_run,
                                    absl::TimeZone zone,
                                    const std::string& zone_name) {
  ASSIGN_OR_RETURN(LineItemPlan plan, PlanLineItem(package, buy));
  std::vector<std::string> ad_units;
  if (config.contains("ad_unit_ids") && config["ad_unit_ids"].is_array()) {
    for (const json& id : config["ad_unit_ids"])
      if (id.is_string() || id.is_number_integer())
        ad_units.push_back(id.is_string() ? id.get<std::string>()
                                          : std::to_string(id.get<int64_t>()));
  }
  if (ad_units.empty() && !dry_run)
    return absl::FailedPreconditionError(
        "adapters.google_ad_manager.ad_unit_ids is required to target line "
        "items");
  XmlNode item("lineItems");
  item.Add("orderId", order);
  item.Add("name", LineItemName(buy, package));
  item.Add("externalId", package.package_id);
  item.Add(DateTime("startDateTime", buy.start_time, zone, zone_name));
  item.Add("startDateTimeType", "USE_START_DATE_TIME");
  item.Add(DateTime("endDateTime", buy.end_time, zone, zone_name));
  item.Add("creativeRotationType", "EVEN");
  item.Add("deliveryRateType", package.pacing == "asap" ? "AS_FAST_AS_POSSIBLE"
                               : package.pacing == "front_loaded"
                                   ? "FRONTLOADED"
                                   : "EVENLY");
  item.Add("lineItemType", plan.line_item_type);
  item.Add(Money("costPerUnit", plan.cost_per_unit, buy.currency));
  item.Add("costType", plan.cost_type);
  std::vector<std::string> sizes = {"300x250"};
  if (config.contains("creative_sizes") &&
      config["creative_sizes"].is_array() &&
      !config["creative_sizes"].empty()) {
    sizes.clear();
    for (const json& size : config["creative_sizes"])
      if (size.is_string()) sizes.push_back(size.get<std::string>());
  }
  for (const std::string& size : sizes) {
    std::vector<std::string> wh = absl::StrSplit(size, 'x');
    XmlNode& placeholder = item.Add("creativePlaceholders").Add("size");
    placeholder.Add("width", wh.size() == 2 ? wh[0] : "0");
    placeholder.Add("height", wh.size() == 2 ? wh[1] : "0");
    placeholder.Add("isAspectRatio", "false");
  }
  XmlNode& goal = item.Add("primaryGoal");
  goal.Add("goalType", plan.goal_type);
  goal.Add("unitType", plan.unit_type);
  goal.Add("units", std::to_string(plan.units));
  XmlNode& inventory = item.Add("targeting").Add("inventoryTargeting");
  for (const std::string& unit : ad_units) {
    XmlNode& targeted = inventory.Add("targetedAdUnits");
    targeted.Add("adUnitId", unit);
    targeted.Add("includeDescendants", "true");
  }
  return item;
}

absl::StatusOr<XmlNode> CreativeXml(const AdapterCreative& creative,
                                    const std::string& advertiser) {
  XmlNode out("creatives");
  const json image = FindAsset(creative.assets, "image");
  const json html = FindAsset(creative.assets, "html");
  const json& sized = image.is_object() ? image : html;
  out.Attr("xsi:type",
           image.is_object() ? "ImageRedirectCreative" : "ThirdPartyCreative");
  if (!image.is_object() && !html.is_object())
    return absl::InvalidArgumentError(absl::StrCat(
        "creative ", creative.creative_id,
        " has no image or html asset Google Ad Manager can serve"));
  out.Add("advertiserId", advertiser);
  out.Add("name", creative.name.empty() ? creative.creative_id : creative.name);
  XmlNode& size = out.Add("size");
  size.Add("width", std::to_string(JsonInt(sized, "width", 0)));
  size.Add("height", std::to_string(JsonInt(sized, "height", 0)));
  size.Add("isAspectRatio", "false");
  if (image.is_object()) {
    const std::string click = ClickUrl(creative.assets);
    out.Add("destinationUrl", click);
    out.Add("destinationUrlType", click.empty() ? "NONE" : "CLICK_TO_WEB");
    out.Add("imageUrl", JsonString(image, "url"));
  } else {
    out.Add("snippet", JsonString(html, "content"));
  }
  return out;
}

}  // namespace adcp::media_buy::gam_soap
