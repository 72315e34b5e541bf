#include "libs/httpsig/request_verifier.h"

#include <openssl/evp.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/json/json_limits.h"

namespace adcp::httpsig {
namespace {

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool Covers(const InnerList& covered, std::string_view component) {
  for (const Item& item : covered.items) {
    if (item.value.is_string() && item.value.text == component) return true;
  }
  return false;
}

std::string Sha(const EVP_MD* md, std::string_view body) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(body.data(), body.size(), out, &length, md, nullptr);
  return std::string(reinterpret_cast<char*>(out), length);
}

// The signature's parameters, typed as the profile says. A parameter of the
// wrong type (a bare token for a string) is a malformed header.
struct SignatureParams {
  std::optional<int64_t> created, expires;
  std::optional<std::string> nonce, keyid, alg, tag;
};

std::optional<SignatureParams> TypedParams(const Parameters& params) {
  SignatureParams out;
  for (const auto& [key, value] : params) {
    if (key == "created" || key == "expires") {
      if (!value.is_integer()) return std::nullopt;
      (key == "created" ? out.created : out.expires) = value.integer;
    } else if (key == "nonce" || key == "keyid" || key == "alg" ||
               key == "tag") {
      if (!value.is_string()) return std::nullopt;
      std::optional<std::string>& slot = key == "nonce"   ? out.nonce
                                         : key == "keyid" ? out.keyid
                                         : key == "alg"   ? out.alg
                                                          : out.tag;
      slot = value.text;
    }
  }
  return out;
}

// Content-Digest: a dictionary of byte sequences, one per algorithm.
std::optional<Dictionary> ParseDigests(const HttpMessage& message) {
  const std::vector<std::string> lines = message.FieldLines("content-digest");
  absl::StatusOr<Dictionary> digests =
      ParseDictionary(absl::StrJoin(lines, ", "));
  if (lines.empty() || !digests.ok()) return std::nullopt;
  for (const auto& [unused, member] : *digests) {
    if (member.is_inner_list ||
        member.item.value.type != BareItem::Type::kByteSequence ||
        !DecodeBinary(member.item.value.text).ok()) {
      return std::nullopt;
    }
  }
  return *std::move(digests);
}

bool ValidNonce(std::string_view nonce) {
  absl::StatusOr<std::string> bytes = DecodeBinary(nonce);
  return bytes.ok() && nonce.find_first_of("+/=") == std::string_view::npos &&
         bytes->size() >= 16;
}

// The checklist of one message under one profile; each step returns a
// refusal or an accepted (empty) result.
class Checklist {
 public:
  Checklist(const SignatureProfile& profile, const RequestSigningPolicy& policy,
            const KeyDirectory& keys, ReplayCache& replays, absl::Time now)
      : profile_(profile),
        policy_(policy),
        keys_(keys),
        replays_(replays),
        now_(now) {}

  VerifyResult Run(const HttpMessage& message) {
    const std::vector<std::string> inputs =
        message.FieldLines("signature-input");
    const std::vector<std::string> signatures = message.FieldLines("signature");
    if (inputs.empty() || signatures.empty()) {
      return Reject("signature_header_malformed",
                    "Signature and Signature-Input come together");
    }
    // Step 1: the label sig1 (else the first one) is the one verified.
    absl::StatusOr<Dictionary> input =
        ParseDictionary(absl::StrJoin(inputs, ", "));
    absl::StatusOr<Dictionary> signature =
        ParseDictionary(absl::StrJoin(signatures, ", "));
    if (!input.ok() || !signature.ok() || input->empty()) {
      return Reject("signature_header_malformed",
                    "Signature-Input or Signature");
    }
    const Member* sig1 = FindMember(*input, "sig1");
    const std::string label = sig1 != nullptr ? "sig1" : input->front().first;
    const Member& covered_member =
        sig1 != nullptr ? *sig1 : input->front().second;
    const Member* signed_value = FindMember(*signature, label);
    if (!covered_member.is_inner_list || signed_value == nullptr ||
        signed_value->is_inner_list ||
        signed_value->item.value.type != BareItem::Type::kByteSequence) {
      return Reject("signature_header_malformed", "no signature for the label");
    }
    absl::StatusOr<std::string> bytes =
        DecodeBinary(signed_value->item.value.text);
    const InnerList& covered = covered_member.inner;
    std::optional<SignatureParams> params = TypedParams(covered.params);
    if (!bytes.ok() || !params ||
        (params->nonce && !ValidNonce(*params->nonce))) {
      return Reject("signature_header_malformed",
                    "a signature parameter of the wrong form");
    }
    std::optional<Dictionary> digests;
    if (Covers(covered, "content-digest")) {
      digests = ParseDigests(message);
      if (!digests)
        return Reject("signature_header_malformed", "Content-Digest");
    }
    // Step 1 too: a covered field of one value that holds two (a second
    // line, a top-level comma) is malformed, whatever the window says.
    for (const Item& item : covered.items) {
      if (!item.value.is_string() || item.value.text.starts_with("@") ||
          message.FieldLines(item.value.text).empty())
        continue;
      std::variant<std::string, BaseError> value =
          ComponentValue(message, item.value.text);
      if (auto* error = std::get_if<BaseError>(&value))
        return Reject(error->code, error->detail);
    }
    if (VerifyResult r = Params(*params, covered, message); !r.ok()) return r;
    if (VerifyResult r = Key(*params); !r.ok()) return r;
    // Step 10.
    std::variant<std::string, BaseError> base = SignatureBase(message, covered);
    if (auto* error = std::get_if<BaseError>(&base)) {
      return Reject(error->code, error->detail);
    }
    if (!VerifySignature(*key_, *params->alg, std::get<std::string>(base),
                         *bytes)
             .ok()) {
      return Reject("signature_invalid", *params->keyid);
    }
    if (digests) {  // step 11
      if (VerifyResult r = Digest(*digests, message.body); !r.ok()) return r;
    }
    // Steps 12 and 13: the nonce is burned once the signature is known good.
    const absl::Time until =
        absl::FromUnixSeconds(*params->expires) + policy_.skew;
    switch (replays_.Insert(*params->keyid, *params->nonce, until, now_)) {
      case ReplayCache::Recorded::kNew:
        break;
      case ReplayCache::Recorded::kReplayed:
        return Reject("signature_replayed", *params->keyid);
      case ReplayCache::Recorded::kOverCap:
        return Reject("signature_rate_abuse", *params->keyid);
      case ReplayCache::Recorded::kUnavailable: {
        VerifyResult result =
            Reject("replay_store_unavailable", *params->keyid);
        result.unavailable = true;
        return result;
      }
    }
    if (DuplicateJsonKey(message.body)) {  // step 14
      return Reject("body_malformed", "a duplicate object key");
    }
    VerifyResult accepted;
    accepted.signed_request = true;
    accepted.keyid = *params->keyid;
    return accepted;
  }

  VerifyResult Reject(std::string_view suffix, std::string detail) const {
    VerifyResult result;
    result.error_code =
        absl::StrCat(std::string(profile_.prefix), "_", std::string(suffix));
    result.detail = std::move(detail);
    return result;
  }

 private:
  // Steps 2-6: the parameters and the covered components.
  VerifyResult Params(const SignatureParams& p, const InnerList& covered,
                      const HttpMessage& message) const {
    if (!p.created || !p.expires || !p.nonce || !p.keyid || !p.alg || !p.tag) {
      return Reject("signature_params_incomplete",
                    "created, expires, nonce, keyid, alg and tag are required");
    }
    if (*p.tag != profile_.tag) return Reject("signature_tag_invalid", *p.tag);
    if (*p.alg != "ed25519" && *p.alg != "ecdsa-p256-sha256") {
      return Reject("signature_alg_not_allowed", *p.alg);
    }
    const absl::Time created = absl::FromUnixSeconds(*p.created);
    const absl::Time expires = absl::FromUnixSeconds(*p.expires);
    if (expires <= created || created > now_ + policy_.skew ||
        expires < now_ - policy_.skew ||
        expires - created > policy_.max_validity) {
      return Reject("signature_window_invalid", "created/expires");
    }
    for (const char* required : {"@method", "@target-uri", "@authority"}) {
      if (!Covers(covered, required)) {
        return Reject("signature_components_incomplete", required);
      }
    }
    if (!message.body.empty() && !Covers(covered, "content-type")) {
      return Reject("signature_components_incomplete", "content-type");
    }
    const bool digest = Covers(covered, "content-digest");
    if (policy_.covers_content_digest == DigestCoverage::kRequired && !digest) {
      return Reject("signature_components_incomplete", "content-digest");
    }
    if (policy_.covers_content_digest == DigestCoverage::kForbidden && digest) {
      return Reject("signature_components_unexpected", "content-digest");
    }
    return {};
  }

  // Steps 7-9a, before any cryptography: the key, its purpose, revocation,
  // and the key's replay cap.
  VerifyResult Key(const SignatureParams& p) {
    key_ = keys_.Find(*p.keyid);
    if (!key_) return Reject("signature_key_unknown", *p.keyid);
    if (key_->use != "sig" || !Contains(key_->key_ops, "verify") ||
        key_->adcp_use != profile_.key_purpose || !key_->Consistent() ||
        key_->SignatureAlgorithm() != *p.alg) {
      return Reject("signature_key_purpose_invalid", *p.keyid);
    }
    if (keys_.Revoked(*p.keyid))
      return Reject("signature_key_revoked", *p.keyid);
    if (keys_.RevocationStale())
      return Reject("signature_revocation_stale", "");
    if (replays_.AtCap(*p.keyid, now_)) {
      return Reject("signature_rate_abuse", *p.keyid);
    }
    return {};
  }

  // Step 11: every digest of an algorithm we know must match the body.
  VerifyResult Digest(const Dictionary& digests, std::string_view body) const {
    bool checked = false;
    for (const auto& [algorithm, member] : digests) {
      const EVP_MD* md = algorithm == "sha-256"   ? EVP_sha256()
                         : algorithm == "sha-512" ? EVP_sha512()
                                                  : nullptr;
      if (md == nullptr) continue;
      absl::StatusOr<std::string> claimed =
          DecodeBinary(member.item.value.text);
      if (!claimed.ok() || *claimed != Sha(md, body)) {
        return Reject("signature_digest_mismatch", algorithm);
      }
      checked = true;
    }
    if (!checked)
      return Reject("signature_digest_mismatch", "no known algorithm");
    return {};
  }

  const SignatureProfile& profile_;
  const RequestSigningPolicy& policy_;
  const KeyDirectory& keys_;
  ReplayCache& replays_;
  const absl::Time now_;
  std::optional<Jwk> key_;
};

// A SAX consumer that notes the first key repeated within one object.
class DuplicateKeyFinder : public nlohmann::json_sax<nlohmann::json> {
 public:
  // The limits of ParseJsonBounded, enforced as the pass goes: beyond them
  // the pass stops (the body is refused where it is parsed for its task).
  explicit DuplicateKeyFinder(const JsonLimits& limits) : limits_(limits) {}

  std::optional<std::string> duplicate;

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override {
    return Value();
  }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override {
    objects_.emplace_back();
    return Open();
  }
  bool key(string_t& name) override {
    if (!objects_.back().insert(name).second) {
      duplicate = name;
      return false;
    }
    return true;
  }
  bool end_object() override {
    objects_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override { return Open(); }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Value() { return ++values_ <= limits_.max_values; }
  bool Open() { return ++depth_ <= limits_.max_depth && Value(); }

  const JsonLimits& limits_;
  int depth_ = 0;
  size_t values_ = 0;
  std::vector<std::set<std::string>> objects_;
};

}  // namespace

bool MemoryReplayCache::AtCap(std::string_view keyid, absl::Time now) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(std::string(keyid));
  if (found == entries_.end()) return per_key_cap_ == 0;
  Expire(found->second, now);
  return found->second.size() >= per_key_cap_;
}

ReplayCache::Recorded MemoryReplayCache::Insert(std::string_view keyid,
                                                std::string_view nonce,
                                                absl::Time until,
                                                absl::Time now) {
  std::lock_guard lock(mutex_);
  std::map<std::string, absl::Time>& entries = entries_[std::string(keyid)];
  Expire(entries, now);
  if (entries.contains(std::string(nonce))) return Recorded::kReplayed;
  if (entries.size() >= per_key_cap_) return Recorded::kOverCap;
  entries.emplace(std::string(nonce), until);
  return Recorded::kNew;
}

void MemoryReplayCache::Erase(std::string_view keyid, std::string_view nonce) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(std::string(keyid));
  if (found != entries_.end()) found->second.erase(std::string(nonce));
}

void MemoryReplayCache::Expire(std::map<std::string, absl::Time>& entries,
                               absl::Time now) {
  std::erase_if(entries,
                [now](const auto& entry) { return entry.second <= now; });
}

VerifyResult VerifyRequest(const HttpMessage& request,
                           std::string_view operation, bool other_credential,
                           const RequestSigningPolicy& policy,
                           const KeyDirectory& keys, ReplayCache& replays,
                           absl::Time now,
                           const nlohmann::json* task_arguments) {
  Checklist checklist(kRequestSigning, policy, keys, replays, now);
  if (request.FieldLines("signature-input").empty() &&
      request.FieldLines("signature").empty()) {
    const bool demands = task_arguments != nullptr
                             ? ArgumentsDemandSignature(*task_arguments)
                             : BodyDemandsSignature(request.body);
    if ((Contains(policy.required_for, operation) && !other_credential) ||
        demands) {
      return checklist.Reject("signature_required", std::string(operation));
    }
    return {};
  }
  return checklist.Run(request);
}

VerifyResult VerifyWebhook(const HttpMessage& webhook, const KeyDirectory& keys,
                           ReplayCache& replays, absl::Time now) {
  static const RequestSigningPolicy kWebhookPolicy{
      .covers_content_digest = DigestCoverage::kRequired};
  Checklist checklist(kWebhookSigning, kWebhookPolicy, keys, replays, now);
  return checklist.Run(webhook);
}

absl::Status SignMessage(HttpMessage& message, const SignatureProfile& profile,
                         const Jwk& key, std::string_view d,
                         std::string_view nonce, absl::Time now,
                         absl::Duration validity) {
  message.headers.emplace_back(
      "Content-Digest",
      absl::StrCat("sha-256=:", EncodeBinary(Sha(EVP_sha256(), message.body)),
                   ":"));
  InnerList covered;
  for (const char* component : {"@method", "@target-uri", "@authority",
                                "content-type", "content-digest"}) {
    covered.items.push_back(Item{BareItem::String(component), {}});
  }
  covered.params = {
      {"created", BareItem::Integer(absl::ToUnixSeconds(now))},
      {"expires", BareItem::Integer(absl::ToUnixSeconds(now + validity))},
      {"nonce", BareItem::String(std::string(nonce))},
      {"keyid", BareItem::String(key.kid)},
      {"alg", BareItem::String(key.SignatureAlgorithm())},
      {"tag", BareItem::String(std::string(profile.tag))}};
  std::variant<std::string, BaseError> base = SignatureBase(message, covered);
  if (auto* error = std::get_if<BaseError>(&base)) {
    return absl::InvalidArgumentError(
        absl::StrCat(error->code, ": ", error->detail));
  }
  absl::StatusOr<std::string> signature =
      Sign(key, d, key.SignatureAlgorithm(), std::get<std::string>(base));
  if (!signature.ok()) return signature.status();
  message.headers.emplace_back(
      "Signature-Input", absl::StrCat("sig1=", SerializeInnerList(covered)));
  message.headers.emplace_back(
      "Signature", absl::StrCat("sig1=:", EncodeBinary(*signature), ":"));
  return absl::OkStatus();
}

bool BodyDemandsSignature(std::string_view body) {
  absl::StatusOr<nlohmann::json> document = ParseJsonBounded(body, "body");
  return document.ok() && ArgumentsDemandSignature(*document);
}

bool ArgumentsDemandSignature(const nlohmann::json& arguments) {
  if (!arguments.is_object()) return false;
  const auto config = arguments.find("push_notification_config");
  return config != arguments.end() && config->is_object() &&
         config->contains("authentication");
}

std::optional<std::string> DuplicateJsonKey(std::string_view body) {
  // One pass, within ParseJsonBounded's limits: the SAX parser itself does
  // not recurse, and the pass stops at the limits.
  static const JsonLimits kLimits;
  if (body.size() > kLimits.max_bytes) return std::nullopt;
  DuplicateKeyFinder finder(kLimits);
  nlohmann::json::sax_parse(body, &finder);
  return finder.duplicate;
}

}  // namespace adcp::httpsig
