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

VerifyResult Reject(std::string code, std::string detail) {
  VerifyResult result;
  result.error_code = std::move(code);
  result.detail = std::move(detail);
  return result;
}

constexpr char kMalformed[] = "request_signature_header_malformed";

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool Covers(const InnerList& covered, std::string_view component) {
  for (const Item& item : covered.items) {
    if (item.value.is_string() && item.value.text == component) return true;
  }
  return false;
}

std::string Digest(const EVP_MD* md, std::string_view body) {
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

// Step 11: every digest of an algorithm we know must match the body.
VerifyResult CheckDigest(const Dictionary& digests, std::string_view body) {
  bool checked = false;
  for (const auto& [algorithm, member] : digests) {
    const EVP_MD* md = algorithm == "sha-256"   ? EVP_sha256()
                       : algorithm == "sha-512" ? EVP_sha512()
                                                : nullptr;
    if (md == nullptr) continue;
    absl::StatusOr<std::string> claimed = DecodeBinary(member.item.value.text);
    if (!claimed.ok() || *claimed != Digest(md, body)) {
      return Reject("request_signature_digest_mismatch",
                    absl::StrCat(algorithm, " does not match the body"));
    }
    checked = true;
  }
  if (!checked) {
    return Reject("request_signature_digest_mismatch",
                  "no content-digest algorithm this verifier knows");
  }
  return {};
}

// Step 1's checks of Content-Digest: a dictionary of byte sequences, one
// per algorithm.
std::optional<Dictionary> ParseDigests(const HttpMessage& request) {
  const std::vector<std::string> lines = request.FieldLines("content-digest");
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

// Steps 2-6: the parameters and the covered components.
VerifyResult CheckParams(const SignatureParams& p, const InnerList& covered,
                         const HttpMessage& request,
                         const RequestSigningPolicy& policy, absl::Time now) {
  if (!p.created || !p.expires || !p.nonce || !p.keyid || !p.alg || !p.tag) {
    return Reject("request_signature_params_incomplete",
                  "created, expires, nonce, keyid, alg and tag are required");
  }
  if (*p.tag != kRequestSigningTag) {
    return Reject("request_signature_tag_invalid", "tag");
  }
  if (*p.alg != "ed25519" && *p.alg != "ecdsa-p256-sha256") {
    return Reject("request_signature_alg_not_allowed", *p.alg);
  }
  const absl::Time created = absl::FromUnixSeconds(*p.created);
  const absl::Time expires = absl::FromUnixSeconds(*p.expires);
  if (expires <= created || created > now + policy.skew ||
      expires < now - policy.skew || expires - created > policy.max_validity) {
    return Reject("request_signature_window_invalid", "created/expires");
  }
  for (const char* required : {"@method", "@target-uri", "@authority"}) {
    if (!Covers(covered, required)) {
      return Reject("request_signature_components_incomplete", required);
    }
  }
  if (!request.body.empty() && !Covers(covered, "content-type")) {
    return Reject("request_signature_components_incomplete", "content-type");
  }
  const bool digest = Covers(covered, "content-digest");
  if (policy.covers_content_digest == DigestCoverage::kRequired && !digest) {
    return Reject("request_signature_components_incomplete", "content-digest");
  }
  if (policy.covers_content_digest == DigestCoverage::kForbidden && digest) {
    return Reject("request_signature_components_unexpected", "content-digest");
  }
  return {};
}

// Step 8: the key is a request-signing key of a type its alg allows.
bool KeyFitForPurpose(const Jwk& key, std::string_view alg) {
  return key.use == "sig" && Contains(key.key_ops, "verify") &&
         key.adcp_use == "request-signing" && key.Consistent() &&
         key.SignatureAlgorithm() == alg;
}

// A SAX consumer that notes the first key repeated within one object.
class DuplicateKeyFinder : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::optional<std::string> duplicate;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    objects_.emplace_back();
    return true;
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
    return true;
  }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception&) override {
    return false;
  }

 private:
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

bool MemoryReplayCache::Insert(std::string_view keyid, std::string_view nonce,
                               absl::Time until, absl::Time now,
                               bool* over_cap) {
  std::lock_guard lock(mutex_);
  std::map<std::string, absl::Time>& entries = entries_[std::string(keyid)];
  Expire(entries, now);
  *over_cap = false;
  if (entries.contains(std::string(nonce))) return false;
  if (entries.size() >= per_key_cap_) {
    *over_cap = true;
    return false;
  }
  entries.emplace(std::string(nonce), until);
  return true;
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
                           absl::Time now) {
  const std::vector<std::string> inputs = request.FieldLines("signature-input");
  const std::vector<std::string> signatures = request.FieldLines("signature");
  if (inputs.empty() && signatures.empty()) {
    if ((Contains(policy.required_for, operation) && !other_credential) ||
        BodyDemandsSignature(request.body)) {
      return Reject("request_signature_required", std::string(operation));
    }
    return {};
  }
  if (inputs.empty() || signatures.empty()) {
    return Reject(kMalformed, "Signature and Signature-Input come together");
  }
  // Step 1: the first label of Signature-Input is the one verified.
  absl::StatusOr<Dictionary> input =
      ParseDictionary(absl::StrJoin(inputs, ", "));
  absl::StatusOr<Dictionary> signature =
      ParseDictionary(absl::StrJoin(signatures, ", "));
  if (!input.ok() || !signature.ok() || input->empty()) {
    return Reject(kMalformed, "Signature-Input or Signature");
  }
  const auto& [label, covered_member] = input->front();
  const Member* signed_value = FindMember(*signature, label);
  if (!covered_member.is_inner_list || signed_value == nullptr ||
      signed_value->is_inner_list ||
      signed_value->item.value.type != BareItem::Type::kByteSequence) {
    return Reject(kMalformed, "no signature for the first label");
  }
  absl::StatusOr<std::string> signature_bytes =
      DecodeBinary(signed_value->item.value.text);
  const InnerList& covered = covered_member.inner;
  std::optional<SignatureParams> params = TypedParams(covered.params);
  if (!signature_bytes.ok() || !params ||
      (params->nonce && !ValidNonce(*params->nonce))) {
    return Reject(kMalformed, "a signature parameter of the wrong form");
  }
  std::optional<Dictionary> digests;
  if (Covers(covered, "content-digest")) {
    digests = ParseDigests(request);
    if (!digests) return Reject(kMalformed, "Content-Digest");
  }
  // Steps 2-6.
  if (VerifyResult checked =
          CheckParams(*params, covered, request, policy, now);
      !checked.ok()) {
    return checked;
  }
  // Steps 7-9a, before any cryptography.
  const std::optional<Jwk> key = keys.Find(*params->keyid);
  if (!key) return Reject("request_signature_key_unknown", *params->keyid);
  if (!KeyFitForPurpose(*key, *params->alg)) {
    return Reject("request_signature_key_purpose_invalid", *params->keyid);
  }
  if (keys.Revoked(*params->keyid)) {
    return Reject("request_signature_key_revoked", *params->keyid);
  }
  if (replays.AtCap(*params->keyid, now)) {
    return Reject("request_signature_rate_abuse", *params->keyid);
  }
  // Step 10.
  std::variant<std::string, BaseError> base = SignatureBase(request, covered);
  if (auto* error = std::get_if<BaseError>(&base)) {
    return Reject(error->code, error->detail);
  }
  if (!VerifySignature(*key, *params->alg, std::get<std::string>(base),
                       *signature_bytes)
           .ok()) {
    return Reject("request_signature_invalid", *params->keyid);
  }
  // Step 11.
  if (digests) {
    if (VerifyResult checked = CheckDigest(*digests, request.body);
        !checked.ok()) {
      return checked;
    }
  }
  // Steps 12 and 13: the nonce is burned once the signature is known good.
  bool over_cap = false;
  const absl::Time until =
      absl::FromUnixSeconds(*params->expires) + policy.skew;
  if (!replays.Insert(*params->keyid, *params->nonce, until, now, &over_cap)) {
    return over_cap ? Reject("request_signature_rate_abuse", *params->keyid)
                    : Reject("request_signature_replayed", *params->keyid);
  }
  // Step 14.
  if (std::optional<std::string> duplicate = DuplicateJsonKey(request.body)) {
    return Reject("request_body_malformed", "a duplicate object key");
  }
  VerifyResult accepted;
  accepted.signed_request = true;
  accepted.keyid = *params->keyid;
  return accepted;
}

bool BodyDemandsSignature(std::string_view body) {
  absl::StatusOr<nlohmann::json> document = ParseJsonBounded(body, "body");
  if (!document.ok() || !document->is_object()) return false;
  const auto config = document->find("push_notification_config");
  return config != document->end() && config->is_object() &&
         config->contains("authentication");
}

std::optional<std::string> DuplicateJsonKey(std::string_view body) {
  // Bounded first: the SAX pass below keeps one set per open object.
  if (!ParseJsonBounded(body, "body").ok()) return std::nullopt;
  DuplicateKeyFinder finder;
  nlohmann::json::sax_parse(body, &finder);
  return finder.duplicate;
}

}  // namespace adcp::httpsig
