// Each tenant's products in memory, so that get_products costs no database
// round trip in steady state. A tenant's entry is read once (all of its
// products, inactive and restricted ones too; callers filter per reader) and
// kept until the products' trigger announces a change of that tenant on
// adcp_product_changes. While the listener is not connected nothing is
// cached: every call reads the database, as without the cache.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "adcp/common/pg_listener.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "store.h"

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

class ProductCache {
 public:
  using Loader = std::function<absl::StatusOr<std::vector<ProductRow>>(
      const std::string&)>;

  // `conninfo`: where to LISTEN; `max_tenants`: entries kept (one is dropped
  // to make room for another).
  ProductCache(std::string conninfo, Loader loader, size_t max_tenants);
  ~ProductCache();

  void Start();
  void Stop();
  bool WaitUntilListening(absl::Duration timeout);

  // The tenant's products, from memory or read by the loader.
  absl::StatusOr<CachedProducts> Get(const std::string& tenant_id);

  // "*": every tenant (the notification of a TRUNCATE).
  void Invalidate(const std::string& tenant_id);
  uint64_t database_reads() const { return database_reads_; }
  size_t size() const;

 private:
  void Clear(bool caching);

  const Loader loader_;
  const size_t max_tenants_;
  mutable absl::Mutex mutex_;
  bool caching_ ABSL_GUARDED_BY(mutex_) = false;
  // Bumped by every invalidation: a read that saw an older value may be
  // stale and is not kept.
  uint64_t epoch_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::flat_hash_map<std::string, CachedProducts> entries_
      ABSL_GUARDED_BY(mutex_);
  std::atomic<uint64_t> database_reads_{0};
  PgListener listener_;
};

}  // namespace adcp::media_buy
