#include "libs/db/replica_count.h"

#include <pqxx/pqxx>

#include "libs/base/log.h"
#include "libs/db/pg_pool.h"

namespace adcp {

ReplicaCount::ReplicaCount(std::string conninfo, std::string service,
                           absl::Duration refresh)
    : conninfo_(WithConnectionDefaults(conninfo)),
      application_name_("adcp-replica:" + service),
      refresh_(refresh) {}

ReplicaCount::~ReplicaCount() { Stop(); }

void ReplicaCount::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ReplicaCount::Stop() {
  if (stopping_.exchange(true)) return;
  { std::lock_guard<std::mutex> lock(mutex_); }  // the waiter sees stopping_
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ReplicaCount::WaitUntilCounted(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                           [&] { return counted_; });
}

bool ReplicaCount::Sleep(absl::Duration duration) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, absl::ToChronoMilliseconds(duration),
                    [&] { return stopping_.load(); });
  return !stopping_;
}

void ReplicaCount::Run() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stopping_) {
    try {
      pqxx::connection connection(conninfo_);
      {
        pqxx::nontransaction name(connection);
        name.exec_params("SELECT set_config('application_name', $1, false)",
                         application_name_);
      }
      backoff = absl::Milliseconds(100);
      do {
        pqxx::nontransaction read(connection);
        const pqxx::row row = read.exec_params1(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = "
            "current_database() AND application_name = $1 "
            "AND usename = current_user",
            application_name_);
        count_.store(std::max(1, row[0].as<int>()), std::memory_order_relaxed);
        {
          std::lock_guard<std::mutex> lock(mutex_);
          counted_ = true;
        }
        changed_.notify_all();
      } while (Sleep(refresh_));
    } catch (const std::exception& e) {
      log::Warn("replica count: database unreachable; keeping the last count",
                {{"replicas", std::to_string(count())}, {"error", e.what()}});
    }
    if (!Sleep(backoff)) break;
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

}  // namespace adcp
