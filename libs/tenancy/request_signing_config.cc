#include "libs/tenancy/request_signing_config.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace adcp {
namespace {

using tenant::v1::RequestSigningConfig;
using tenant::v1::SigningCounterparty;

// 1-128 printable ASCII characters.
bool IsPrintableId(std::string_view text, size_t max = 128) {
  return !text.empty() && text.size() <= max &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return c > 0x20 && c < 0x7f; });
}

void CheckOperations(const google::protobuf::RepeatedPtrField<std::string>& ops,
                     const std::string& path,
                     std::vector<std::string>& errors) {
  if (ops.size() > kMaxSigningOperations) {
    errors.push_back(
        absl::StrCat(path, ": at most ", kMaxSigningOperations, " operations"));
    return;
  }
  std::set<std::string> seen;
  for (int i = 0; i < ops.size(); ++i) {
    const std::string at = absl::StrCat(path, "[", i, "]");
    if (!IsAdcpOperationName(ops[i])) {
      errors.push_back(absl::StrCat(
          at, ": expected an AdCP operation name such as create_media_buy"));
    } else if (!seen.insert(ops[i]).second) {
      errors.push_back(
          absl::StrCat(at, ": duplicate operation '", ops[i], "'"));
    }
  }
}

void CheckKeys(const SigningCounterparty& party, const std::string& path,
               bool sandbox, std::set<std::string>& kids,
               std::vector<std::string>& errors) {
  const auto& keys = party.jwks().keys();
  if (keys.size() > kMaxCounterpartyKeys) {
    errors.push_back(absl::StrCat(path, ".jwks.keys: at most ",
                                  kMaxCounterpartyKeys, " keys"));
    return;
  }
  for (int j = 0; j < keys.size(); ++j) {
    const std::string at = absl::StrCat(path, ".jwks.keys[", j, "]");
    const httpsig::Jwk key = JwkOf(keys[j]);
    if (!IsPrintableId(key.kid)) {
      errors.push_back(absl::StrCat(
          at, ".kid: required, 1 to 128 printable ASCII characters"));
    } else if (!kids.insert(key.kid).second) {
      errors.push_back(absl::StrCat(at, ".kid: key id '", key.kid,
                                    "' is already configured for this tenant"));
    }
    if (!key.Consistent()) {
      errors.push_back(absl::StrCat(
          at,
          ": expected an Ed25519 key (kty OKP, crv Ed25519, alg EdDSA) or "
          "a P-256 key (kty EC, crv P-256, alg ES256)"));
    } else if (absl::IsInvalidArgument(
                   httpsig::VerifySignature(key, key.SignatureAlgorithm(),
                                            "probe", std::string(64, '\0')))) {
      // A usable key only fails to verify; an unusable one is refused.
      errors.push_back(absl::StrCat(
          at,
          ": x (and y for P-256) must be the key's public coordinates, "
          "base64url"));
    }
    if (!sandbox && IsConformanceTestKey(key)) {
      errors.push_back(absl::StrCat(
          at,
          ": the AdCP conformance test kit's keys (their private halves are "
          "public) may be configured only for sandbox tenants"));
    }
  }
}

void CheckCounterparty(const SigningCounterparty& party,
                       const std::string& path, bool sandbox,
                       std::set<std::string>& names,
                       std::set<std::string>& kids,
                       std::vector<std::string>& errors) {
  if (party.name().empty() || party.name().size() > 100 ||
      std::any_of(party.name().begin(), party.name().end(),
                  [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    errors.push_back(absl::StrCat(
        path, ".name: required, 1 to 100 bytes without control characters"));
  } else if (!names.insert(party.name()).second) {
    errors.push_back(absl::StrCat(path, ".name: duplicate counterparty '",
                                  party.name(), "'"));
  }
  const bool has_url = !party.jwks_url().empty();
  const bool has_keys = party.jwks().keys_size() > 0;
  if (has_url == has_keys) {
    errors.push_back(absl::StrCat(
        path, ": exactly one of jwks_url and jwks (with keys) is required"));
  }
  if (has_url) {
    const std::string& url = party.jwks_url();
    const bool https = url.starts_with("https://");
    const bool http_in_sandbox = sandbox && url.starts_with("http://");
    if (url.size() > 2048 || !(https || http_in_sandbox) ||
        !IsPrintableId(url, 2048)) {
      errors.push_back(absl::StrCat(
          path,
          ".jwks_url: expected an https:// URL of 2048 characters at "
          "most (http:// only in sandbox tenants)"));
    }
  }
  CheckKeys(party, path, sandbox, kids, errors);
  if (party.revoked_kids_size() > kMaxRevokedKids) {
    errors.push_back(absl::StrCat(path, ".revoked_kids: at most ",
                                  kMaxRevokedKids, " key ids"));
    return;
  }
  for (int i = 0; i < party.revoked_kids_size(); ++i) {
    if (!IsPrintableId(party.revoked_kids(i))) {
      errors.push_back(
          absl::StrCat(path, ".revoked_kids[", i,
                       "]: expected 1 to 128 printable ASCII characters"));
    }
  }
}

}  // namespace

bool IsAdcpOperationName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && absl::ascii_islower(name[0]) &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
         });
}

httpsig::Jwk JwkOf(const tenant::v1::PublicJwk& key) {
  httpsig::Jwk jwk{.kid = key.kid(),
                   .kty = key.kty(),
                   .crv = key.crv(),
                   .alg = key.alg(),
                   .use = key.use(),
                   .adcp_use = key.adcp_use(),
                   .key_ops = {key.key_ops().begin(), key.key_ops().end()},
                   .x = key.x(),
                   .y = key.y()};
  return jwk;
}

bool IsConformanceTestKey(const httpsig::Jwk& key) {
  // compliance/<version>/test-vectors/request-signing/keys.json of AdCP 3.0.
  static const std::set<std::string> kKids = {
      "test-ed25519-2026", "test-es256-2026", "test-gov-2026",
      "test-revoked-2026"};
  static const std::set<std::string> kPublicKeys = {
      "gWUqzATUcUco5Q8fZZXn8aWwb7DQbYGBiqUzLiSDDJo",
      "vGSQmjzPN1txgDY-oBb108gMsRETA9J5IPxqlBczQOY",
      "rkUcKP5oMd7YjV4yy5mVS5S8fA3LDXcf5jk1P1_52EA",
      "r8wqMpVCLKzLSRNBtNmI1g71pPzQcwkATJHcyHK1lXg"};
  return kKids.contains(key.kid) || kPublicKeys.contains(key.x);
}

void CheckRequestSigning(const tenant::v1::TenantConfig& config,
                         std::vector<std::string>& errors) {
  const RequestSigningConfig& signing = config.request_signing();
  const bool sandbox = config.sandbox();
  const std::string& digest = signing.covers_content_digest();
  if (!digest.empty() && digest != "required" && digest != "forbidden" &&
      digest != "either") {
    errors.push_back(
        "request_signing.covers_content_digest: expected one of required, "
        "forbidden, either");
  }
  CheckOperations(signing.required_for(), "request_signing.required_for",
                  errors);
  CheckOperations(signing.warn_for(), "request_signing.warn_for", errors);
  CheckOperations(signing.supported_for(), "request_signing.supported_for",
                  errors);
  if (signing.has_replay_cap_per_key()) {
    const uint32_t cap = signing.replay_cap_per_key();
    if (cap < 1 || cap > kMaxReplayCapPerKey) {
      errors.push_back(absl::StrCat(
          "request_signing.replay_cap_per_key: must be >= 1 and <= ",
          kMaxReplayCapPerKey));
    } else if (!sandbox && cap < kMinProductionReplayCap) {
      errors.push_back(
          absl::StrCat("request_signing.replay_cap_per_key: at least ",
                       kMinProductionReplayCap,
                       " outside sandbox tenants (the AdCP profile's floor)"));
    }
  }
  const auto& parties = signing.counterparties();
  if (parties.size() > kMaxSigningCounterparties) {
    errors.push_back(absl::StrCat("request_signing.counterparties: at most ",
                                  kMaxSigningCounterparties,
                                  " counterparties"));
    return;
  }
  std::set<std::string> names, kids;
  for (int i = 0; i < parties.size(); ++i) {
    CheckCounterparty(parties[i],
                      absl::StrCat("request_signing.counterparties[", i, "]"),
                      sandbox, names, kids, errors);
  }
}

}  // namespace adcp
