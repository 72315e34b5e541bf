// How many replicas of a service are running, as PostgreSQL sees them. Each
// replica holds one session named "adcp-replica:<service>" and counts the
// sessions of that name, opened by its own database role (another login
// cannot shrink its budgets by opening sessions of that name), in its
// database every `refresh`. A replica that
// exits (or crashes: the kernel closes its socket) leaves the count at the
// next refresh; no table, heartbeat or clean-up is needed.
//
// The session must reach PostgreSQL directly (as LISTEN does): behind a
// transaction-pooling PgBouncer an idle client holds no server session.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"

namespace adcp {

class ReplicaCount {
 public:
  ReplicaCount(std::string conninfo, std::string service,
               absl::Duration refresh = absl::Seconds(1));
  ~ReplicaCount();

  void Start();
  void Stop();  // idempotent; joins the thread

  // The replicas seen at the last refresh, this one included: at least 1.
  // Before the first refresh, and while the database is unreachable, the
  // last count read (1 at start).
  int count() const { return count_.load(std::memory_order_relaxed); }

  // Waits until the count has been read at least once since Start.
  bool WaitUntilCounted(absl::Duration timeout);

 private:
  void Run();
  // Waits `duration` or until Stop; false when stopping.
  bool Sleep(absl::Duration duration);

  const std::string conninfo_;
  const std::string application_name_;
  const absl::Duration refresh_;
  std::atomic<int> count_{1};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  bool counted_ = false;
  std::thread thread_;
};

}  // namespace adcp
