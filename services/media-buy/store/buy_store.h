// Media buys and their packages (tables media_buys and packages): a buy is
// read and inserted with its packages; the ad server's state of it and the
// sandbox's forced status and simulated delivery are columns of the buy.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libs/db/pg_pool.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

class BuyStore {
 public:
  static PgPool::Statements Statements();

  // The buy and its packages.
  static void Insert(TenantTxn& txn, const BuyRow& buy);
  // The buy with its packages, when `reader` may see it.
  static std::optional<BuyRow> Find(TenantTxn& txn,
                                    const std::string& media_buy_id,
                                    const Reader& reader, bool for_update);
  // Buys of the reader by media_buy_id, after the cursor (an id).
  static std::vector<BuyRow> List(TenantTxn& txn, const Reader& reader,
                                  int limit, const std::string& after_id);
  // The buy a package belongs to, when `reader` may see it.
  static std::optional<std::string> OfPackage(TenantTxn& txn,
                                              const std::string& package_id,
                                              const Reader& reader);
  static void Update(TenantTxn& txn, const BuyRow& buy);
  // Only the buy's adapter_state (no revision, no updated_at): what the ad
  // server has of it.
  static void SetAdapterState(TenantTxn& txn, const std::string& media_buy_id,
                              const nlohmann::json& adapter_state);
  // Sandbox: forces the buy's AdCP status (cleared by the buyer's next
  // update); a non-empty reason replaces its rejection_reason.
  static void ForceStatus(TenantTxn& txn, const std::string& media_buy_id,
                          const std::string& status,
                          const std::string& rejection_reason);
  static void SetSimulatedDelivery(TenantTxn& txn,
                                   const std::string& media_buy_id,
                                   const nlohmann::json& delivery);
  // The packages' changeable fields and line ids, in one round trip; all
  // of one buy.
  static void UpdatePackages(TenantTxn& txn, const std::string& media_buy_id,
                             const std::vector<PackageRow>& packages);
  static void UpdatePackage(TenantTxn& txn, const PackageRow& package);
};

}  // namespace adcp::media_buy
