// System admin token resolution for services other than auth: answers from
// memory when it can, asks auth's ResolveSystemToken when it cannot, and
// drops cached answers as auth's WatchSystemAdminChanges stream reports
// changes (a revoked token, a disabled admin), so a revocation holds here
// within the stream's latency. While the stream is down nothing is cached;
// a session token is never answered from memory past its expiry. Tokens
// are kept by their SHA-256 only.
#pragma once

#include <grpcpp/channel.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "adcp/auth/v1/auth.grpc.pb.h"
#include "libs/grpc/stream_watch.h"
#include "libs/tenancy/guard.h"

namespace adcp {

class RemoteSystemAdminResolver : public SystemAdminResolver {
 public:
  // `auth` must carry the internal service token (MakeServiceChannel). The
  // first call connects: a service may start before auth does.
  explicit RemoteSystemAdminResolver(
      std::shared_ptr<grpc::Channel> auth,
      absl::Duration call_timeout = absl::Seconds(2));
  ~RemoteSystemAdminResolver() override;

  void Start();
  void Stop();
  // True once the change stream is up (answers are being cached).
  bool WaitUntilWatching(absl::Duration timeout);

  absl::StatusOr<SystemAdminIdentity> Resolve(
      const std::string& token, const std::string& client) const override;

  // Drops `token` from memory at once (this process signed it out; others
  // learn through the stream).
  void Forget(const std::string& token);
  // Drops every cached token of `admin_id` at once (this process revoked
  // one of its tokens or disabled it; others learn through the stream).
  void ForgetAdmin(const std::string& admin_id);

  // ResolveSystemToken calls made so far (tests).
  uint64_t remote_calls() const { return remote_calls_.load(); }

 private:
  struct Entry {
    SystemAdminIdentity admin;
    absl::Time expires_at;  // InfiniteFuture for API tokens
  };
  void Apply(const auth::v1::SystemAdminChange& change);
  void Clear(bool caching);

  const std::unique_ptr<auth::v1::SystemAdmins::Stub> stub_;
  const absl::Duration call_timeout_;
  mutable std::mutex mutex_;
  std::condition_variable watching_changed_;
  // SHA-256(token) -> admin
  mutable absl::flat_hash_map<std::string, Entry> entries_;
  mutable uint64_t epoch_ = 0;
  bool caching_ = false;
  mutable std::atomic<uint64_t> remote_calls_{0};
  StreamWatch<auth::v1::SystemAdminChange> watch_;
};

}  // namespace adcp
