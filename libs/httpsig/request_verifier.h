// The verifier checklist of AdCP's RFC 9421 profiles (request signing,
// tag adcp/request-signing/v1, and webhook signing, adcp/webhook-signing/v1):
// the pre-checks, then steps 1-14 in the profile's order, each refusal with
// the profile's stable error code. The cheap refusals (revocation, the
// per-key replay cap) come before the cryptographic check, and the replay
// cache is written only after it. And the signer that makes what it checks.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/httpsig/jwk.h"
#include "libs/httpsig/signature_base.h"

namespace adcp::httpsig {

// The two RFC 9421 profiles of AdCP. They share the checklist; each has its
// own tag, key purpose and error-code prefix, and webhooks always cover
// content-digest.
struct SignatureProfile {
  std::string_view tag;          // the `tag` signature parameter
  std::string_view key_purpose;  // the JWK's adcp_use
  std::string_view prefix;       // of every error code: "request", "webhook"
};
inline constexpr SignatureProfile kRequestSigning{"adcp/request-signing/v1",
                                                  "request-signing", "request"};
inline constexpr SignatureProfile kWebhookSigning{"adcp/webhook-signing/v1",
                                                  "webhook-signing", "webhook"};

enum class DigestCoverage { kEither, kRequired, kForbidden };

// What a verifier advertises (`request_signing` in its capabilities).
struct RequestSigningPolicy {
  DigestCoverage covers_content_digest = DigestCoverage::kEither;
  // AdCP operation names whose callers must sign when they present no other
  // credential.
  std::vector<std::string> required_for;
  absl::Duration skew = absl::Seconds(60);
  absl::Duration max_validity = absl::Seconds(300);
};

// The signing agents' published keys, as the verifier knows them.
class KeyDirectory {
 public:
  virtual ~KeyDirectory() = default;
  virtual std::optional<Jwk> Find(std::string_view keyid) const = 0;
  virtual bool Revoked(std::string_view keyid) const = 0;
  // The revocation list was not refreshed within its grace period.
  virtual bool RevocationStale() const { return false; }
};

// (keyid, nonce) pairs seen within their signature's validity.
class ReplayCache {
 public:
  enum class Recorded {
    kNew,          // recorded
    kReplayed,     // the pair was already there
    kOverCap,      // the key reached its cap meanwhile; nothing recorded
    kUnavailable,  // the store could not answer; nothing is known
  };
  virtual ~ReplayCache() = default;
  // Whether `keyid` holds as many live entries as it may: the check before
  // any cryptography. A shared store may answer from this process's memory
  // alone; Insert has the last word.
  virtual bool AtCap(std::string_view keyid, absl::Time now) = 0;
  // Records the pair until `until`.
  virtual Recorded Insert(std::string_view keyid, std::string_view nonce,
                          absl::Time until, absl::Time now) = 0;
};

// One process's replay cache: a per-key cap, expired entries dropped as
// they are met. (Several verifier replicas need a shared one.)
class MemoryReplayCache : public ReplayCache {
 public:
  explicit MemoryReplayCache(size_t per_key_cap = 1000000)
      : per_key_cap_(per_key_cap) {}
  bool AtCap(std::string_view keyid, absl::Time now) override;
  Recorded Insert(std::string_view keyid, std::string_view nonce,
                  absl::Time until, absl::Time now) override;
  // Forgets the pair (a shared store that could not record it).
  void Erase(std::string_view keyid, std::string_view nonce);

 private:
  // Drops `keyid`'s expired entries.
  void Expire(std::map<std::string, absl::Time>& entries, absl::Time now);

  const size_t per_key_cap_;
  std::mutex mutex_;
  absl::flat_hash_map<std::string, std::map<std::string, absl::Time>> entries_;
};

struct VerifyResult {
  // Empty when the request is accepted; else the profile's error code, for
  // `WWW-Authenticate: Signature error="<code>"`.
  std::string error_code;
  std::string detail;           // for the logs only
  bool signed_request = false;  // accepted with a verified signature
  // Refused because the replay store could not answer: transient (503,
  // retry), never the buyer's fault; error_code is
  // <prefix>_replay_store_unavailable.
  bool unavailable = false;
  std::string keyid;  // the verified signer's key
  bool ok() const { return error_code.empty(); }
};

// Checks a buyer's request for `operation` (an AdCP task name) under the
// request-signing profile. `other_credential`: the caller presented a bearer
// token (the fallback authenticator decides whether it is valid).
// `task_arguments`: the task's arguments when the body is an envelope
// around them (MCP's params.arguments, A2A's); null when the body is the
// task's request itself. Whether the task asks for what only a signed
// request may ask for is read from them; the signature and the digest
// always cover the body's exact bytes.
VerifyResult VerifyRequest(const HttpMessage& request,
                           std::string_view operation, bool other_credential,
                           const RequestSigningPolicy& policy,
                           const KeyDirectory& keys, ReplayCache& replays,
                           absl::Time now,
                           const nlohmann::json* task_arguments = nullptr);

// Checks a webhook under the webhook-signing profile (what a buyer's
// receiver does; our tests use it on what we send).
VerifyResult VerifyWebhook(const HttpMessage& webhook, const KeyDirectory& keys,
                           ReplayCache& replays, absl::Time now);

// Signs `message` in place under `profile`: Content-Digest (sha-256), then
// Signature-Input and Signature for @method, @target-uri, @authority,
// content-type and content-digest, label sig1, valid from `now` for
// `validity`. `d` is the private key (base64url); `nonce` at least 16
// random bytes in base64url.
absl::Status SignMessage(HttpMessage& message, const SignatureProfile& profile,
                         const Jwk& key, std::string_view d,
                         std::string_view nonce, absl::Time now,
                         absl::Duration validity = absl::Minutes(5));

// Whether the body asks for something only a signed request may ask for:
// push_notification_config.authentication (webhook credentials).
bool BodyDemandsSignature(std::string_view body);
bool ArgumentsDemandSignature(const nlohmann::json& arguments);

// The first key that occurs twice in one object of `body`, if any (a JSON
// parser that keeps one of them would see another request than the signer).
std::optional<std::string> DuplicateJsonKey(std::string_view body);

}  // namespace adcp::httpsig
