// Buyers' RFC 9421 signed requests, checked at the edge before any task
// work on every transport (MCP, REST, A2A): the tenant's request_signing
// policy, its counterparties' keys (counterparty_keys.h), the verifier
// checklist of libs/httpsig over the exact bytes received, and the nonce
// replay cache with the tenant's per-key cap. Internal to
// services/agent-edge.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "adcp/tenant/v1/tenant_registry.pb.h"
#include "libs/http/client.h"
#include "libs/http/http_server.h"
#include "libs/http/outbound_guard.h"
#include "libs/httpsig/request_verifier.h"
#include "services/agent-edge/counterparty_keys.h"

namespace adcp::agent_edge {

// Bounds of the signature fields at the trust boundary; beyond them a
// request is request_signature_header_malformed before anything is parsed.
inline constexpr size_t kMaxSignatureFieldBytes = 8192;  // all lines of one
inline constexpr size_t kMaxSignatureMembers = 8;        // labels, digests

// Where replay entries live: one per tenant and cap. The default keeps
// them in this process; a shared store (every replica's) is plugged in
// here.
class ReplayStores {
 public:
  virtual ~ReplayStores() = default;
  virtual std::shared_ptr<httpsig::ReplayCache> For(
      const std::string& tenant_id, uint32_t per_key_cap) = 0;
};

class MemoryReplayStores : public ReplayStores {
 public:
  std::shared_ptr<httpsig::ReplayCache> For(const std::string& tenant_id,
                                            uint32_t per_key_cap) override {
    return Memory(tenant_id, per_key_cap);
  }
  // The same cache, as what it is.
  std::shared_ptr<httpsig::MemoryReplayCache> Memory(
      const std::string& tenant_id, uint32_t per_key_cap);

 private:
  std::mutex mutex_;
  absl::flat_hash_map<
      std::string,
      std::pair<uint32_t, std::shared_ptr<httpsig::MemoryReplayCache>>>
      caches_;
};

class SignatureGate {
 public:
  // `replays` null: MemoryReplayStores. `base_domains`: the edge's (a
  // signed request's Host must address its tenant, HostAddressesTenant).
  SignatureGate(JwksFetchOptions jwks_options,
                std::vector<http::Cidr> jwks_allowed,
                std::shared_ptr<ReplayStores> replays,
                std::vector<std::string> base_domains);

  // Whether the request may go on (ok()) or the profile's refusal, for
  // `operation` (an AdCP task name) with the task's parsed `arguments`
  // (null when the body is not JSON). Tenants that do not declare
  // request_signing.supported ignore signatures. A failure of an
  // operation in warn_for (and not in required_for) is logged, not refused
  // (but webhook credentials still demand a signature). A signed request
  // whose Host does not address `tenant` (another tenant's host, or any
  // other authority) is request_target_uri_malformed: the signature would
  // be over someone else's URL.
  httpsig::VerifyResult Check(const http::Request& request,
                              const tenant::v1::Tenant& tenant,
                              std::string_view operation, bool other_credential,
                              const nlohmann::json* arguments);

  // The request as the verifier reads it: the method, the URL as the
  // client addressed it (scheme from X-Forwarded-Proto when it is http or
  // https, which the HTTP server lets through only from TRUSTED_PROXIES;
  // else http, the edge's own listener), every field line in order, the
  // body's exact bytes.
  static httpsig::HttpMessage MessageOf(const http::Request& request);

  // Key sets built so far (one per tenant config version; tests).
  int key_sets_built() const;

 private:
  // The tenant's counterparties, built again only when its config changed
  // (the registry's updated_at).
  std::shared_ptr<const CounterpartyKeySet> KeySetOf(
      const tenant::v1::Tenant& tenant);

  http::Client client_;
  JwksCache jwks_;
  std::shared_ptr<ReplayStores> replays_;
  const std::vector<std::string> base_domains_;
  mutable std::mutex key_sets_mutex_;
  struct KeySetVersion {
    int64_t updated_at_micros;
    std::shared_ptr<const CounterpartyKeySet> set;
  };
  absl::flat_hash_map<std::string, KeySetVersion> key_sets_;
  int key_sets_built_ = 0;
};

}  // namespace adcp::agent_edge
