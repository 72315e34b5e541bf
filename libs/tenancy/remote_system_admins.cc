#include "libs/tenancy/remote_system_admins.h"

#include <google/protobuf/util/time_util.h>

#include "libs/base/log.h"
#include "libs/base/secrets.h"
#include "libs/grpc/grpc_status.h"
#include "libs/tenancy/metadata.h"

namespace adcp {

namespace pb = ::adcp::auth::v1;

RemoteSystemAdminResolver::RemoteSystemAdminResolver(
    std::shared_ptr<grpc::Channel> auth, absl::Duration call_timeout)
    : stub_(pb::SystemAdmins::NewStub(std::move(auth))),
      call_timeout_(call_timeout),
      watch_(
          "WatchSystemAdminChanges",
          [this](grpc::ClientContext* context) {
            return stub_->WatchSystemAdminChanges(
                context, pb::WatchSystemAdminChangesRequest());
          },
          [this](const pb::SystemAdminChange& change) { Apply(change); },
          // Without the stream, revocations would go unseen: cache nothing.
          [this] { Clear(/*caching=*/false); }) {}

RemoteSystemAdminResolver::~RemoteSystemAdminResolver() { Stop(); }

void RemoteSystemAdminResolver::Start() { watch_.Start(); }

void RemoteSystemAdminResolver::Stop() { watch_.Stop(); }

bool RemoteSystemAdminResolver::WaitUntilWatching(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return watching_changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                                    [&] { return caching_; });
}

void RemoteSystemAdminResolver::Clear(bool caching) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.clear();
    ++epoch_;
    caching_ = caching;
  }
  watching_changed_.notify_all();
}

absl::StatusOr<SystemAdminIdentity> RemoteSystemAdminResolver::Resolve(
    const std::string& token, const std::string& client) const {
  if (!IsBearerToken(token))
    return absl::UnauthenticatedError("invalid or revoked system token");
  const std::string key = Sha256(token);
  uint64_t epoch = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      if (absl::Now() < it->second.expires_at) return it->second.admin;
      entries_.erase(it);
    }
    epoch = epoch_;
  }
  ++remote_calls_;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(call_timeout_));
  // Within the deadline, wait for a connection rather than fail fast: this
  // service may have started (and met a refused connection) before auth.
  context.set_wait_for_ready(true);
  // The client is audited by auth when the token resolves to nobody.
  (void)ForwardTenant(&context, ForwardedCall{.client_address = client});
  pb::ResolveSystemTokenRequest request;
  request.set_token(token);
  pb::ResolvedSystemAdmin resolved;
  const grpc::Status status =
      stub_->ResolveSystemToken(&context, request, &resolved);
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED)
    return absl::UnauthenticatedError("invalid or revoked system token");
  if (!status.ok()) {
    log::Warn("auth service did not resolve a system admin token",
              {{"code", static_cast<int>(status.error_code())},
               {"error", status.error_message()}});
    return absl::UnavailableError("authentication service unavailable");
  }
  SystemAdminIdentity admin{.admin_id = resolved.admin_id()};
  Entry entry{.admin = admin, .expires_at = absl::InfiniteFuture()};
  if (resolved.has_expires_at()) {
    entry.expires_at = absl::FromUnixMicros(
        google::protobuf::util::TimeUtil::TimestampToMicroseconds(
            resolved.expires_at()));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (caching_ && epoch == epoch_) entries_[key] = std::move(entry);
  return admin;
}

void RemoteSystemAdminResolver::Forget(const std::string& token) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++epoch_;
  entries_.erase(Sha256(token));
}

void RemoteSystemAdminResolver::ForgetAdmin(const std::string& admin_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++epoch_;
  absl::erase_if(entries_, [&](const auto& item) {
    return item.second.admin.admin_id == admin_id;
  });
}

void RemoteSystemAdminResolver::Apply(const pb::SystemAdminChange& change) {
  switch (change.kind()) {
    case pb::SystemAdminChange::RESYNC:
      Clear(/*caching=*/true);
      break;
    case pb::SystemAdminChange::SUSPEND:
      Clear(/*caching=*/false);
      break;
    case pb::SystemAdminChange::CHANGED:
      ForgetAdmin(change.admin_id());
      break;
    default:
      break;
  }
}

}  // namespace adcp
