// A value per tenant in memory (a tenant's products, its accounts), read
// once from the database and kept until a trigger announces a change of that
// tenant on a NOTIFY channel, in every replica. While the listener is not
// connected nothing is cached: every call reads the database, as without the
// cache. A read that an invalidation overtook is answered but not kept.
// The listener's callbacks use this class's members only: a derived class
// adds no state of its own (the base's destructor stops the listener).
#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/db/pg_listener.h"

namespace adcp::media_buy {

template <typename T>
class PerTenantCache {
 public:
  using Value = std::shared_ptr<const T>;
  using Loader = std::function<absl::StatusOr<Value>(const std::string&)>;

  // `conninfo`: where to LISTEN for `channel`, whose payload is a tenant id
  // ("*": every tenant); `max_tenants`: entries kept (one is dropped to make
  // room for another).
  PerTenantCache(std::string conninfo, std::string channel, Loader loader,
                 size_t max_tenants)
      : loader_(std::move(loader)),
        max_tenants_(std::max<size_t>(1, max_tenants)),
        listener_(
            std::move(conninfo), std::move(channel),
            [this](const std::string& tenant_id) { Invalidate(tenant_id); },
            // Changes made while not listening are unknown: start empty.
            [this] { Clear(/*caching=*/true); },
            // Until listening again, nothing cached can be trusted.
            [this] { Clear(/*caching=*/false); }) {}
  ~PerTenantCache() { Stop(); }

  // A Loader from one of the tenant's rows and what to make of them.
  template <typename Rows, typename Make>
  static Loader Making(
      std::function<absl::StatusOr<Rows>(const std::string&)> read, Make make) {
    return [read = std::move(read), make = std::move(make)](
               const std::string& tenant_id) -> absl::StatusOr<Value> {
      absl::StatusOr<Rows> rows = read(tenant_id);
      if (!rows.ok()) return rows.status();
      return make(std::move(*rows));
    };
  }

  void Start() { listener_.Start(); }
  void Stop() { listener_.Stop(); }
  bool WaitUntilListening(absl::Duration timeout) {
    return listener_.WaitUntilListening(timeout);
  }

  // The tenant's value, from memory or read by the loader.
  absl::StatusOr<Value> Get(const std::string& tenant_id) {
    uint64_t epoch = 0;
    {
      absl::MutexLock lock(&mutex_);
      if (auto it = entries_.find(tenant_id); it != entries_.end())
        return it->second;
      epoch = epoch_;
    }
    ++database_reads_;
    absl::StatusOr<Value> value = loader_(tenant_id);
    if (!value.ok()) return value.status();
    absl::MutexLock lock(&mutex_);
    if (caching_ && epoch == epoch_) {
      if (entries_.size() >= max_tenants_ && !entries_.contains(tenant_id))
        entries_.erase(entries_.begin());
      entries_[tenant_id] = *value;
    }
    return value;
  }

  // "*": every tenant (the notification of a TRUNCATE).
  void Invalidate(const std::string& tenant_id) {
    absl::MutexLock lock(&mutex_);
    if (tenant_id == "*") {
      entries_.clear();
    } else {
      entries_.erase(tenant_id);
    }
    ++epoch_;
  }

  // Whether entries are kept (the listener is connected): a caller with a
  // database fallback of its own may skip Get otherwise.
  bool caching() const {
    absl::MutexLock lock(&mutex_);
    return caching_;
  }
  uint64_t database_reads() const { return database_reads_; }
  size_t size() const {
    absl::MutexLock lock(&mutex_);
    return entries_.size();
  }

 private:
  void Clear(bool caching) {
    absl::MutexLock lock(&mutex_);
    entries_.clear();
    ++epoch_;
    caching_ = caching;
  }

  const Loader loader_;
  const size_t max_tenants_;
  mutable absl::Mutex mutex_;
  bool caching_ ABSL_GUARDED_BY(mutex_) = false;
  // Bumped by every invalidation: a read that saw an older value may be
  // stale and is not kept.
  uint64_t epoch_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::flat_hash_map<std::string, Value> entries_ ABSL_GUARDED_BY(mutex_);
  std::atomic<uint64_t> database_reads_{0};
  PgListener listener_;
};

}  // namespace adcp::media_buy
