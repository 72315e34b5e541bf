#include "libs/db/pg_listener.h"

#include <pqxx/pqxx>

#include "libs/base/log.h"
#include "libs/db/pg_pool.h"

namespace adcp {
namespace {

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& connection, const std::string& channel,
           const PgListener::OnNotification& callback)
      : pqxx::notification_receiver(connection, channel), callback_(callback) {}
  void operator()(const std::string& payload, int) override {
    callback_(payload);
  }

 private:
  const PgListener::OnNotification& callback_;
};

}  // namespace

PgListener::PgListener(std::string conninfo, std::string channel,
                       OnNotification on_notification, OnConnect on_connect,
                       OnDisconnect on_disconnect, absl::Duration ping_interval)
    : conninfo_(WithConnectionDefaults(conninfo)),
      channel_(std::move(channel)),
      on_notification_(std::move(on_notification)),
      on_connect_(std::move(on_connect)),
      on_disconnect_(std::move(on_disconnect)),
      ping_interval_(ping_interval) {}

PgListener::~PgListener() { Stop(); }

void PgListener::Start() {
  thread_ = std::thread([this] { Run(); });
}

void PgListener::Stop() {
  if (stopping_.exchange(true)) return;
  { std::lock_guard<std::mutex> lock(mutex_); }  // the waiter sees stopping_
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PgListener::WaitUntilListening(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                           [&] { return listening_; });
}

bool PgListener::listening() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return listening_;
}

void PgListener::Run() {
  absl::Duration backoff = absl::Milliseconds(100);
  constexpr long kWaitMicros = 200000;  // how often stopping_ is checked
  while (!stopping_) {
    bool connected = false;
    try {
      pqxx::connection connection(conninfo_);
      Receiver receiver(connection, channel_, on_notification_);
      connection.get_notifs();  // makes sure LISTEN has been issued
      connected = true;
      // Anything committed before this point and not yet seen is unknown.
      if (on_connect_) on_connect_();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        listening_ = true;
      }
      changed_.notify_all();
      log::Info("listening", {{"channel", channel_}});
      backoff = absl::Milliseconds(100);
      absl::Time next_ping = absl::Now() + ping_interval_;
      while (!stopping_) {
        connection.await_notification(0, kWaitMicros);
        if (absl::Now() >= next_ping) {
          // A connection that died silently (a dropped NAT entry, a failover)
          // would otherwise look idle forever.
          pqxx::nontransaction ping(connection);
          ping.exec("SELECT 1");
          next_ping = absl::Now() + ping_interval_;
        }
      }
    } catch (const std::exception& e) {
      log::Warn("listener lost its connection",
                {{"channel", channel_}, {"error", e.what()}});
    }
    if (connected && on_disconnect_) on_disconnect_();
    std::unique_lock<std::mutex> lock(mutex_);
    listening_ = false;
    changed_.wait_for(lock, absl::ToChronoMilliseconds(backoff),
                      [&] { return stopping_.load(); });
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

}  // namespace adcp
