#include "services/agent-edge/counterparty_keys.h"

#include "absl/strings/str_cat.h"
#include "libs/base/log.h"
#include "libs/base/status.h"
#include "libs/json/json_limits.h"
#include "libs/tenancy/request_signing_config.h"

namespace adcp::agent_edge {

JwksCache::JwksCache(http::Client& client, JwksFetchOptions options)
    : client_(client), options_(options) {}

absl::StatusOr<std::vector<httpsig::Jwk>> JwksCache::ParseJwks(
    std::string_view body) {
  ASSIGN_OR_RETURN(const nlohmann::json document,
                   ParseJsonBounded(body, "jwks"));
  if (!document.is_object() || !document.contains("keys") ||
      !document["keys"].is_array())
    return absl::InvalidArgumentError("jwks: expected an object with keys");
  const nlohmann::json& keys = document["keys"];
  if (keys.size() > static_cast<size_t>(kMaxCounterpartyKeys))
    return absl::InvalidArgumentError(
        absl::StrCat("jwks: more than ", kMaxCounterpartyKeys, " keys"));
  std::vector<httpsig::Jwk> out;
  for (const nlohmann::json& member : keys) {
    absl::StatusOr<httpsig::Jwk> key = httpsig::Jwk::FromJson(member);
    // A key of another kind (RSA, encryption) is not ours to use: skipped.
    if (key.ok() && !key->kid.empty()) out.push_back(*std::move(key));
  }
  return out;
}

absl::StatusOr<std::vector<httpsig::Jwk>> JwksCache::Fetch(
    const std::string& url) {
  http::ClientRequest request{.method = "GET", .url = url};
  request.headers["Accept"] = "application/jwk-set+json, application/json";
  ASSIGN_OR_RETURN(http::ClientResponse response,
                   client_.Send(request, options_.timeout));
  if (response.status != 200)
    return absl::UnavailableError(absl::StrCat("jwks: HTTP ", response.status,
                                               " (redirects are not "
                                               "followed)"));
  if (response.body.size() > options_.max_bytes)
    return absl::UnavailableError(
        absl::StrCat("jwks: more than ", options_.max_bytes, " bytes"));
  return ParseJwks(response.body);
}

int JwksCache::fetches() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

std::optional<absl::StatusOr<std::vector<httpsig::Jwk>>> JwksCache::Fresh(
    const Entry& entry, absl::Time now) const {
  const bool fresh = entry.keys.ok()
                         ? now < entry.fetched + options_.ttl
                         : now < entry.fetched + options_.retry_after;
  if (!fresh) return std::nullopt;
  if (!entry.keys.ok() && now < entry.good_until) return entry.last_good;
  return entry.keys;
}

JwksCache::Entry& JwksCache::EntryOf(const std::string& url) {
  if (auto found = entries_.find(url); found != entries_.end()) {
    lru_.splice(lru_.begin(), lru_, found->second.lru);
    return found->second;
  }
  if (entries_.size() >= options_.max_urls) {
    // The least recent entry whose fetch is not running.
    for (auto it = lru_.rbegin(); it != lru_.rend(); ++it) {
      auto victim = entries_.find(*it);
      if (victim->second.fetching) continue;
      entries_.erase(victim);
      lru_.erase(std::next(it).base());
      break;
    }
  }
  lru_.push_front(url);
  return entries_.emplace(url, Entry{.lru = lru_.begin()}).first->second;
}

absl::StatusOr<std::vector<httpsig::Jwk>> JwksCache::Keys(
    const std::string& url, absl::Time now) {
  std::unique_lock lock(mutex_);
  Entry* entry = &EntryOf(url);
  if (auto fresh = Fresh(*entry, now)) return *std::move(fresh);
  if (entry->fetching) {
    // Single flight: the fetch under way answers this lookup too. Once it
    // ends the entry may be evicted, so it is looked up again by URL.
    if (now < entry->good_until) return entry->last_good;
    auto fetching = [&] {
      auto found = entries_.find(url);
      return found != entries_.end() && found->second.fetching;
    };
    fetched_.wait_for(lock, absl::ToChronoNanoseconds(options_.timeout),
                      [&] { return !fetching(); });
    auto found = entries_.find(url);
    if (found == entries_.end() || found->second.fetching)
      return absl::UnavailableError("jwks: a fetch of this URL is under way");
    const Entry& done = found->second;
    if (!done.keys.ok() && now < done.good_until) return done.last_good;
    return done.keys;
  }
  if (in_flight_ >= options_.max_concurrent_fetches) {
    if (now < entry->good_until) return entry->last_good;
    return absl::UnavailableError(absl::StrCat(
        "jwks: ", in_flight_, " fetches in progress, the most at once"));
  }
  entry->fetching = true;
  ++in_flight_;
  ++fetches_;
  lock.unlock();
  absl::StatusOr<std::vector<httpsig::Jwk>> keys = Fetch(url);
  if (!keys.ok())
    log::Warn("jwks fetch failed", {{"url", url.substr(0, 256)},
                                    {"error", keys.status().ToString()}});
  lock.lock();
  --in_flight_;
  entry->fetching = false;  // the entry was not evicted while fetching
  entry->keys = keys;
  entry->fetched = now;
  if (keys.ok()) {
    entry->last_good = *keys;
    entry->good_until = now + options_.ttl + options_.stale_grace;
  }
  fetched_.notify_all();
  if (!keys.ok() && now < entry->good_until) return entry->last_good;
  return keys;
}

CounterpartyKeySet::CounterpartyKeySet(
    const tenant::v1::RequestSigningConfig& config) {
  for (const tenant::v1::SigningCounterparty& party : config.counterparties()) {
    for (const std::string& kid : party.revoked_kids()) revoked.insert(kid);
    for (const tenant::v1::PublicJwk& key : party.jwks().keys())
      keys.emplace(key.kid(), JwkOf(key));
    if (!party.jwks_url().empty()) urls.push_back(party.jwks_url());
  }
}

CounterpartyKeys::CounterpartyKeys(
    std::shared_ptr<const CounterpartyKeySet> set, JwksCache* jwks,
    absl::Time now)
    : set_(std::move(set)), jwks_(jwks), now_(now) {}

std::optional<httpsig::Jwk> CounterpartyKeys::Find(
    std::string_view keyid) const {
  if (auto found = set_->keys.find(std::string(keyid));
      found != set_->keys.end())
    return found->second;
  if (jwks_ == nullptr) return std::nullopt;
  // Fetched only for a key id no inline key has, in the config's order.
  for (const std::string& url : set_->urls) {
    absl::StatusOr<std::vector<httpsig::Jwk>> fetched = jwks_->Keys(url, now_);
    if (!fetched.ok()) continue;
    for (const httpsig::Jwk& key : *fetched)
      if (key.kid == keyid) return key;
  }
  return std::nullopt;
}

bool CounterpartyKeys::Revoked(std::string_view keyid) const {
  return set_->revoked.contains(std::string(keyid));
}

}  // namespace adcp::agent_edge
