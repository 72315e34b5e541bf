#include "libs/tenancy/tenant_cache.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "libs/base/log.h"
#include "libs/tenancy/tenant_route.h"

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
    : stub_(pb::TenantRegistry::NewStub(std::move(registry))),
      watch_(
          "WatchTenants",
          [this](grpc::ClientContext* context) {
            return stub_->WatchTenants(context, pb::WatchTenantsRequest());
          },
          [this](const pb::TenantEvent& event) { Apply(event); },
          // A snapshot cut short is dropped; the next stream starts another.
          [this] { pending_.reset(); }) {}

TenantCache::~TenantCache() { Stop(); }

void TenantCache::AddListener(Listener listener) {
  listeners_.push_back(std::move(listener));
}

void TenantCache::Start() { watch_.Start(); }

void TenantCache::Stop() { watch_.Stop(); }

bool TenantCache::WaitUntilSynced(absl::Duration timeout) {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return synced_changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                                  [&] { return synced_; });
}

TenantCache::Entry TenantCache::MakeEntry(Tenant tenant) {
  Entry entry;
  entry.state.active = tenant.is_active();
  entry.state.anonymous_discovery =
      tenant.config().features().anonymous_discovery();
  const auto& limits = tenant.config().rate_limits();
  entry.state.tenant_limit =
      Limit(limits.has_tenant_requests_per_second(),
            limits.tenant_requests_per_second(), limits.has_tenant_burst(),
            limits.tenant_burst());
  entry.state.principal_limit =
      Limit(limits.has_principal_requests_per_second(),
            limits.principal_requests_per_second(),
            limits.has_principal_burst(), limits.principal_burst());
  entry.state.anonymous_limit =
      Limit(limits.has_anonymous_requests_per_second(),
            limits.anonymous_requests_per_second(),
            limits.has_anonymous_burst(), limits.anonymous_burst());
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

std::vector<std::string> TenantCache::HostKeys(const Tenant& tenant) {
  std::vector<std::string> keys = {"s:" + tenant.subdomain()};
  if (!tenant.virtual_host().empty())
    keys.push_back("v:" + tenant.virtual_host());
  return keys;
}

void TenantCache::IndexHosts() {
  hosts_.clear();
  for (const auto& [id, entry] : entries_)
    for (std::string& key : HostKeys(*entry.tenant)) hosts_[key] = id;
}

std::shared_ptr<const TenantCache::Tenant> TenantCache::FindBySubdomain(
    const std::string& subdomain) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto host = hosts_.find("s:" + subdomain);
  if (host == hosts_.end()) return nullptr;
  auto it = entries_.find(host->second);
  return it == entries_.end() ? nullptr : it->second.tenant;
}

std::shared_ptr<const TenantCache::Tenant> TenantCache::FindByVirtualHost(
    const std::string& virtual_host) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto host = hosts_.find("v:" + virtual_host);
  if (host == hosts_.end()) return nullptr;
  auto it = entries_.find(host->second);
  return it == entries_.end() ? nullptr : it->second.tenant;
}

std::shared_ptr<const TenantCache::Tenant> TenantCache::FindByHost(
    std::string_view raw_host,
    const std::vector<std::string>& base_domains) const {
  const HostTenant named = TenantOfHost(raw_host, base_domains);
  switch (named.kind) {
    case HostTenant::Kind::kSubdomain:
      return FindBySubdomain(named.name);
    case HostTenant::Kind::kVirtualHost:
      return FindByVirtualHost(named.name);
    case HostTenant::Kind::kNone:
      break;
  }
  return nullptr;
}

std::string TenantCache::TenantIdByHost(
    std::string_view host, const std::vector<std::string>& base_domains) const {
  // An inactive tenant is "not found" by host, as at the agent edge.
  auto tenant = FindByHost(host, base_domains);
  return tenant && tenant->is_active() ? tenant->tenant_id() : std::string();
}

std::shared_ptr<const TenantCache::Tenant> TenantCache::Get(
    const std::string& tenant_id) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = entries_.find(tenant_id);
  return it == entries_.end() ? nullptr : it->second.tenant;
}

std::vector<std::shared_ptr<const TenantCache::Tenant>> TenantCache::All()
    const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::vector<std::shared_ptr<const Tenant>> all;
  all.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) all.push_back(entry.tenant);
  return all;
}

void TenantCache::Notify(const Tenant& tenant) {
  for (const Listener& listener : listeners_) listener(tenant);
}

void TenantCache::Apply(const pb::TenantEvent& event) {
  switch (event.kind()) {
    case pb::TenantEvent::SNAPSHOT_BEGIN:
      pending_.emplace();
      break;
    case pb::TenantEvent::SNAPSHOT_END:
      if (pending_) {
        {
          std::unique_lock<std::shared_mutex> lock(mutex_);
          entries_.swap(*pending_);
          IndexHosts();
          synced_ = true;
        }
        synced_changed_.notify_all();
        pending_.reset();
        std::shared_lock<std::shared_mutex> lock(mutex_);
        for (const auto& [id, entry] : entries_) Notify(*entry.tenant);
      }
      break;
    case pb::TenantEvent::UPSERT: {
      Entry entry = MakeEntry(event.tenant());
      const std::string id = event.tenant().tenant_id();
      if (pending_) {
        (*pending_)[id] = std::move(entry);
      } else {
        {
          std::unique_lock<std::shared_mutex> lock(mutex_);
          if (auto old = entries_.find(id); old != entries_.end()) {
            for (const std::string& key : HostKeys(*old->second.tenant))
              hosts_.erase(key);
          }
          entries_[id] = entry;
          for (std::string& key : HostKeys(*entry.tenant)) hosts_[key] = id;
        }
        Notify(*entry.tenant);
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace adcp
