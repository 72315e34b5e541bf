#include "libs/httpsig/request_verifier.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "libs/httpsig/vectors_test_util.h"

namespace adcp::httpsig {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

using testing::Keys;
using testing::MessageOf;

json KeysFile() {
  return testing::LoadJson(testing::RequestSigningVectors() / "keys.json");
}

std::string OperationOf(const std::string& url) {
  return url.substr(url.rfind('/') + 1);
}

VerifyResult Verify(const json& vector) {
  testing::VectorState state = testing::StateOf("request-signing", vector);
  const HttpMessage message = MessageOf(vector["request"]);
  return VerifyRequest(message, OperationOf(message.url),
                       !message.FieldLines("authorization").empty(),
                       state.policy, state.keys, *state.replays, state.now);
}

TEST(RequestVerifierTest, AcceptsEveryPositiveVectorOverItsExpectedBase) {
  const std::vector<fs::path> files =
      testing::VectorFiles("request-signing", "positive");
  ASSERT_EQ(files.size(), 12u) << "run ./dev once to install tests/adcp-tools";
  for (const fs::path& file : files) {
    const json vector = testing::LoadJson(file);
    const HttpMessage message = MessageOf(vector["request"]);
    absl::StatusOr<Dictionary> input =
        ParseDictionary(message.FieldLines("signature-input")[0]);
    ASSERT_TRUE(input.ok()) << file;
    std::variant<std::string, BaseError> base =
        SignatureBase(message, input->front().second.inner);
    ASSERT_TRUE(std::holds_alternative<std::string>(base)) << file;
    if (vector.contains("expected_signature_base")) {
      EXPECT_EQ(std::get<std::string>(base), vector["expected_signature_base"])
          << file;
    }
    const VerifyResult result = Verify(vector);
    EXPECT_TRUE(result.ok())
        << file << ": " << result.error_code << " " << result.detail;
    EXPECT_TRUE(result.signed_request) << file;
  }
}

// A black-box grader sends the step-1 vectors (021-024) as they are, long
// after their window: the malformed header is still what is refused.
TEST(RequestVerifierTest, StepOneRefusalsComeBeforeTheWindow) {
  for (const char* name : {"021-duplicate-signature-input-label.json",
                           "022-multi-valued-content-type.json",
                           "023-multi-valued-content-digest.json",
                           "024-unquoted-string-param.json"}) {
    const json vector =
        testing::LoadJson(testing::RequestSigningVectors() / "negative" / name);
    testing::VectorState state = testing::StateOf("request-signing", vector);
    const HttpMessage message = MessageOf(vector["request"]);
    const VerifyResult result = VerifyRequest(
        message, OperationOf(message.url), false, state.policy, state.keys,
        *state.replays, state.now + absl::Hours(24 * 365));
    EXPECT_EQ(result.error_code, "request_signature_header_malformed") << name;
  }
}

TEST(RequestVerifierTest, RefusesEveryNegativeVectorWithItsCode) {
  const std::vector<fs::path> files =
      testing::VectorFiles("request-signing", "negative");
  ASSERT_EQ(files.size(), 27u);
  for (const fs::path& file : files) {
    const json vector = testing::LoadJson(file);
    const VerifyResult result = Verify(vector);
    EXPECT_EQ(result.error_code, vector["expected_outcome"]["error_code"])
        << file.filename() << ": " << result.detail;
  }
}

// A signer of our own, with the vectors' test keys.
class SignedRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const json file = KeysFile();
    for (const json& jwk : file["keys"]) {
      const std::string kid = jwk["kid"].get<std::string>();
      keys_.keys.emplace(kid, *Jwk::FromJson(jwk));
      private_[kid] = jwk["_private_d_for_test_only"].get<std::string>();
    }
  }

  HttpMessage SignedMessage(const std::string& kid, const std::string& alg,
                            const std::string& nonce, bool digest) {
    HttpMessage message;
    message.method = "POST";
    message.url = "https://seller.example.com/tenants/acme/v1/create_media_buy";
    message.body = R"({"buyer_ref":"b-1"})";
    message.headers = {{"Content-Type", "application/json"},
                       {"Host", "seller.example.com"}};
    std::string covered =
        R"("@method" "@target-uri" "@authority" "content-type")";
    if (digest) {
      unsigned char sum[32];
      unsigned int length = 0;
      EVP_Digest(message.body.data(), message.body.size(), sum, &length,
                 EVP_sha256(), nullptr);
      message.headers.emplace_back(
          "Content-Digest", absl::StrCat("sha-256=:",
                                         EncodeBinary(std::string(
                                             reinterpret_cast<char*>(sum), 32)),
                                         ":"));
      covered += R"( "content-digest")";
    }
    const std::string input =
        absl::StrCat("sig1=(", covered, ");created=", absl::ToUnixSeconds(now_),
                     ";expires=", absl::ToUnixSeconds(now_) + 300, ";nonce=\"",
                     nonce, "\";keyid=\"", kid, "\";alg=\"", alg,
                     "\";tag=\"adcp/request-signing/v1\"");
    message.headers.emplace_back("Signature-Input", input);
    const InnerList list = ParseDictionary(input)->front().second.inner;
    const std::string base =
        std::get<std::string>(SignatureBase(message, list));
    absl::StatusOr<std::string> signature =
        Sign(*keys_.Find(kid), private_[kid], alg, base);
    EXPECT_TRUE(signature.ok()) << signature.status();
    message.headers.emplace_back(
        "Signature", absl::StrCat("sig1=:", EncodeBinary(*signature), ":"));
    return message;
  }

  VerifyResult Verify(const HttpMessage& message, ReplayCache& replays) {
    return VerifyRequest(message, "create_media_buy", false, policy_, keys_,
                         replays, now_);
  }

  Keys keys_;
  std::map<std::string, std::string> private_;
  RequestSigningPolicy policy_;
  absl::Time now_ = absl::FromUnixSeconds(1800000000);
};

// A store that cannot answer (a shared one during an outage).
class UnavailableReplays : public ReplayCache {
 public:
  bool AtCap(std::string_view, absl::Time) override { return false; }
  Recorded Insert(std::string_view, std::string_view, absl::Time,
                  absl::Time) override {
    return Recorded::kUnavailable;
  }
};

TEST_F(SignedRequestTest, BothAlgorithmsVerifyAndANonceWorksOnce) {
  MemoryReplayCache replays;
  for (const auto& [kid, alg] :
       {std::pair{"test-ed25519-2026", "ed25519"},
        std::pair{"test-es256-2026", "ecdsa-p256-sha256"}}) {
    const HttpMessage message =
        SignedMessage(kid, alg, "AAAAAAAAAAAAAAAAAAAAAA", true);
    const VerifyResult first = Verify(message, replays);
    EXPECT_TRUE(first.ok()) << kid << ": " << first.error_code;
    EXPECT_EQ(first.keyid, kid);
    EXPECT_EQ(Verify(message, replays).error_code, "request_signature_replayed")
        << kid;
  }
}

TEST_F(SignedRequestTest, AStoreThatCannotAnswerIsTransientNotAReplay) {
  UnavailableReplays down;
  const HttpMessage message = SignedMessage("test-ed25519-2026", "ed25519",
                                            "GGGGGGGGGGGGGGGGGGGGGG", true);
  const VerifyResult result = Verify(message, down);
  EXPECT_EQ(result.error_code, "request_replay_store_unavailable");
  EXPECT_TRUE(result.unavailable);
  // Once the store answers, the same request is accepted.
  MemoryReplayCache up;
  EXPECT_TRUE(Verify(message, up).ok());
}

TEST_F(SignedRequestTest, AnyChangeToWhatIsCoveredBreaksTheSignature) {
  MemoryReplayCache replays;
  HttpMessage body = SignedMessage("test-ed25519-2026", "ed25519",
                                   "BBBBBBBBBBBBBBBBBBBBBB", true);
  body.body = R"({"buyer_ref":"b-2"})";
  EXPECT_EQ(Verify(body, replays).error_code,
            "request_signature_digest_mismatch");
  HttpMessage path = SignedMessage("test-ed25519-2026", "ed25519",
                                   "CCCCCCCCCCCCCCCCCCCCCC", false);
  path.url = "https://seller.example.com/tenants/other/v1/create_media_buy";
  EXPECT_EQ(Verify(path, replays).error_code, "request_signature_invalid");
  HttpMessage host = SignedMessage("test-ed25519-2026", "ed25519",
                                   "DDDDDDDDDDDDDDDDDDDDDD", false);
  host.headers[1].second = "other.example.com";
  EXPECT_EQ(Verify(host, replays).error_code, "request_target_uri_malformed");
  HttpMessage method = SignedMessage("test-ed25519-2026", "ed25519",
                                     "EEEEEEEEEEEEEEEEEEEEEE", false);
  method.method = "PUT";
  EXPECT_EQ(Verify(method, replays).error_code, "request_signature_invalid");
}

TEST_F(SignedRequestTest, ADuplicateKeyBurnsTheNonceAndIsRefused) {
  MemoryReplayCache replays;
  HttpMessage message = SignedMessage("test-ed25519-2026", "ed25519",
                                      "FFFFFFFFFFFFFFFFFFFFFF", false);
  message.body = R"({"a":{"k":1,"k":2}})";
  // The body is not covered (no digest), so the signature still verifies.
  EXPECT_EQ(Verify(message, replays).error_code, "request_body_malformed");
  EXPECT_EQ(Verify(message, replays).error_code, "request_signature_replayed");
}

TEST_F(SignedRequestTest, AShortOrPaddedNonceIsMalformed) {
  MemoryReplayCache replays;
  EXPECT_EQ(Verify(SignedMessage("test-ed25519-2026", "ed25519", "AAAA", false),
                   replays)
                .error_code,
            "request_signature_header_malformed");
  EXPECT_EQ(Verify(SignedMessage("test-ed25519-2026", "ed25519",
                                 "AAAAAAAAAAAAAAAAAAAAAA==", false),
                   replays)
                .error_code,
            "request_signature_header_malformed");
}

TEST(ReplayCacheTest, EntriesExpireAndTheCapHolds) {
  using Recorded = ReplayCache::Recorded;
  MemoryReplayCache cache(2);
  const absl::Time now = absl::FromUnixSeconds(1000);
  EXPECT_EQ(cache.Insert("k", "n1", now + absl::Seconds(10), now),
            Recorded::kNew);
  EXPECT_EQ(cache.Insert("k", "n2", now + absl::Seconds(20), now),
            Recorded::kNew);
  EXPECT_TRUE(cache.AtCap("k", now));
  EXPECT_EQ(cache.Insert("k", "n3", now + absl::Seconds(20), now),
            Recorded::kOverCap);
  EXPECT_FALSE(cache.AtCap("other", now));
  // n1 expires: room for one more, and n1 may be used again.
  const absl::Time later = now + absl::Seconds(15);
  EXPECT_FALSE(cache.AtCap("k", later));
  EXPECT_EQ(cache.Insert("k", "n1", later + absl::Seconds(10), later),
            Recorded::kNew);
  EXPECT_EQ(cache.Insert("k", "n2", later + absl::Seconds(10), later),
            Recorded::kReplayed);  // a replay, not the cap
  cache.Erase("k", "n2");
  EXPECT_EQ(cache.Insert("k", "n2", later + absl::Seconds(10), later),
            Recorded::kNew);
}

TEST(BodyChecksTest, DuplicateKeysAndWebhookCredentials) {
  EXPECT_EQ(DuplicateJsonKey(R"({"a":1,"b":[{"c":1},{"c":2}],"a":3})"), "a");
  EXPECT_EQ(DuplicateJsonKey(R"({"a":{"x":1,"x":1}})"), "x");
  EXPECT_EQ(DuplicateJsonKey(R"({"a":1,"b":{"a":1}})"), std::nullopt);
  EXPECT_EQ(DuplicateJsonKey("not json"), std::nullopt);
  EXPECT_EQ(DuplicateJsonKey(std::string(100000, '[')), std::nullopt);
  EXPECT_TRUE(BodyDemandsSignature(
      R"({"push_notification_config":{"url":"https://b/x","authentication":{}}})"));
  EXPECT_FALSE(BodyDemandsSignature(
      R"({"push_notification_config":{"url":"https://b/x"}})"));
}

// MCP nests the task's arguments in its envelope: the demand is read from
// them, never from the envelope's top level.
TEST(BodyChecksTest, EnvelopedArgumentsDecideTheDemand) {
  HttpMessage request{.method = "POST",
                      .url = "https://seller.example.com/mcp",
                      .headers = {{"Content-Type", "application/json"}}};
  const nlohmann::json arguments = {
      {"media_buy_id", "mb_1"},
      {"push_notification_config",
       {{"url", "https://b.example/hook"}, {"authentication", {}}}}};
  request.body =
      nlohmann::json{
          {"jsonrpc", "2.0"},
          {"id", 1},
          {"method", "tools/call"},
          {"params", {{"name", "update_media_buy"}, {"arguments", arguments}}}}
          .dump();
  class NoKeys : public KeyDirectory {
   public:
    std::optional<Jwk> Find(std::string_view) const override {
      return std::nullopt;
    }
    bool Revoked(std::string_view) const override { return false; }
  } keys;
  MemoryReplayCache replays;
  EXPECT_TRUE(VerifyRequest(request, "update_media_buy", true, {}, keys,
                            replays, absl::Now())
                  .ok());  // the envelope alone shows no demand
  EXPECT_EQ(VerifyRequest(request, "update_media_buy", true, {}, keys, replays,
                          absl::Now(), &arguments)
                .error_code,
            "request_signature_required");
}

}  // namespace
}  // namespace adcp::httpsig
