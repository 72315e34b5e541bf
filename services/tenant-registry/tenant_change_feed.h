// Turns PostgreSQL notifications on `adcp_tenant_changes` (sent by the
// tenants trigger at commit) into tenant events for WatchTenants streams.
// One listening connection per registry process, shared by every stream.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "adcp/common/pg_listener.h"
#include "tenant_repository.h"

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

  class Subscription {
   public:
    // The next event, or nullopt after `timeout` or once the feed stops.
    std::optional<Event> Next(absl::Duration timeout);
    bool closed() const;

   private:
    friend class TenantChangeFeed;
    void Push(const Event& event);
    void Close();

    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Event> queue_;
    bool closed_ = false;
  };

  TenantChangeFeed(std::string conninfo, TenantRepository& repository);
  ~TenantChangeFeed();

  void Start();
  // Closes every subscription and joins the listener. Idempotent.
  void Stop();
  // True once the listener is connected and LISTENing, false on timeout.
  bool WaitUntilListening(absl::Duration timeout);

  std::shared_ptr<Subscription> Subscribe();

 private:
  void Publish(const Event& event);
  void OnNotification(const std::string& tenant_id);

  TenantRepository& repository_;
  std::mutex mutex_;
  bool stopping_ = false;
  std::vector<std::weak_ptr<Subscription>> subscriptions_;
  PgListener listener_;
};

}  // namespace adcp::tenant_registry
