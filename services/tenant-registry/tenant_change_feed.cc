#include "services/tenant-registry/tenant_change_feed.h"

#include "libs/base/log.h"

namespace adcp::tenant_registry {

TenantChangeFeed::TenantChangeFeed(std::string conninfo,
                                   TenantRepository& repository)
    : repository_(repository),
      listener_(
          std::move(conninfo), "adcp_tenant_changes",
          [this](const std::string& tenant_id) { OnNotification(tenant_id); },
          // Anything committed while we were not listening is unknown to us.
          [this] { events_.Publish(Event{.resync = true, .tenant = {}}); }) {}

TenantChangeFeed::~TenantChangeFeed() { Stop(); }

void TenantChangeFeed::Start() { listener_.Start(); }

void TenantChangeFeed::Stop() {
  listener_.Stop();
  events_.Close();
}

bool TenantChangeFeed::WaitUntilListening(absl::Duration timeout) {
  return listener_.WaitUntilListening(timeout);
}

void TenantChangeFeed::OnNotification(const std::string& tenant_id) {
  absl::StatusOr<Tenant> tenant = repository_.Get(tenant_id);
  if (!tenant.ok()) {
    // The change committed but cannot be read now; make every subscriber
    // reload rather than miss it.
    log::Warn(
        "cannot load changed tenant; asking watchers to resync",
        {{"tenant_id", tenant_id}, {"error", tenant.status().ToString()}});
    events_.Publish(Event{.resync = true, .tenant = {}});
    return;
  }
  events_.Publish(Event{.resync = false, .tenant = *std::move(tenant)});
}

}  // namespace adcp::tenant_registry
