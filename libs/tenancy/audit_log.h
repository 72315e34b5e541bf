// Writes audit_log rows off the request path: Record() queues, a background
// thread inserts in batches, one tenant transaction per tenant. Used for
// events that are not part of a data change (failed authentication); a data
// change writes its audit row in its own transaction instead.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/db/pg_pool.h"

namespace adcp {

struct AuditEvent {
  // Must name an existing tenant; empty for a platform event (system admin
  // accounts, failed system admin authentications), written to
  // system_admin_events by a writer whose pool has PlatformStatements().
  std::string tenant_id;
  std::string operation;
  std::string principal_id;  // the actor; "anonymous" when unknown
  bool success = false;
  nlohmann::json details = nlohmann::json::object();  // never secrets
};

class AuditLog {
 public:
  // The statement this writer needs on its pool's connections.
  static PgPool::Statements Statements();
  // The statement platform events need (auth's pool only: its role alone
  // may insert them).
  static PgPool::Statements PlatformStatements();

  // `window`: how long Count() gathers identical events into one row.
  explicit AuditLog(PgPool& pool, size_t max_queued = 10000,
                    absl::Duration window = absl::Seconds(10));
  ~AuditLog();  // writes what is queued, then stops

  // Never blocks on the database. Beyond `max_queued` events are dropped
  // (and counted) rather than slowing requests down.
  void Record(AuditEvent event);
  // Aggregated: identical events (tenant, operation, actor, outcome,
  // details) within the window become one row whose details carry "count",
  // "first_at" and "last_at". For events an attacker can repeat at will
  // (failed authentications). At most `max_queued` distinct events wait;
  // beyond, they are dropped (and counted).
  void Count(AuditEvent event);
  // Blocks until everything recorded before the call is written (tests).
  void Flush();
  uint64_t dropped() const;

 private:
  void Run();
  // Moves the gathered counts to the queue (mutex_ held).
  void DrainCountsLocked();

  struct Counted {
    AuditEvent event;
    int64_t count = 0;
    absl::Time first, last;
  };

  PgPool& pool_;
  const size_t max_queued_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<AuditEvent> queue_;
  const absl::Duration window_;
  std::map<std::string, Counted> counts_;
  absl::Time window_end_ = absl::InfiniteFuture();
  uint64_t recorded_ = 0, written_ = 0, dropped_ = 0;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace adcp
