// Each tenant's products in memory, so that get_products costs no database
// round trip in steady state (PerTenantCache: kept until the products'
// trigger announces a change of the tenant).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "services/media-buy/cache/per_tenant_cache.h"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

// A product as get_products sends it, made once: its row (what filters,
// visibility and pricing read) and its protobuf encoding, with prices and
// without them (for a caller with no principal). The encodings go into
// answers as they are (AppendProduct): no protobuf Structs to copy per call.
struct CachedProduct {
  ProductRow row;
  std::string brief_text;  // BriefText(row)
  std::string wire;
  std::string wire_without_prices;
};
using CachedProducts = std::shared_ptr<const std::vector<CachedProduct>>;

// Whether `reader` may see the product (what mb_products selects).
bool VisibleTo(const ProductRow& row, const Reader& reader);

// The cached form of a product row.
CachedProduct CacheProduct(ProductRow row);

// Adds `encoded` (a Product's encoding) to `response`'s products, with
// `brief_relevance` when not empty. The bytes go in as the products field
// (number 1) among the message's unknown fields: encoded, the answer is the
// same as with the field set (a parser joins a repeated field's entries in
// the order they come, wherever they are), without decoding the product
// into protobuf objects and copying them. In this process the product is
// not in response.products(): only what is sent has it.
void AppendProduct(const std::string& encoded,
                   const std::string& brief_relevance,
                   v1::GetProductsResponse& response);

// Each tenant's products (all of them, inactive and restricted ones too;
// callers filter per reader), announced on adcp_product_changes.
class ProductCache : public PerTenantCache<std::vector<CachedProduct>> {
 public:
  using RowLoader = std::function<absl::StatusOr<std::vector<ProductRow>>(
      const std::string&)>;

  ProductCache(std::string conninfo, RowLoader loader, size_t max_tenants);
};

}  // namespace adcp::media_buy
