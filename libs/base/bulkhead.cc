#include "libs/base/bulkhead.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace adcp {

TenantBulkhead::TenantBulkhead(int per_tenant, absl::Duration wait)
    : per_tenant_(std::max(1, per_tenant)),
      wait_(std::max(wait, absl::ZeroDuration())) {}

TenantBulkhead::Slot& TenantBulkhead::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    if (owner_ != nullptr) owner_->Release(tenant_id_);
    owner_ = other.owner_;
    tenant_id_ = std::move(other.tenant_id_);
    other.owner_ = nullptr;
  }
  return *this;
}

TenantBulkhead::Slot::~Slot() {
  if (owner_ != nullptr) owner_->Release(tenant_id_);
}

absl::StatusOr<TenantBulkhead::Slot> TenantBulkhead::Acquire(
    const std::string& tenant_id) {
  mu_.Lock();
  auto free = [this, &tenant_id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = in_use_.find(tenant_id);
    return it == in_use_.end() || it->second < per_tenant_;
  };
  const bool got = mu_.AwaitWithTimeout(absl::Condition(&free), wait_);
  if (got) ++in_use_[tenant_id];
  mu_.Unlock();
  if (!got)
    return absl::UnavailableError(
        absl::StrCat("this publisher has ", per_tenant_,
                     " requests in progress; retry shortly"));
  return Slot(this, tenant_id);
}

void TenantBulkhead::Release(const std::string& tenant_id) {
  absl::MutexLock lock(&mu_);
  auto it = in_use_.find(tenant_id);
  if (it == in_use_.end()) return;
  if (--it->second <= 0) in_use_.erase(it);
}

int TenantBulkhead::InUse(const std::string& tenant_id) const {
  absl::MutexLock lock(&mu_);
  auto it = in_use_.find(tenant_id);
  return it == in_use_.end() ? 0 : it->second;
}

absl::StatusOr<TenantBulkhead::Slot> Bulkhead::Acquire() {
  absl::StatusOr<TenantBulkhead::Slot> slot = slots_.Acquire("");
  if (!slot.ok()) return absl::UnavailableError(busy_message_);
  return slot;
}

}  // namespace adcp
