// Every service's in-memory view of the tenants, kept current by the
// registry's WatchTenants stream (a snapshot, then each change as it
// commits). Answers the guard's tenant lookups with no remote call.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "adcp/tenant/v1/tenant_registry.grpc.pb.h"
#include "libs/grpc/stream_watch.h"
#include "libs/tenancy/guard.h"

namespace adcp {

class TenantCache : public TenantDirectory {
 public:
  using Tenant = ::adcp::tenant::v1::Tenant;
  // Called after a tenant's entry changed (from the watch thread).
  using Listener = std::function<void(const Tenant&)>;

  // `registry` must carry the internal service token (MakeServiceChannel).
  explicit TenantCache(std::shared_ptr<grpc::Channel> registry);
  ~TenantCache() override;

  void AddListener(Listener listener);  // before Start()
  void Start();
  void Stop();
  // True once the first snapshot has been applied.
  bool WaitUntilSynced(absl::Duration timeout);

  // UNAVAILABLE until the first snapshot; then NOT_FOUND or the tenant's
  // state. After a lost stream the last known state keeps being served while
  // the cache reconnects (and resyncs from a fresh snapshot).
  absl::StatusOr<TenantState> Find(const std::string& tenant_id) const override;
  // The tenant with its config, or null.
  std::shared_ptr<const Tenant> Get(const std::string& tenant_id) const;
  // Every tenant known (active or not), for work that visits each tenant
  // in turn (media-buy's webhook dispatcher).
  std::vector<std::shared_ptr<const Tenant>> All() const;
  // The tenant of a subdomain or of a registered virtual host, or null.
  std::shared_ptr<const Tenant> FindBySubdomain(
      const std::string& subdomain) const;
  std::shared_ptr<const Tenant> FindByVirtualHost(
      const std::string& host) const;
  // The tenant of an HTTP Host ("nytimes.sales.example.com:443"): its first
  // label under one of `base_domains` (a bare base domain, or two labels
  // under it, is no tenant), else a registered virtual host; or null.
  std::shared_ptr<const Tenant> FindByHost(
      std::string_view host,
      const std::vector<std::string>& base_domains) const;
  std::string TenantIdByHost(
      std::string_view host,
      const std::vector<std::string>& base_domains) const override;

 private:
  struct Entry {
    std::shared_ptr<const Tenant> tenant;
    TenantState state;
  };
  static Entry MakeEntry(Tenant tenant);
  // Host index keys of a tenant ("s:<subdomain>", "v:<virtual host>").
  static std::vector<std::string> HostKeys(const Tenant& tenant);
  void IndexHosts();  // rebuilds hosts_ from entries_ (mutex_ held)
  void Apply(const tenant::v1::TenantEvent& event);
  void Notify(const Tenant& tenant);

  const std::unique_ptr<tenant::v1::TenantRegistry::Stub> stub_;
  std::vector<Listener> listeners_;
  mutable std::shared_mutex mutex_;
  absl::flat_hash_map<std::string, Entry> entries_;
  absl::flat_hash_map<std::string, std::string> hosts_;  // key -> tenant_id
  bool synced_ = false;
  std::condition_variable_any synced_changed_;
  // Entries of a snapshot in progress (watch thread only); swapped in whole
  // at SNAPSHOT_END.
  std::optional<absl::flat_hash_map<std::string, Entry>> pending_;
  StreamWatch<tenant::v1::TenantEvent> watch_;
};

}  // namespace adcp
