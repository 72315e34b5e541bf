#include "libs/tenancy/remote_principals.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/base/log.h"
#include "libs/base/status.h"
#include "libs/grpc/grpc_status.h"
#include "libs/tenancy/metadata.h"
#include "libs/tenancy/tenant_config.h"

namespace adcp {

namespace pb = ::adcp::auth::v1;

RemotePrincipalResolver::RemotePrincipalResolver(
    std::shared_ptr<grpc::Channel> auth, absl::Duration call_timeout)
    : stub_(pb::Auth::NewStub(std::move(auth))),
      call_timeout_(call_timeout),
      watch_(
          "WatchPrincipalChanges",
          [this](grpc::ClientContext* context) {
            return stub_->WatchPrincipalChanges(
                context, pb::WatchPrincipalChangesRequest());
          },
          [this](const pb::PrincipalChange& change) { Apply(change); },
          // Without the stream, changes would go unseen: cache nothing.
          [this] { Clear(/*caching=*/false); }) {}

RemotePrincipalResolver::~RemotePrincipalResolver() { Stop(); }

void RemotePrincipalResolver::Start() { watch_.Start(); }

void RemotePrincipalResolver::Stop() { watch_.Stop(); }

bool RemotePrincipalResolver::WaitUntilWatching(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return watching_changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                                    [&] { return caching_; });
}

void RemotePrincipalResolver::Clear(bool caching) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.clear();
    ++epoch_;
    caching_ = caching;
  }
  watching_changed_.notify_all();
}

void RemotePrincipalResolver::Forget(const std::string& tenant_id,
                                     const std::string& principal_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++epoch_;
  absl::erase_if(entries_, [&](const auto& item) {
    return item.second.tenant_id == tenant_id &&
           item.second.principal.principal_id == principal_id;
  });
}

absl::StatusOr<ResolvedPrincipal> RemotePrincipalResolver::Resolve(
    const std::string& tenant_id, const std::string& token) const {
  if (token.empty() || token.size() > 512) {
    return absl::UnauthenticatedError("invalid or revoked token");
  }
  const std::string key = absl::StrCat(tenant_id, "/", Sha256(token));
  uint64_t epoch = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end())
      return it->second.principal;
    epoch = epoch_;
  }
  ++remote_calls_;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(call_timeout_));
  if (absl::Status forwarded =
          ForwardTenant(&context, ForwardedCall{.tenant_id = tenant_id});
      !forwarded.ok())
    return absl::UnauthenticatedError("invalid or revoked token");
  pb::ResolvePrincipalRequest request;
  request.set_token(token);
  pb::Principal principal;
  const grpc::Status status =
      stub_->ResolvePrincipal(&context, request, &principal);
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    return absl::UnauthenticatedError("invalid or revoked token");
  }
  if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
      status.error_code() == grpc::StatusCode::NOT_FOUND ||
      status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
    return FromGrpcStatus(status);  // rate limit, unknown or inactive tenant
  }
  if (!status.ok()) {
    log::Warn("auth service did not resolve a token",
              {{"code", static_cast<int>(status.error_code())},
               {"error", status.error_message()}});
    return absl::UnavailableError("authentication service unavailable");
  }
  ResolvedPrincipal resolved{
      .principal_id = principal.principal_id(),
      .is_admin = principal.is_admin(),
      .platform_mappings = StructToJson(principal.platform_mappings())};
  std::lock_guard<std::mutex> lock(mutex_);
  if (caching_ && epoch == epoch_) entries_[key] = Entry{resolved, tenant_id};
  return resolved;
}

std::optional<absl::StatusOr<ResolvedPrincipal>>
RemotePrincipalResolver::ResolveFromMemory(const std::string& tenant_id,
                                           const std::string& token) const {
  if (token.empty() || token.size() > 512)
    return absl::UnauthenticatedError("invalid or revoked token");
  const std::string key = absl::StrCat(tenant_id, "/", Sha256(token));
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end())
    return it->second.principal;
  return std::nullopt;
}

void RemotePrincipalResolver::Apply(const pb::PrincipalChange& change) {
  switch (change.kind()) {
    case pb::PrincipalChange::RESYNC:
      Clear(/*caching=*/true);
      break;
    case pb::PrincipalChange::SUSPEND:
      Clear(/*caching=*/false);
      break;
    case pb::PrincipalChange::CHANGED:
      Forget(change.tenant_id(), change.principal_id());
      break;
    default:
      break;
  }
}

}  // namespace adcp
