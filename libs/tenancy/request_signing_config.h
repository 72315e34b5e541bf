// A tenant's request-signing settings (TenantConfig.request_signing): the
// rules a config document must keep, the bounds at this trust boundary, and
// the keys it names in the form the RFC 9421 verifier takes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adcp/tenant/v1/tenant_config.pb.h"
#include "libs/httpsig/jwk.h"

namespace adcp {

// Bounds of one tenant's request_signing section.
inline constexpr int kMaxSigningCounterparties = 50;
inline constexpr int kMaxCounterpartyKeys = 20;   // per JWKS, inline or fetched
inline constexpr int kMaxRevokedKids = 1000;      // per counterparty
inline constexpr int kMaxSigningOperations = 64;  // per operation list
// The AdCP profile's floor for the per-key replay cap outside tests.
inline constexpr uint32_t kMinProductionReplayCap = 1000000;
// The largest replay_cap_per_key (and per_key_cap of RecordSignatureNonce).
inline constexpr uint32_t kMaxReplayCapPerKey = 10000000;

// Appends `request_signing.<path>: <rule>` for each broken rule: the
// digest policy's values, AdCP operation names, counterparties with a
// name and exactly one key source (an https JWKS URL, or an inline JWKS of
// usable public keys with ids unique in the tenant), the bounds above, the
// replay cap's floor; and the AdCP conformance test kit's keys (published
// with their private halves) only in sandbox tenants.
void CheckRequestSigning(const tenant::v1::TenantConfig& config,
                         std::vector<std::string>& errors);

// An AdCP operation name: lowercase snake case (create_media_buy), 64
// characters at most.
bool IsAdcpOperationName(std::string_view name);

// The key as the verifier takes it.
httpsig::Jwk JwkOf(const tenant::v1::PublicJwk& key);

// Whether `key` is one of the AdCP conformance test kit's keys (by key id
// or by public key).
bool IsConformanceTestKey(const httpsig::Jwk& key);

}  // namespace adcp
