// The buyer agents' public keys a tenant trusts for signed requests (its
// request_signing.counterparties): inline JWKS from the tenant's config, and
// JWKS fetched from the counterparties' URLs. A fetch goes through the
// pooled HTTP client and the outbound guard (no internal address, no
// redirect), within a deadline and a size and key-count bound, and its keys
// are kept for a TTL in a cache of bounded size. Fetches are single-flight
// per URL and bounded in number: a slow JWKS host holds only the lookups
// of its own URL (up to the fetch timeout), never another tenant's. A key
// id a counterparty lists as revoked is refused while its JWKS still
// publishes it. Internal to services/agent-edge.
#pragma once

#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adcp/tenant/v1/tenant_config.pb.h"
#include "libs/http/client.h"
#include "libs/httpsig/request_verifier.h"

namespace adcp::agent_edge {

struct JwksFetchOptions {
  absl::Duration timeout = absl::Seconds(3);
  absl::Duration ttl = absl::Minutes(5);
  // A failed fetch is not retried for this long (the last good keys, if
  // any, are used meanwhile, up to stale_grace past their TTL).
  absl::Duration retry_after = absl::Seconds(30);
  absl::Duration stale_grace = absl::Hours(1);
  size_t max_bytes = 64 << 10;
  size_t max_urls = 1000;  // cached JWKS, all tenants together
  // Fetches in flight at once, all URLs together; a lookup beyond them
  // gets the URL's last good keys, or none (key unknown).
  int max_concurrent_fetches = 8;
};

// JWKS by URL, fetched on first use and again after their TTL.
class JwksCache {
 public:
  // `client` must outlive the cache; its admit_address is the guard.
  JwksCache(http::Client& client, JwksFetchOptions options);

  // The keys at `url` (at most kMaxCounterpartyKeys, each usable), or why
  // there are none. While another thread fetches the same URL, waits for
  // that fetch (at most the fetch timeout) unless last good keys can be
  // served meanwhile.
  absl::StatusOr<std::vector<httpsig::Jwk>> Keys(const std::string& url,
                                                 absl::Time now);
  // Fetches started so far (tests, logs).
  int fetches() const;

  // The fetch itself, without the cache: `body` of a JWKS document.
  static absl::StatusOr<std::vector<httpsig::Jwk>> ParseJwks(
      std::string_view body);

 private:
  struct Entry {
    absl::StatusOr<std::vector<httpsig::Jwk>> keys =
        absl::UnavailableError("not fetched");
    std::vector<httpsig::Jwk> last_good;
    absl::Time fetched = absl::InfinitePast(),
               good_until = absl::InfinitePast();
    bool fetching = false;  // a thread fetches it now (never evicted then)
    std::list<std::string>::iterator lru;
  };
  absl::StatusOr<std::vector<httpsig::Jwk>> Fetch(const std::string& url);
  // The URL's entry, made (evicting the least recent idle one) if new.
  Entry& EntryOf(const std::string& url);
  // What an entry answers while it is fresh; nullopt when it is stale.
  std::optional<absl::StatusOr<std::vector<httpsig::Jwk>>> Fresh(
      const Entry& entry, absl::Time now) const;

  http::Client& client_;
  const JwksFetchOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable fetched_;  // an entry's fetch ended
  int in_flight_ = 0;
  int fetches_ = 0;
  // node_hash_map: an entry stays put while its fetch runs unlocked.
  absl::node_hash_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recent first
};

// One tenant's counterparties as its config declares them (inline keys
// parsed once, JWKS URLs, revoked key ids): built once per version of the
// tenant's config and shared by its verifications.
struct CounterpartyKeySet {
  explicit CounterpartyKeySet(const tenant::v1::RequestSigningConfig& config);

  absl::flat_hash_map<std::string, httpsig::Jwk> keys;
  std::vector<std::string> urls;
  absl::flat_hash_set<std::string> revoked;
};

// One tenant's trusted keys, for one verification.
class CounterpartyKeys : public httpsig::KeyDirectory {
 public:
  // Inline keys at once; a key id no inline key has is looked up in the
  // URLs' JWKS through `jwks` (null: not fetched, such keys unknown).
  CounterpartyKeys(std::shared_ptr<const CounterpartyKeySet> set,
                   JwksCache* jwks, absl::Time now);

  std::optional<httpsig::Jwk> Find(std::string_view keyid) const override;
  bool Revoked(std::string_view keyid) const override;

 private:
  const std::shared_ptr<const CounterpartyKeySet> set_;
  JwksCache* const jwks_;
  const absl::Time now_;
};

}  // namespace adcp::agent_edge
