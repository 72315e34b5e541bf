#include "services/auth/principal_cache.h"

#include "absl/strings/str_cat.h"
#include "libs/base/log.h"
#include "services/auth/access_token.h"

namespace adcp::auth {

PrincipalCache::PrincipalCache(std::string conninfo,
                               PrincipalRepository& repository,
                               absl::Duration use_flush_interval)
    : repository_(repository),
      use_flush_interval_(use_flush_interval),
      changes_([] {
        auth::v1::PrincipalChange resync;
        resync.set_kind(auth::v1::PrincipalChange::RESYNC);
        return resync;
      }()),
      listener_(
          std::move(conninfo), "adcp_principal_changes",
          [this](const std::string& payload) { Invalidate(payload); },
          // Changes made while not listening are unknown: start empty.
          [this] { Clear(/*caching=*/true); },
          // Until listening again, nothing cached can be trusted.
          [this] { Clear(/*caching=*/false); }) {}

PrincipalCache::~PrincipalCache() { Stop(); }

void PrincipalCache::Start() {
  listener_.Start();
  flusher_ = std::thread([this] { FlushLoop(); });
}

void PrincipalCache::Stop() {
  listener_.Stop();
  changes_.Close();
  {
    std::lock_guard<std::mutex> lock(flush_mutex_);
    stopping_ = true;
  }
  flush_wake_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  FlushUses();
}

void PrincipalCache::FlushLoop() {
  std::unique_lock<std::mutex> lock(flush_mutex_);
  while (!stopping_) {
    flush_wake_.wait_for(lock, absl::ToChronoMilliseconds(use_flush_interval_),
                         [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    FlushUses();
    lock.lock();
  }
}

bool PrincipalCache::WaitUntilListening(absl::Duration timeout) {
  return listener_.WaitUntilListening(timeout);
}

void PrincipalCache::Clear(bool caching) {
  std::lock_guard<std::mutex> lock(mutex_);
  by_token_.clear();
  keys_by_principal_.clear();
  unknown_.clear();
  unknown_count_ = 0;
  ++epoch_;
  caching_ = caching;
  // Downstream caches follow: drop everything, and cache again only if we do.
  auth::v1::PrincipalChange change;
  change.set_kind(caching ? auth::v1::PrincipalChange::RESYNC
                          : auth::v1::PrincipalChange::SUSPEND);
  changes_.Publish(change);
}

bool PrincipalCache::caching() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return caching_;
}

void PrincipalCache::Forget(const std::string& tenant_id,
                            const std::string& principal_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++epoch_;
  // A rotated token may be one presented (and unknown) before.
  if (auto unknown = unknown_.find(tenant_id); unknown != unknown_.end()) {
    unknown_count_ -= unknown->second.size();
    unknown_.erase(unknown);
  }
  auto it = keys_by_principal_.find(absl::StrCat(tenant_id, ":", principal_id));
  if (it == keys_by_principal_.end()) return;
  for (const std::string& key : it->second) by_token_.erase(key);
  keys_by_principal_.erase(it);
}

void PrincipalCache::Invalidate(const std::string& payload) {
  auth::v1::PrincipalChange change;
  change.set_kind(auth::v1::PrincipalChange::CHANGED);
  const auto colon = payload.find(':');
  change.set_tenant_id(payload.substr(0, colon));
  if (colon != std::string::npos)
    change.set_principal_id(payload.substr(colon + 1));
  // Forgotten here before downstream caches hear of it, so that none asks
  // this replica again in between and gets the stale answer.
  Forget(change.tenant_id(), change.principal_id());
  changes_.Publish(change);
}

absl::StatusOr<std::shared_ptr<const Principal>> PrincipalCache::Lookup(
    const std::string& tenant_id, const std::string& token,
    Source source) const {
  if (token.empty() || token.size() > 512) {
    return absl::UnauthenticatedError("invalid or revoked token");
  }
  const std::string hash = TokenHashHex(token);
  const std::string key = absl::StrCat(tenant_id, "/", hash);
  std::shared_ptr<const Principal> principal;
  uint64_t epoch = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = by_token_.find(key);
        it != by_token_.end() && source == Source::kMemory)
      principal = it->second;
    else if (KnownUnknownLocked(tenant_id, hash))
      return absl::UnauthenticatedError("invalid or revoked token");
    epoch = epoch_;
  }
  if (principal == nullptr) {
    ++database_reads_;
    absl::StatusOr<Principal> found =
        repository_.FindByTokenHash(tenant_id, hash);
    if (absl::IsUnauthenticated(found.status())) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (caching_ && epoch == epoch_) {
        if (unknown_count_ >= kMaxUnknown) {
          unknown_.clear();  // a flood of made-up tokens: start over
          unknown_count_ = 0;
        }
        if (unknown_[tenant_id]
                .insert_or_assign(hash, absl::Now() + kUnknownTtl)
                .second)
          ++unknown_count_;
      }
    }
    if (!found.ok()) return found.status();
    principal = std::make_shared<const Principal>(*std::move(found));
    std::lock_guard<std::mutex> lock(mutex_);
    if (caching_ && epoch == epoch_) {
      by_token_[key] = principal;
      keys_by_principal_[absl::StrCat(tenant_id, ":",
                                      principal->principal_id())]
          .push_back(key);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string principal_key =
        absl::StrCat(tenant_id, ":", principal->principal_id());
    uses_[principal_key] = PrincipalRepository::Use{
        tenant_id, principal->principal_id(), absl::Now()};
  }
  return principal;
}

bool PrincipalCache::KnownUnknownLocked(const std::string& tenant_id,
                                        const std::string& hash) const {
  auto tenant = unknown_.find(tenant_id);
  if (tenant == unknown_.end()) return false;
  auto it = tenant->second.find(hash);
  if (it == tenant->second.end()) return false;
  if (absl::Now() < it->second) return true;
  tenant->second.erase(it);
  --unknown_count_;
  return false;
}

void PrincipalCache::ForgetUnknown(const std::string& tenant_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++epoch_;
  if (auto unknown = unknown_.find(tenant_id); unknown != unknown_.end()) {
    unknown_count_ -= unknown->second.size();
    unknown_.erase(unknown);
  }
}

std::optional<absl::StatusOr<ResolvedPrincipal>>
PrincipalCache::ResolveFromMemory(const std::string& tenant_id,
                                  const std::string& token) const {
  if (token.empty() || token.size() > 512)
    return absl::UnauthenticatedError("invalid or revoked token");
  const std::string hash = TokenHashHex(token);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (by_token_.find(absl::StrCat(tenant_id, "/", hash)) == by_token_.end()) {
      if (KnownUnknownLocked(tenant_id, hash))
        return absl::UnauthenticatedError("invalid or revoked token");
      return std::nullopt;
    }
  }
  return Resolve(tenant_id, token);  // a hit: no database read
}

absl::StatusOr<ResolvedPrincipal> PrincipalCache::Resolve(
    const std::string& tenant_id, const std::string& token) const {
  absl::StatusOr<std::shared_ptr<const Principal>> principal =
      Lookup(tenant_id, token);
  if (!principal.ok()) return principal.status();
  return ResolvedPrincipal{.principal_id = (*principal)->principal_id(),
                           .is_admin = (*principal)->is_admin()};
}

void PrincipalCache::FlushUses() {
  std::vector<PrincipalRepository::Use> uses;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [key, use] : uses_) uses.push_back(std::move(use));
    uses_.clear();
  }
  if (uses.empty()) return;
  const absl::Status status = repository_.RecordUses(uses);
  if (!status.ok())
    log::Warn("last-use times not recorded", {{"error", status.ToString()}});
}

}  // namespace adcp::auth
