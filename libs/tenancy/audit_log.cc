#include "libs/tenancy/audit_log.h"

#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/base/log.h"

namespace adcp {
namespace {
constexpr char kInsert[] = "audit_log_insert";
constexpr char kPlatformInsert[] = "audit_platform_insert";
constexpr size_t kBatch = 256;
}  // namespace

PgPool::Statements AuditLog::Statements() {
  return {{kInsert,
           "INSERT INTO audit_log (tenant_id, operation, principal_id, "
           "success, details) "
           "VALUES ($1, $2, $3, $4, $5::jsonb)"}};
}

PgPool::Statements AuditLog::PlatformStatements() {
  return {{kPlatformInsert,
           "INSERT INTO system_admin_events (operation, actor, success, "
           "details) VALUES ($1, $2, $3, $4::jsonb)"}};
}

AuditLog::AuditLog(PgPool& pool, size_t max_queued, absl::Duration window)
    : pool_(pool),
      max_queued_(max_queued),
      window_(window),
      writer_([this] { Run(); }) {}

AuditLog::~AuditLog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  writer_.join();
}

void AuditLog::Record(AuditEvent event) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= max_queued_) {
      ++dropped_;
      return;
    }
    queue_.push_back(std::move(event));
    ++recorded_;
  }
  changed_.notify_all();
}

void AuditLog::Count(AuditEvent event) {
  const absl::Time now = absl::Now();
  std::string key = absl::StrCat(event.tenant_id, "\n", event.operation, "\n",
                                 event.principal_id, "\n", event.success, "\n",
                                 event.details.dump());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = counts_.find(key);
    if (it == counts_.end()) {
      if (counts_.size() >= max_queued_) {
        ++dropped_;
        return;
      }
      it = counts_
               .emplace(std::move(key), Counted{std::move(event), 0, now, now})
               .first;
      if (window_end_ == absl::InfiniteFuture()) window_end_ = now + window_;
    }
    ++it->second.count;
    it->second.last = now;
  }
  changed_.notify_all();
}

void AuditLog::DrainCountsLocked() {
  for (auto& [key, counted] : counts_) {
    AuditEvent event = std::move(counted.event);
    event.details["count"] = counted.count;
    event.details["first_at"] = absl::FormatTime(counted.first);
    event.details["last_at"] = absl::FormatTime(counted.last);
    queue_.push_back(std::move(event));
    ++recorded_;
  }
  counts_.clear();
  window_end_ = absl::InfiniteFuture();
}

void AuditLog::Flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  DrainCountsLocked();
  changed_.notify_all();
  const uint64_t target = recorded_;
  changed_.wait(lock, [&] { return written_ >= target; });
}

uint64_t AuditLog::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

void AuditLog::Run() {
  while (true) {
    std::vector<AuditEvent> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      while (!stopping_ && queue_.empty()) {
        if (window_end_ == absl::InfiniteFuture()) {
          changed_.wait(lock);
        } else if (absl::Now() >= window_end_) {
          DrainCountsLocked();
        } else {
          changed_.wait_for(
              lock, absl::ToChronoMilliseconds(window_end_ - absl::Now()));
        }
      }
      if (stopping_) DrainCountsLocked();
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && batch.size() < kBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::map<std::string, std::vector<const AuditEvent*>> by_tenant;
    for (const AuditEvent& event : batch)
      by_tenant[event.tenant_id].push_back(&event);
    for (const auto& [tenant_id, events] : by_tenant) {
      const PgPool::TransactionFn write = [&](PgTxn& txn) {
        for (const AuditEvent* event : events) {
          if (tenant_id.empty()) {
            txn.Exec0(kPlatformInsert, event->operation, event->principal_id,
                      event->success, event->details.dump());
          } else {
            txn.Exec0(kInsert, event->tenant_id, event->operation,
                      event->principal_id, event->success,
                      event->details.dump());
          }
        }
        return absl::OkStatus();
      };
      const absl::Status status =
          tenant_id.empty() ? pool_.WithTransaction(write)
                            : pool_.WithTenantTransaction(tenant_id, write);
      if (!status.ok()) {
        log::Error("audit rows lost", {{"tenant_id", tenant_id},
                                       {"rows", events.size()},
                                       {"error", status.ToString()}});
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      written_ += batch.size();
    }
    changed_.notify_all();
  }
}

}  // namespace adcp
