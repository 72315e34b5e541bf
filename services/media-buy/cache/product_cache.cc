#include "services/media-buy/cache/product_cache.h"

#include <google/protobuf/unknown_field_set.h>

#include <algorithm>

#include "services/media-buy/domain/product_view.h"

namespace adcp::media_buy {

bool VisibleTo(const ProductRow& row, const Reader& reader) {
  if (reader.is_admin) return true;
  if (!row.is_active || row.visible_to_none) return false;
  return row.allowed_principal_ids.empty() ||
         std::find(row.allowed_principal_ids.begin(),
                   row.allowed_principal_ids.end(),
                   reader.principal_id) != row.allowed_principal_ids.end();
}

CachedProduct CacheProduct(ProductRow row) {
  v1::Product proto = ProductToProto(row);
  CachedProduct out{.row = std::move(row), .wire = proto.SerializeAsString()};
  out.brief_text = BriefText(out.row);
  HidePricing(proto);
  out.wire_without_prices = proto.SerializeAsString();
  return out;
}

void AppendProduct(const std::string& encoded,
                   const std::string& brief_relevance,
                   v1::GetProductsResponse& response) {
  std::string* field =
      response.GetReflection()
          ->MutableUnknownFields(&response)
          ->AddLengthDelimited(v1::GetProductsResponse::kProductsFieldNumber);
  *field = encoded;
  if (!brief_relevance.empty()) {
    // Encodings of one message, concatenated, merge: this sets the field.
    v1::Product relevance;
    relevance.set_brief_relevance(brief_relevance);
    relevance.AppendToString(field);
  }
}

ProductCache::ProductCache(std::string conninfo, RowLoader loader,
                           size_t max_tenants)
    : PerTenantCache(
          std::move(conninfo), "adcp_product_changes",
          Making(std::move(loader),
                 [](std::vector<ProductRow> rows) -> Value {
                   auto products =
                       std::make_shared<std::vector<CachedProduct>>();
                   products->reserve(rows.size());
                   for (ProductRow& row : rows)
                     products->push_back(CacheProduct(std::move(row)));
                   return products;
                 }),
          max_tenants) {}

}  // namespace adcp::media_buy
