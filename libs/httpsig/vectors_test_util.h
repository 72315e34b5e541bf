// Test-only: AdCP's RFC 9421 conformance vectors (request-signing and
// webhook-signing), as @adcp/sdk ships them (tests/adcp-tools/node_modules,
// installed by ./dev), and the verifier state each vector asks for.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "libs/httpsig/request_verifier.h"

namespace adcp::httpsig::testing {

// .../compliance/cache/<ADCP_VERSION>/test-vectors/<set>
inline std::filesystem::path Vectors(const std::string& set) {
  const std::filesystem::path sdk =
      std::filesystem::path(ADCP_TOOLS_DIR) / "node_modules/@adcp/sdk";
  std::string version;
  std::ifstream(sdk / "ADCP_VERSION") >> version;
  return sdk / "compliance/cache" / version / "test-vectors" / set;
}
inline std::filesystem::path RequestSigningVectors() {
  return Vectors("request-signing");
}

inline nlohmann::json LoadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

// `kind` ("positive", "negative") files of a vector set, in name order.
inline std::vector<std::filesystem::path> VectorFiles(const std::string& set,
                                                      const std::string& kind) {
  std::vector<std::filesystem::path> files;
  const std::filesystem::path dir = Vectors(set) / kind;
  if (!std::filesystem::is_directory(dir)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class Keys : public KeyDirectory {
 public:
  std::optional<Jwk> Find(std::string_view keyid) const override {
    auto found = keys.find(std::string(keyid));
    if (found == keys.end()) return std::nullopt;
    return found->second;
  }
  bool Revoked(std::string_view keyid) const override {
    return revoked.contains(std::string(keyid));
  }
  bool RevocationStale() const override { return stale; }

  std::map<std::string, Jwk> keys;
  std::set<std::string> revoked;
  bool stale = false;
};

inline HttpMessage MessageOf(const nlohmann::json& request) {
  HttpMessage message;
  message.method = request["method"];
  message.url = request["url"];
  message.body = request.value("body", "");
  for (const auto& [name, value] : request["headers"].items()) {
    message.headers.emplace_back(name, value.get<std::string>());
  }
  return message;
}

// The verifier's view of a vector: its keys, revocations and replay cache,
// from either set's test_harness_state.
struct VectorState {
  Keys keys;
  std::unique_ptr<MemoryReplayCache> replays;
  RequestSigningPolicy policy;
  absl::Time now;
};

inline VectorState StateOf(const std::string& set,
                           const nlohmann::json& vector) {
  using nlohmann::json;
  VectorState state;
  // An override is {"keys": [...]} (request set) or {kid: jwk} (webhook set).
  json published = LoadJson(Vectors(set) / "keys.json")["keys"];
  if (vector.contains("jwks_override")) {
    const json& override_keys = vector["jwks_override"];
    published = json::array();
    if (override_keys.contains("keys")) {
      published = override_keys["keys"];
    } else {
      for (const auto& [kid, jwk] : override_keys.items())
        published.push_back(jwk);
    }
  }
  std::set<std::string> wanted;
  for (const json& kid : vector.value("jwks_ref", json::array()))
    wanted.insert(kid);
  for (const json& jwk : published) {
    if (vector.contains("jwks_override") ||
        wanted.contains(jwk.value("kid", ""))) {
      absl::StatusOr<Jwk> key = Jwk::FromJson(jwk);
      if (key.ok()) state.keys.keys.emplace(jwk.value("kid", ""), *key);
    }
  }
  state.now = absl::FromUnixSeconds(vector["reference_now"].get<int64_t>());
  const json capability = vector.value("verifier_capability", json::object());
  const std::string digest =
      capability.value("covers_content_digest", "either");
  state.policy.covers_content_digest =
      digest == "required"    ? DigestCoverage::kRequired
      : digest == "forbidden" ? DigestCoverage::kForbidden
                              : DigestCoverage::kEither;
  state.policy.required_for =
      capability.value("required_for", std::vector<std::string>{});
  const json harness = vector.value("test_harness_state", json::object());
  // A cap of one entry, already taken, stands for a key at its cap.
  std::string capped;
  if (harness.contains("replay_cache_per_keyid_cap_hit")) {
    capped = harness["replay_cache_per_keyid_cap_hit"]["keyid"];
  }
  if (harness.contains("per_keyid_cap_filled_for")) {
    capped = harness["per_keyid_cap_filled_for"];
  }
  state.replays =
      std::make_unique<MemoryReplayCache>(capped.empty() ? 1000000 : 1);
  if (!capped.empty()) {
    state.replays->Insert(capped, "placeholder-nonce",
                          state.now + absl::Minutes(5), state.now);
  }
  for (const json& entry :
       harness.value("replay_cache_entries", json::array())) {
    state.replays->Insert(
        entry["keyid"].get<std::string>(), entry["nonce"].get<std::string>(),
        state.now + absl::Seconds(entry.value("ttl_seconds", 360)), state.now);
  }
  json revoked = harness.value("revoked_kids", json::array());
  if (harness.contains("revocation_list")) {
    revoked = harness["revocation_list"].value("revoked_kids", json::array());
  }
  for (const json& kid : revoked)
    state.keys.revoked.insert(kid.get<std::string>());
  state.keys.stale = harness.contains("revocation_list_stale_seconds");
  return state;
}

}  // namespace adcp::httpsig::testing
