// Token resolution for services other than auth: answers from memory when it
// can, asks auth's ResolvePrincipal when it cannot, and drops cached answers
// as auth's WatchPrincipalChanges stream reports changes (rotation,
// revocation) — so a revoked token stops working here within the stream's
// latency, not after a TTL. While the stream is down nothing is cached.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "adcp/auth/v1/auth.grpc.pb.h"
#include "libs/grpc/stream_watch.h"
#include "libs/tenancy/guard.h"

namespace adcp {

class RemotePrincipalResolver : public PrincipalResolver {
 public:
  // `auth` must carry the internal service token (MakeServiceChannel).
  explicit RemotePrincipalResolver(
      std::shared_ptr<grpc::Channel> auth,
      absl::Duration call_timeout = absl::Seconds(2));
  ~RemotePrincipalResolver() override;

  void Start();
  void Stop();
  // True once the change stream is up (answers are being cached).
  bool WaitUntilWatching(absl::Duration timeout);

  absl::StatusOr<ResolvedPrincipal> Resolve(
      const std::string& tenant_id, const std::string& token) const override;
  std::optional<absl::StatusOr<ResolvedPrincipal>> ResolveFromMemory(
      const std::string& tenant_id, const std::string& token) const override;

  // ResolvePrincipal calls made so far (tests, metrics).
  uint64_t remote_calls() const { return remote_calls_.load(); }

 private:
  struct Entry {
    ResolvedPrincipal principal;
    std::string tenant_id;
  };
  void Apply(const auth::v1::PrincipalChange& change);
  void Forget(const std::string& tenant_id, const std::string& principal_id);
  void Clear(bool caching);

  const std::unique_ptr<auth::v1::Auth::Stub> stub_;
  const absl::Duration call_timeout_;
  mutable std::mutex mutex_;
  std::condition_variable watching_changed_;
  // tenant_id + '/' + SHA-256(token) -> principal
  mutable absl::flat_hash_map<std::string, Entry> entries_;
  mutable uint64_t epoch_ = 0;
  bool caching_ = false;
  mutable std::atomic<uint64_t> remote_calls_{0};
  StreamWatch<auth::v1::PrincipalChange> watch_;
};

}  // namespace adcp
