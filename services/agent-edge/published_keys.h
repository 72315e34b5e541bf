// The tenant's webhook-signing keys, published where AdCP 3.0 says buyers
// look: the tenant's brand.json (GET /.well-known/brand.json on its host,
// or under /tenants/{subdomain}) declares its sales agent with a
// `jwks_uri`, and that URL (/.well-known/jwks.json beside it) serves the
// JWKS. @adcp/sdk's BrandJsonJwksResolver, the webhook verifier's key
// source, follows exactly this path.
//
// The keys come from media-buy (GetWebhookSigningKeys: the current key and
// rotated ones within their overlap), kept here per tenant for `ttl`, so a
// buyer's fetch costs no gRPC call or database read in steady state. A key
// media-buy makes or rotates is published here within `ttl`; the response
// says so (Cache-Control max-age is what is left of it).
#pragma once

#include <grpcpp/channel.h>

#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace adcp::agent_edge {

struct PublishedKeysOptions {
  absl::Duration ttl = absl::Seconds(60);
  absl::Duration deadline = absl::Seconds(5);
  // How long a failed fetch is answered from memory (UNAVAILABLE) before
  // media-buy is asked again: an anonymous flood of a tenant's jwks.json
  // during a media-buy outage costs one call per this, not one per request.
  absl::Duration failure_ttl = absl::Seconds(5);
  // Tenants kept at once; beyond, the entry fetched longest ago is dropped.
  size_t max_tenants = 10000;
};

class PublishedKeys {
 public:
  using Clock = std::function<absl::Time()>;

  PublishedKeys(
      std::shared_ptr<grpc::Channel> media_buy, PublishedKeysOptions options,
      Clock clock = [] { return absl::Now(); });

  struct Jwks {
    std::string body;  // {"keys": [...]}, the JSON text served
    absl::Duration max_age;
  };
  // The tenant's JWKS: from memory while younger than ttl, else media-buy's
  // GetWebhookSigningKeys. Concurrent misses of one tenant share one call
  // (the others wait for it, at most `deadline`). When media-buy does not
  // answer: UNAVAILABLE, remembered for failure_ttl.
  absl::StatusOr<Jwks> Get(const std::string& tenant_id);
  // Drops what is kept of the tenant (tests; a tenant deleted).
  void Forget(const std::string& tenant_id);
  // Calls made to media-buy so far (tests: the cache's effect).
  int64_t fetches() const;

 private:
  struct Entry {
    absl::StatusOr<std::string> body;
    absl::Time fetched_at;
    std::list<std::string>::iterator in_order;  // its place in order_
  };
  absl::StatusOr<std::string> Fetch(const std::string& tenant_id);
  // The entry's answer if it is still fresh at `now` (mutex_ held).
  std::optional<absl::StatusOr<Jwks>> FreshAnswer(const Entry& entry,
                                                  absl::Time now) const;
  // Keeps the fetch's outcome, dropping the oldest entry beyond max_tenants
  // (mutex_ held).
  void Keep(const std::string& tenant_id, absl::StatusOr<std::string> body,
            absl::Time now);

  const std::shared_ptr<grpc::Channel> media_buy_;
  const PublishedKeysOptions options_;
  const Clock clock_;
  mutable std::mutex mutex_;
  std::condition_variable fetched_;
  std::map<std::string, Entry> entries_;
  std::list<std::string> order_;  // tenants, least recently fetched first
  std::set<std::string> in_flight_;
  int64_t fetches_ = 0;
};

// The tenant's brand.json (the "Brand Agent" form of AdCP's schema): one
// agent of type "sales" at `agent_url` (its MCP endpoint), id `tenant_id`
// (dashes as underscores, the schema's pattern), jwks_uri `jwks_uri`.
nlohmann::json BrandJsonOf(const std::string& tenant_id,
                           const std::string& agent_url,
                           const std::string& jwks_uri);

}  // namespace adcp::agent_edge
