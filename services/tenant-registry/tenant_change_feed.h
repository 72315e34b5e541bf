// Turns PostgreSQL notifications on `adcp_tenant_changes` (sent by the
// tenants trigger at commit) into tenant events for WatchTenants streams.
// One listening connection per registry process, shared by every stream.
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "libs/db/pg_listener.h"
#include "libs/grpc/broadcast.h"
#include "services/tenant-registry/tenant_repository.h"

namespace adcp::tenant_registry {

class TenantChangeFeed {
 public:
  // What a subscriber receives: a changed tenant, or a request to resend
  // the whole snapshot because notifications may have been missed (the
  // listening connection was (re)opened, or the subscriber fell behind).
  struct Event {
    bool resync = false;
    Tenant tenant;
  };
  using Subscription = Broadcast<Event>::Subscription;

  TenantChangeFeed(std::string conninfo, TenantRepository& repository);
  ~TenantChangeFeed();

  void Start();
  // Closes every subscription and joins the listener. Idempotent.
  void Stop();
  // True once the listener is connected and LISTENing, false on timeout.
  bool WaitUntilListening(absl::Duration timeout);

  std::shared_ptr<Subscription> Subscribe() { return events_.Subscribe(); }

 private:
  void OnNotification(const std::string& tenant_id);

  TenantRepository& repository_;
  Broadcast<Event> events_{Event{.resync = true, .tenant = {}}};
  PgListener listener_;
};

}  // namespace adcp::tenant_registry
