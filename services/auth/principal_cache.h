// Token -> principal answers of one auth process, kept in memory. A miss
// reads the database once; the changes that matter (rotation, revocation,
// renames) arrive by LISTEN/NOTIFY and drop the affected entries at once, so
// every auth process stops honouring an old token within the notification
// latency rather than after a TTL. Until the listener is connected nothing is
// cached. Last-use times are collected here and written in batches.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "adcp/auth/v1/auth.pb.h"
#include "libs/db/pg_listener.h"
#include "libs/grpc/broadcast.h"
#include "libs/tenancy/guard.h"
#include "services/auth/principal_repository.h"

namespace adcp::auth {

class PrincipalCache : public PrincipalResolver {
 public:
  PrincipalCache(std::string conninfo, PrincipalRepository& repository,
                 absl::Duration use_flush_interval = absl::Seconds(10));
  ~PrincipalCache() override;

  void Start();
  void Stop();
  bool WaitUntilListening(absl::Duration timeout);

  // Where Lookup may take a live principal from.
  enum class Source {
    kMemory,  // memory first: the guard's steady state
    // The database (a token it does not know is still refused from
    // memory): for answers another service caches. That service drops its
    // entry when one auth replica announces a change, and may ask another
    // replica at once, whose memory may not have heard of the change yet.
    kDatabase,
  };
  // The live principal of `tenant_id` holding `token`, or UNAUTHENTICATED.
  absl::StatusOr<std::shared_ptr<const Principal>> Lookup(
      const std::string& tenant_id, const std::string& token,
      Source source = Source::kMemory) const;
  absl::StatusOr<ResolvedPrincipal> Resolve(
      const std::string& tenant_id, const std::string& token) const override;
  std::optional<absl::StatusOr<ResolvedPrincipal>> ResolveFromMemory(
      const std::string& tenant_id, const std::string& token) const override;

  // How long a token hash the database does not know is answered
  // UNAUTHENTICATED from memory, and how many such hashes are kept.
  static constexpr absl::Duration kUnknownTtl = absl::Seconds(10);
  static constexpr size_t kMaxUnknown = 100000;
  // Drops the tenant's remembered unknown hashes (a token was created here).
  void ForgetUnknown(const std::string& tenant_id);

  // Database reads made by lookups so far (tests, metrics).
  uint64_t database_reads() const { return database_reads_.load(); }
  // Writes the collected last-use times now.
  void FlushUses();
  // Drops what is cached for one principal at once (after this process
  // changed it; other processes learn through the notification).
  void Forget(const std::string& tenant_id, const std::string& principal_id);

  // The changes this process learns of, for WatchPrincipalChanges streams.
  using ChangeSubscription = Broadcast<auth::v1::PrincipalChange>::Subscription;
  std::shared_ptr<ChangeSubscription> SubscribeToChanges() {
    return changes_.Subscribe();
  }
  // Whether changes are being seen (the listener is up), so answers may be
  // cached here and downstream.
  bool caching() const;
  // Ends every change stream (at shutdown, so they do not hold it up).
  void CloseChangeStreams() { changes_.Close(); }

 private:
  void Invalidate(const std::string& payload);
  // Whether `hash` is a remembered unknown of the tenant (mutex_ held).
  bool KnownUnknownLocked(const std::string& tenant_id,
                          const std::string& hash) const;
  void Clear(bool caching);
  void FlushLoop();

  PrincipalRepository& repository_;
  mutable std::mutex mutex_;
  // tenant_id + '/' + token hash -> principal.
  mutable absl::flat_hash_map<std::string, std::shared_ptr<const Principal>>
      by_token_;
  // tenant_id + ':' + principal_id -> keys of by_token_.
  mutable absl::flat_hash_map<std::string, std::vector<std::string>>
      keys_by_principal_;
  // tenant_id -> token hashes the database did not know -> when to forget.
  mutable absl::flat_hash_map<std::string,
                              absl::flat_hash_map<std::string, absl::Time>>
      unknown_;
  mutable size_t unknown_count_ = 0;
  // Bumped by every invalidation; a read that raced one is not cached.
  mutable uint64_t epoch_ = 0;
  mutable bool caching_ = false;
  mutable absl::flat_hash_map<std::string, PrincipalRepository::Use> uses_;
  mutable std::atomic<uint64_t> database_reads_{0};
  const absl::Duration use_flush_interval_;
  std::mutex flush_mutex_;
  std::condition_variable flush_wake_;
  bool stopping_ = false;
  std::thread flusher_;
  Broadcast<auth::v1::PrincipalChange> changes_;
  PgListener listener_;
};

}  // namespace adcp::auth
