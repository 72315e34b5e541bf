// A stored buy as its ad server's adapter is handed it, and what the ad
// server created written back into the buy.
#pragma once

#include <string>

#include "services/media-buy/adapters/adapter.h"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

// A package with its stored values (no delivery type: ToAdapterBuy adds it).
AdapterPackage ToAdapterPackage(const PackageRow& package);
AdapterBuy ToAdapterBuy(const std::string& tenant_id, const BuyRow& buy);
// Records in `buy` the order, the upstream state and the line of each
// package the ad server created.
void ApplyOrder(const CreatedOrder& order, BuyRow& buy);
// Whether the ad server has the whole buy (an order, and no step failed).
bool Placed(const BuyRow& buy);

}  // namespace adcp::media_buy
