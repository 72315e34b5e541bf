#include "libs/tenancy/request_signing_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "libs/tenancy/tenant_config.h"

namespace adcp {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// A buyer's Ed25519 key that is not one of the test kit's.
json BuyerKey(const std::string& kid) {
  return {{"kid", kid},
          {"kty", "OKP"},
          {"crv", "Ed25519"},
          {"alg", "EdDSA"},
          {"use", "sig"},
          {"key_ops", {"verify"}},
          {"adcp_use", "request-signing"},
          {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}};
}

json With(json base, const json& patch) {
  base.merge_patch(patch);
  return base;
}

json TestKitKey() {
  json key = BuyerKey("test-ed25519-2026");
  key["x"] = "gWUqzATUcUco5Q8fZZXn8aWwb7DQbYGBiqUzLiSDDJo";
  return key;
}

absl::StatusOr<TenantConfig> Parse(json signing, bool sandbox = false) {
  json document = {{"request_signing", std::move(signing)}};
  if (sandbox) document["sandbox"] = true;
  return ParseConfigDocument(document);
}

TEST(RequestSigningConfigTest, AcceptsAnInlineJwksAndAUrl) {
  auto config = Parse(
      {{"supported", true},
       {"covers_content_digest", "required"},
       {"required_for", {"create_media_buy"}},
       {"counterparties",
        {{{"name", "buyer.example"},
          {"jwks", {{"keys", {BuyerKey("buyer-2026")}}}},
          {"revoked_kids", {"buyer-2025"}}},
         {{"name", "other.example"},
          {"jwks_url", "https://other.example/.well-known/jwks.json"}}}}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->request_signing().counterparties(0).jwks().keys(0).kid(),
            "buyer-2026");
}

TEST(RequestSigningConfigTest, NamesTheFieldAndTheRule) {
  const std::pair<json, std::string> cases[] = {
      {{{"covers_content_digest", "sometimes"}},
       "request_signing.covers_content_digest: expected one of required"},
      {{{"required_for", {"Create-Media-Buy"}}},
       "request_signing.required_for[0]: expected an AdCP operation name"},
      {{{"required_for", {"create_media_buy", "create_media_buy"}}},
       "request_signing.required_for[1]: duplicate operation"},
      {{{"replay_cap_per_key", 100}},
       "request_signing.replay_cap_per_key: at least 1000000 outside sandbox"},
      {{{"counterparties", {{{"name", "b"}}}}},
       "request_signing.counterparties[0]: exactly one of jwks_url and jwks"},
      {{{"counterparties",
         {{{"name", "b"}, {"jwks_url", "http://b.example/jwks"}}}}},
       "request_signing.counterparties[0].jwks_url: expected an https:// URL"},
      {{{"counterparties",
         {{{"name", "b"}, {"jwks", {{"keys", {TestKitKey()}}}}}}}},
       "counterparties[0].jwks.keys[0]: the AdCP conformance test kit's keys"},
      {{{"counterparties",
         {{{"name", "b"},
           {"jwks", {{"keys", {BuyerKey("k1"), BuyerKey("k1")}}}}}}}},
       "counterparties[0].jwks.keys[1].kid: key id 'k1' is already"},
      {{{"counterparties",
         {{{"name", "b"},
           {"jwks", {{"keys", {With(BuyerKey("k1"), {{"alg", "ES256"}})}}}}}}}},
       "counterparties[0].jwks.keys[0]: expected an Ed25519 key"},
      {{{"counterparties",
         {{{"name", "b"},
           {"jwks", {{"keys", {With(BuyerKey("k1"), {{"x", "short"}})}}}}}}}},
       "counterparties[0].jwks.keys[0]: x (and y for P-256)"},
      {{{"counterparties",
         {{{"name", "b"},
           {"jwks", {{"keys", {With(BuyerKey("k1"), {{"d", "private"}})}}}}}}}},
       "counterparties[0].jwks.keys[0].d: unknown key"},
  };
  for (const auto& [signing, message] : cases) {
    auto config = Parse(signing);
    ASSERT_FALSE(config.ok()) << signing.dump();
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(message))
        << signing.dump();
  }
}

TEST(RequestSigningConfigTest, BoundsCounterpartiesAndKeys) {
  json parties = json::array();
  for (int i = 0; i <= kMaxSigningCounterparties; ++i)
    parties.push_back({{"name", "b" + std::to_string(i)},
                       {"jwks_url", "https://b.example/jwks"}});
  auto config = Parse({{"counterparties", parties}});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("request_signing.counterparties: at most 50"));
  json keys = json::array();
  for (int i = 0; i <= kMaxCounterpartyKeys; ++i)
    keys.push_back(BuyerKey("k" + std::to_string(i)));
  config = Parse(
      {{"counterparties", {{{"name", "b"}, {"jwks", {{"keys", keys}}}}}}});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("jwks.keys: at most 20 keys"));
}

TEST(RequestSigningConfigTest, TestKitKeysAndLowCapsOnlyInSandbox) {
  auto config = Parse({{"replay_cap_per_key", 100},
                       {"counterparties",
                        {{{"name", "adcp-runner"},
                          {"jwks", {{"keys", {TestKitKey()}}}},
                          {"revoked_kids", {"test-revoked-2026"}}}}}},
                      /*sandbox=*/true);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(IsConformanceTestKey(
      JwkOf(config->request_signing().counterparties(0).jwks().keys(0))));
}

}  // namespace
}  // namespace adcp
