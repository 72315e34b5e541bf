#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "libs/httpsig/request_verifier.h"
#include "libs/httpsig/vectors_test_util.h"

namespace adcp::httpsig {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr char kSet[] = "webhook-signing";

VerifyResult Verify(const json& vector) {
  testing::VectorState state = testing::StateOf(kSet, vector);
  return VerifyWebhook(testing::MessageOf(vector["request"]), state.keys,
                       *state.replays, state.now);
}

TEST(WebhookSigningTest, AcceptsEveryPositiveVector) {
  const std::vector<fs::path> files = testing::VectorFiles(kSet, "positive");
  ASSERT_EQ(files.size(), 7u) << "run ./dev once to install tests/adcp-tools";
  for (const fs::path& file : files) {
    const VerifyResult result = Verify(testing::LoadJson(file));
    EXPECT_TRUE(result.ok())
        << file.filename() << ": " << result.error_code << " " << result.detail;
  }
}

TEST(WebhookSigningTest, RefusesEveryNegativeVectorWithItsCode) {
  const std::vector<fs::path> files = testing::VectorFiles(kSet, "negative");
  ASSERT_EQ(files.size(), 21u);
  for (const fs::path& file : files) {
    const json vector = testing::LoadJson(file);
    EXPECT_EQ(Verify(vector).error_code,
              vector["expected_outcome"]["error_code"])
        << file.filename() << ": " << Verify(vector).detail;
  }
}

// What we sign, signed with the vectors' webhook keys.
class SignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_json_ = testing::LoadJson(testing::Vectors(kSet) / "keys.json");
    for (const json& jwk : keys_json_["keys"]) {
      keys_.keys.emplace(jwk["kid"].get<std::string>(), *Jwk::FromJson(jwk));
    }
  }
  std::string PrivateKey(const std::string& kid) {
    for (const json& jwk : keys_json_["keys"]) {
      if (jwk["kid"] == kid) return jwk["_private_d_for_test_only"];
    }
    return "";
  }
  HttpMessage Webhook() {
    HttpMessage message;
    message.method = "POST";
    message.url = "https://buyer.example.com/webhooks/adcp?tenant=x";
    message.headers = {{"Content-Type", "application/json"}};
    message.body =
        R"({"idempotency_key":"evt_1","task_id":"t1","status":"completed"})";
    return message;
  }

  json keys_json_;
  testing::Keys keys_;
  const absl::Time now_ = absl::FromUnixSeconds(1800000000);
};

TEST_F(SignerTest, WhatWeSignVerifiesUnderBothAlgorithmsOnce) {
  MemoryReplayCache replays;
  for (const char* kid :
       {"test-ed25519-webhook-2026", "test-es256-webhook-2026"}) {
    HttpMessage message = Webhook();
    ASSERT_TRUE(SignMessage(message, kWebhookSigning, *keys_.Find(kid),
                            PrivateKey(kid), "c2lnbmVkLWJ5LXVzLTE2Yg", now_)
                    .ok());
    const VerifyResult result = VerifyWebhook(message, keys_, replays, now_);
    EXPECT_TRUE(result.ok()) << kid << ": " << result.error_code;
    EXPECT_EQ(VerifyWebhook(message, keys_, replays, now_).error_code,
              "webhook_signature_replayed");
    // Another body under the same signature.
    message.body =
        R"({"idempotency_key":"evt_1","task_id":"t1","status":"failed"})";
    MemoryReplayCache fresh;
    EXPECT_EQ(VerifyWebhook(message, keys_, fresh, now_).error_code,
              "webhook_signature_digest_mismatch");
  }
}

TEST_F(SignerTest, AWebhookSignatureIsNoRequestSignatureAndTheReverse) {
  HttpMessage message = Webhook();
  ASSERT_TRUE(SignMessage(message, kWebhookSigning,
                          *keys_.Find("test-ed25519-webhook-2026"),
                          PrivateKey("test-ed25519-webhook-2026"),
                          "c2lnbmVkLWJ5LXVzLTE2Yg", now_)
                  .ok());
  MemoryReplayCache replays;
  EXPECT_EQ(VerifyRequest(message, "create_media_buy", false, {}, keys_,
                          replays, now_)
                .error_code,
            "request_signature_tag_invalid");
  HttpMessage request = Webhook();
  ASSERT_TRUE(SignMessage(request, kRequestSigning,
                          *keys_.Find("test-wrong-purpose-2026"),
                          PrivateKey("test-wrong-purpose-2026"),
                          "c2lnbmVkLWJ5LXVzLTE2Yg", now_)
                  .ok());
  EXPECT_EQ(VerifyWebhook(request, keys_, replays, now_).error_code,
            "webhook_signature_tag_invalid");
}

// An independent verifier: @adcp/sdk's verifyWebhookSignature (Node's
// crypto) checks what we sign.
TEST_F(SignerTest, TheSdksVerifierAcceptsWhatWeSign) {
  const fs::path dir =
      fs::path(::testing::TempDir()) / absl::StrCat("webhook-", getpid());
  fs::create_directories(dir);
  json cases = json::array();
  for (const char* kid :
       {"test-ed25519-webhook-2026", "test-es256-webhook-2026"}) {
    HttpMessage message = Webhook();
    ASSERT_TRUE(SignMessage(message, kWebhookSigning, *keys_.Find(kid),
                            PrivateKey(kid), "aW5kZXBlbmRlbnQtY2hlY2s",
                            absl::Now())
                    .ok());
    json headers = json::object();
    for (const auto& [name, value] : message.headers) headers[name] = value;
    cases.push_back({{"method", message.method},
                     {"url", message.url},
                     {"headers", headers},
                     {"body", message.body}});
  }
  std::ofstream(dir / "cases.json") << cases.dump();
  const std::string script = R"(
const fs = require('fs');
const s = require(require.resolve('@adcp/sdk/signing', { paths: [process.cwd()] }));
const dir = process.argv[2];
const keys = JSON.parse(fs.readFileSync(process.argv[3])).keys.map(k => {
  const { _private_d_for_test_only, ...pub } = k; return pub; });
(async () => {
  for (const c of JSON.parse(fs.readFileSync(dir + '/cases.json'))) {
    const r = await s.verifyWebhookSignature(c, {
      jwks: new s.StaticJwksResolver(keys),
      replayStore: new s.InMemoryReplayStore(),
      revocationStore: new s.InMemoryRevocationStore() });
    console.log(r.status + ' ' + r.keyid);
  }
})().catch(e => { console.log('error ' + (e.code || '') + ' ' + e.message); });
)";
  std::ofstream(dir / "verify.js") << script;
  const std::string command =
      absl::StrCat("cd '", ADCP_TOOLS_DIR, "' && node '",
                   (dir / "verify.js").string(), "' '", dir.string(), "' '",
                   (testing::Vectors(kSet) / "keys.json").string(), "' 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  pclose(pipe);
  EXPECT_EQ(
      output,
      "verified test-ed25519-webhook-2026\nverified test-es256-webhook-2026\n");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace adcp::httpsig
