#include "product_cache.h"

#include <google/protobuf/unknown_field_set.h>

#include <algorithm>

#include "task_support.h"

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

ProductCache::ProductCache(std::string conninfo, Loader loader,
                           size_t max_tenants)
    : loader_(std::move(loader)),
      max_tenants_(std::max<size_t>(1, max_tenants)),
      listener_(
          std::move(conninfo), "adcp_product_changes",
          [this](const std::string& tenant_id) { Invalidate(tenant_id); },
          // Changes made while not listening are unknown: start empty.
          [this] { Clear(/*caching=*/true); },
          // Until listening again, nothing cached can be trusted.
          [this] { Clear(/*caching=*/false); }) {}

ProductCache::~ProductCache() { Stop(); }

void ProductCache::Start() { listener_.Start(); }

void ProductCache::Stop() { listener_.Stop(); }

bool ProductCache::WaitUntilListening(absl::Duration timeout) {
  return listener_.WaitUntilListening(timeout);
}

void ProductCache::Clear(bool caching) {
  absl::MutexLock lock(&mutex_);
  entries_.clear();
  ++epoch_;
  caching_ = caching;
}

void ProductCache::Invalidate(const std::string& tenant_id) {
  absl::MutexLock lock(&mutex_);
  if (tenant_id == "*") {  // products truncated
    entries_.clear();
  } else {
    entries_.erase(tenant_id);
  }
  ++epoch_;
}

size_t ProductCache::size() const {
  absl::MutexLock lock(&mutex_);
  return entries_.size();
}

absl::StatusOr<CachedProducts> ProductCache::Get(const std::string& tenant_id) {
  uint64_t epoch = 0;
  {
    absl::MutexLock lock(&mutex_);
    if (auto it = entries_.find(tenant_id); it != entries_.end())
      return it->second;
    epoch = epoch_;
  }
  ++database_reads_;
  absl::StatusOr<std::vector<ProductRow>> rows = loader_(tenant_id);
  if (!rows.ok()) return rows.status();
  auto products = std::make_shared<std::vector<CachedProduct>>();
  products->reserve(rows->size());
  for (ProductRow& row : *rows)
    products->push_back(CacheProduct(std::move(row)));
  CachedProducts result = std::move(products);
  absl::MutexLock lock(&mutex_);
  if (caching_ && epoch == epoch_) {
    if (entries_.size() >= max_tenants_ && !entries_.contains(tenant_id))
      entries_.erase(entries_.begin());
    entries_[tenant_id] = result;
  }
  return result;
}

}  // namespace adcp::media_buy
