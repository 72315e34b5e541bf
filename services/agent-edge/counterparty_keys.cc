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

absl::StatusOr<std::vector<httpsig::Jwk>> JwksCache::Keys(
    const std::string& url, absl::Time now) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(url);
  if (found != entries_.end()) {
    Entry& entry = found->second;
    lru_.splice(lru_.begin(), lru_, entry.lru);
    const bool fresh = entry.keys.ok()
                           ? now < entry.fetched + options_.ttl
                           : now < entry.fetched + options_.retry_after;
    if (fresh) {
      if (!entry.keys.ok() && now < entry.good_until) return entry.last_good;
      return entry.keys;
    }
  }
  // Fetched under the lock: one fetch at a time, and a slow one holds every
  // other lookup up to its deadline (simple, and bounded; per-URL locks
  // would hold only its own).
  absl::StatusOr<std::vector<httpsig::Jwk>> keys = Fetch(url);
  if (!keys.ok())
    log::Warn("jwks fetch failed", {{"url", url.substr(0, 256)},
                                    {"error", keys.status().ToString()}});
  if (found == entries_.end()) {
    if (entries_.size() >= options_.max_urls) {
      entries_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(url);
    found = entries_.emplace(url, Entry{.lru = lru_.begin()}).first;
  }
  Entry& entry = found->second;
  entry.keys = keys;
  entry.fetched = now;
  if (keys.ok()) {
    entry.last_good = *keys;
    entry.good_until = now + options_.ttl + options_.stale_grace;
  } else if (now < entry.good_until) {
    return entry.last_good;
  }
  return keys;
}

CounterpartyKeys::CounterpartyKeys(
    const tenant::v1::RequestSigningConfig& config, JwksCache* jwks,
    absl::Time now)
    : jwks_(jwks), now_(now) {
  for (const tenant::v1::SigningCounterparty& party : config.counterparties()) {
    for (const std::string& kid : party.revoked_kids()) revoked_.insert(kid);
    for (const tenant::v1::PublicJwk& key : party.jwks().keys())
      keys_.emplace(key.kid(), JwkOf(key));
    if (!party.jwks_url().empty()) urls_.push_back(party.jwks_url());
  }
}

std::optional<httpsig::Jwk> CounterpartyKeys::Find(
    std::string_view keyid) const {
  if (auto found = keys_.find(std::string(keyid)); found != keys_.end())
    return found->second;
  if (jwks_ == nullptr) return std::nullopt;
  // Fetched only for a key id no inline key has, in the config's order.
  for (const std::string& url : urls_) {
    absl::StatusOr<std::vector<httpsig::Jwk>> fetched = jwks_->Keys(url, now_);
    if (!fetched.ok()) continue;
    for (const httpsig::Jwk& key : *fetched)
      if (key.kid == keyid) return key;
  }
  return std::nullopt;
}

bool CounterpartyKeys::Revoked(std::string_view keyid) const {
  return revoked_.contains(std::string(keyid));
}

}  // namespace adcp::agent_edge
