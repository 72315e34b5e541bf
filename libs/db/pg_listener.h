// A dedicated PostgreSQL connection that LISTENs on one channel and hands
// every notification to a callback, reconnecting with backoff. on_connect
// runs on every (re)connection: notifications sent while not listening are
// lost, so it is where a user resynchronises; on_disconnect runs when the
// connection is found dead (a failed read, or a failed ping every few
// seconds), so users can stop trusting what they cached.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"

namespace adcp {

class PgListener {
 public:
  using OnNotification = std::function<void(const std::string& payload)>;
  using OnConnect = std::function<void()>;
  using OnDisconnect = std::function<void()>;

  PgListener(std::string conninfo, std::string channel,
             OnNotification on_notification, OnConnect on_connect,
             OnDisconnect on_disconnect = nullptr,
             absl::Duration ping_interval = absl::Seconds(5));
  ~PgListener();

  void Start();
  void Stop();  // idempotent; joins the thread
  bool WaitUntilListening(absl::Duration timeout);
  bool listening() const;

 private:
  void Run();

  const std::string conninfo_;
  const std::string channel_;
  const OnNotification on_notification_;
  const OnConnect on_connect_;
  const OnDisconnect on_disconnect_;
  const absl::Duration ping_interval_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool listening_ = false;
  std::thread thread_;
};

}  // namespace adcp
