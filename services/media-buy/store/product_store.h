// The tenant's products (table products).
#pragma once

#include <vector>

#include "libs/db/pg_pool.h"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

class ProductStore {
 public:
  static PgPool::Statements Statements();

  // Products visible to `reader` (active, and allowed for the principal
  // unless the reader is an admin), by product_id.
  static std::vector<ProductRow> List(TenantTxn& txn, const Reader& reader);
  static void Upsert(TenantTxn& txn, const ProductRow& product);
};

}  // namespace adcp::media_buy
