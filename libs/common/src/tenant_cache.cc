#include "adcp/common/tenant_cache.h"

#include "adcp/common/log.h"

namespace adcp {
namespace {

namespace pb = ::adcp::tenant::v1;

std::optional<RateLimit> Limit(bool has_rate, double rate, bool has_burst,
                               double burst) {
  if (!has_rate && !has_burst) return std::nullopt;
  // One half given: a rate without a burst allows two seconds' worth at once;
  // a burst without a rate refills in two seconds.
  RateLimit limit;
  limit.per_second = has_rate ? rate : burst / 2;
  limit.burst = has_burst ? burst : std::max(1.0, 2 * rate);
  return limit;
}

}  // namespace

TenantCache::TenantCache(std::shared_ptr<grpc::Channel> registry)
    : stub_(pb::TenantRegistry::NewStub(std::move(registry))) {}

TenantCache::~TenantCache() { Stop(); }

void TenantCache::AddListener(Listener listener) {
  listeners_.push_back(std::move(listener));
}

void TenantCache::Start() {
  thread_ = std::thread([this] { Run(); });
}

void TenantCache::Stop() {
  if (stopping_.exchange(true)) return;
  { std::lock_guard<std::mutex> lock(stop_mutex_); }
  stop_changed_.notify_all();
  {
    std::lock_guard<std::mutex> lock(context_mutex_);
    if (context_ != nullptr) context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

bool TenantCache::WaitUntilSynced(absl::Duration timeout) {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return synced_changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                                  [&] { return synced_; });
}

TenantCache::Entry TenantCache::MakeEntry(Tenant tenant) {
  Entry entry;
  entry.state.active = tenant.is_active();
  const auto& limits = tenant.config().rate_limits();
  entry.state.tenant_limit =
      Limit(limits.has_tenant_requests_per_second(),
            limits.tenant_requests_per_second(), limits.has_tenant_burst(),
            limits.tenant_burst());
  entry.state.principal_limit =
      Limit(limits.has_principal_requests_per_second(),
            limits.principal_requests_per_second(),
            limits.has_principal_burst(), limits.principal_burst());
  entry.tenant = std::make_shared<const Tenant>(std::move(tenant));
  return entry;
}

absl::StatusOr<TenantState> TenantCache::Find(
    const std::string& tenant_id) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  if (!synced_)
    return absl::UnavailableError("tenant directory not loaded yet");
  auto it = entries_.find(tenant_id);
  if (it == entries_.end()) return absl::NotFoundError("tenant not found");
  return it->second.state;
}

std::shared_ptr<const TenantCache::Tenant> TenantCache::Get(
    const std::string& tenant_id) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = entries_.find(tenant_id);
  return it == entries_.end() ? nullptr : it->second.tenant;
}

void TenantCache::Notify(const Tenant& tenant) {
  for (const Listener& listener : listeners_) listener(tenant);
}

void TenantCache::Run() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stopping_) {
    grpc::ClientContext context;
    {
      std::lock_guard<std::mutex> lock(context_mutex_);
      if (stopping_) break;
      context_ = &context;
    }
    auto reader = stub_->WatchTenants(&context, pb::WatchTenantsRequest());
    // Entries of a snapshot in progress; swapped in whole at SNAPSHOT_END.
    std::optional<absl::flat_hash_map<std::string, Entry>> pending;
    pb::TenantEvent event;
    while (reader->Read(&event)) {
      switch (event.kind()) {
        case pb::TenantEvent::SNAPSHOT_BEGIN:
          pending.emplace();
          break;
        case pb::TenantEvent::SNAPSHOT_END:
          if (pending) {
            {
              std::unique_lock<std::shared_mutex> lock(mutex_);
              entries_.swap(*pending);
              synced_ = true;
            }
            synced_changed_.notify_all();
            pending.reset();
            backoff = absl::Milliseconds(100);
            std::shared_lock<std::shared_mutex> lock(mutex_);
            for (const auto& [id, entry] : entries_) Notify(*entry.tenant);
          }
          break;
        case pb::TenantEvent::UPSERT: {
          Entry entry = MakeEntry(event.tenant());
          const std::string id = event.tenant().tenant_id();
          if (pending) {
            (*pending)[id] = std::move(entry);
          } else {
            {
              std::unique_lock<std::shared_mutex> lock(mutex_);
              entries_[id] = entry;
            }
            Notify(*entry.tenant);
          }
          break;
        }
        default:
          break;
      }
    }
    const grpc::Status status = reader->Finish();
    {
      std::lock_guard<std::mutex> lock(context_mutex_);
      context_ = nullptr;
    }
    if (stopping_) break;
    log::Warn("tenant watch stream ended; reconnecting",
              {{"code", static_cast<int>(status.error_code())},
               {"error", status.error_message()}});
    {
      std::unique_lock<std::mutex> lock(stop_mutex_);
      stop_changed_.wait_for(lock, absl::ToChronoMilliseconds(backoff),
                             [&] { return stopping_.load(); });
    }
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

}  // namespace adcp
