#include "services/media-buy/placement/adapter_buy.h"

namespace adcp::media_buy {

AdapterPackage ToAdapterPackage(const PackageRow& package) {
  return AdapterPackage{.package_id = package.package_id,
                        .product_id = package.product_id,
                        .pricing_model = package.pricing_model,
                        .budget = package.budget,
                        .rate = package.rate.value_or(0),
                        .pacing = package.pacing,
                        .impressions_goal = package.impressions.value_or(0),
                        .paused = package.paused,
                        .line_id = package.line_id};
}

AdapterBuy ToAdapterBuy(const std::string& tenant_id, const BuyRow& buy) {
  AdapterBuy out{.tenant_id = tenant_id,
                 .media_buy_id = buy.media_buy_id,
                 .principal_id = buy.principal_id,
                 .currency = buy.currency,
                 .start_time = buy.start_time,
                 .end_time = buy.end_time,
                 .paused = buy.status == "paused",
                 .paused_at = buy.paused_at,
                 .order_id = buy.order_id,
                 .upstream = buy.adapter_state.value("upstream",
                                                     nlohmann::json::object())};
  for (const PackageRow& package : buy.packages) {
    AdapterPackage line = ToAdapterPackage(package);
    // Buys made before the delivery type was recorded: an auction price
    // means a non-guaranteed line.
    line.delivery_type = package.extra.value(
        "delivery_type",
        package.bid_price ? std::string("non_guaranteed") : "guaranteed");
    out.packages.push_back(std::move(line));
  }
  return out;
}

void ApplyOrder(const CreatedOrder& order, BuyRow& buy) {
  buy.order_id = order.order_id;
  buy.adapter_state["upstream"] = order.upstream;
  for (PackageRow& package : buy.packages) {
    auto line = order.line_ids.find(package.package_id);
    if (line != order.line_ids.end()) package.line_id = line->second;
  }
}

bool Placed(const BuyRow& buy) {
  return !buy.order_id.empty() && !buy.adapter_state.contains("failed_step");
}

}  // namespace adcp::media_buy
