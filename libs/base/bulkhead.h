// Per-tenant counting semaphores: at most `per_tenant` of one tenant's
// requests hold a slot at once, so a tenant whose calls are slow (a hanging
// ad server, a flood) holds at most that many threads while every other
// tenant is served. A request that finds every slot of its tenant taken
// waits at most `wait`, then is refused UNAVAILABLE (transient).
#pragma once

#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace adcp {

class TenantBulkhead {
 public:
  TenantBulkhead(int per_tenant, absl::Duration wait);

  // A held slot; released when destroyed.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept { *this = std::move(other); }
    Slot& operator=(Slot&& other) noexcept;
    ~Slot();
    bool held() const { return owner_ != nullptr; }

   private:
    friend class TenantBulkhead;
    Slot(TenantBulkhead* owner, std::string tenant_id)
        : owner_(owner), tenant_id_(std::move(tenant_id)) {}
    TenantBulkhead* owner_ = nullptr;
    std::string tenant_id_;
  };

  // One of the tenant's slots, waiting at most the bulkhead's wait;
  // UNAVAILABLE when none freed up.
  absl::StatusOr<Slot> Acquire(const std::string& tenant_id);
  // Slots of the tenant in use now.
  int InUse(const std::string& tenant_id) const;
  int per_tenant() const { return per_tenant_; }

 private:
  void Release(const std::string& tenant_id);

  const int per_tenant_;
  const absl::Duration wait_;
  mutable absl::Mutex mu_;
  // Only tenants with a slot in use (the map stays as small as the traffic).
  std::map<std::string, int> in_use_ ABSL_GUARDED_BY(mu_);
};

// One pool of `slots` for a whole process (CPU-bound work such as password
// hashing, which would otherwise take every core under a flood): a caller
// that finds every slot taken waits at most `wait`, then is refused
// UNAVAILABLE with `busy_message`.
class Bulkhead {
 public:
  Bulkhead(int slots, absl::Duration wait, std::string busy_message)
      : slots_(slots, wait), busy_message_(std::move(busy_message)) {}

  absl::StatusOr<TenantBulkhead::Slot> Acquire();
  int InUse() const { return slots_.InUse(""); }
  int slots() const { return slots_.per_tenant(); }

 private:
  TenantBulkhead slots_;  // one key, ""
  const std::string busy_message_;
};

}  // namespace adcp
