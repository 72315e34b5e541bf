// Buyers' signed requests on the edge end to end (AgentEdgeTest): a signed
// MCP, REST or A2A task call runs; a replay, a tampered body, a revoked or
// unknown key is 401 with the profile's error; an unsigned call of a
// required operation without a token, and a webhook credential nested in
// MCP's arguments, need a signature; keys from a JWKS URL through the
// outbound guard; the sandbox per-operation endpoint; capabilities.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "libs/http/test_server.h"
#include "libs/httpsig/key_vault.h"
#include "services/agent-edge/edge_test_fixture.h"

namespace adcp::agent_edge {
namespace {

using httpsig::HttpMessage;

class SignedRequestsTest : public AgentEdgeTest {
 protected:
  SignedRequestsTest()
      : buyer_(httpsig::GenerateSigningKey("buyer-2026", "request-signing")),
        revoked_(httpsig::GenerateSigningKey("buyer-2025", "request-signing")),
        remote_(httpsig::GenerateSigningKey("remote-2026", "request-signing")),
        jwks_server_([this](const http::test_support::SeenRequest&) {
          return http::test_support::Answer{
              .status = 200,
              .body = json{{"keys", {httpsig::PublicJwk(remote_.public_key)}}}
                          .dump()};
        }) {}

  std::string TenantConfigJson(const std::string& tenant) override {
    json signing = {{"supported", true},
                    {"required_for", {"create_media_buy"}},
                    {"counterparties",
                     {{{"name", "buyer.example"},
                       {"jwks",
                        {{"keys",
                          {httpsig::PublicJwk(buyer_.public_key),
                           httpsig::PublicJwk(revoked_.public_key)}}}},
                       {"revoked_kids", {"buyer-2025"}}}}}};
    json config = {{"adapters", {{"mock", {{"enabled", true}}}}},
                   {"request_signing", signing}};
    if (tenant == "localnews") {  // sandbox: keys from an http:// JWKS URL
      config["sandbox"] = true;
      config["request_signing"]["counterparties"].push_back(
          {{"name", "remote.example"},
           {"jwks_url", jwks_server_.url("/jwks.json")}});
    }
    return config.dump();
  }
  void ConfigureEdge(EdgeConfig& config) override {
    config.jwks_allowed = {*http::ParseCidr("127.0.0.1/32")};
  }

  // The signature headers of `body` POSTed to `target` of `tenant`, signed
  // by `key` when given, with the token.
  std::map<std::string, std::string> SignedHeaders(
      const std::string& tenant, const std::string& target,
      const std::string& body, const httpsig::SigningKeyPair* key,
      const std::string& token, const std::string& nonce) {
    return SignedHeadersVia(Host(tenant), target, body, key, token, nonce);
  }
  // The same, with the Host `host` (its URL signed as sent).
  std::map<std::string, std::string> SignedHeadersVia(
      const std::string& host, const std::string& target,
      const std::string& body, const httpsig::SigningKeyPair* key,
      const std::string& token, const std::string& nonce) {
    HttpMessage message{.method = "POST",
                        .url = absl::StrCat("http://", host, target),
                        .headers = {{"Content-Type", "application/json"}},
                        .body = body};
    if (key != nullptr) {
      EXPECT_TRUE(httpsig::SignMessage(
                      message, httpsig::kRequestSigning, key->public_key,
                      key->d,
                      nonce.empty()
                          ? absl::StrCat(absl::Dec(++nonces_, absl::kZeroPad4),
                                         "AAAAAAAAAAAAAAAAAAAA")
                          : nonce,
                      absl::Now())
                      .ok());
    }
    std::map<std::string, std::string> headers = {{"Host", host}};
    if (!token.empty()) headers["x-adcp-auth"] = token;
    for (const auto& [name, value] : message.headers)
      if (name != "Content-Type") headers[name] = value;
    return headers;
  }
  HttpReply Send(const std::string& tenant, const std::string& target,
                 const std::string& body, const httpsig::SigningKeyPair* key,
                 const std::string& token = "", const std::string& nonce = "") {
    return HttpCall(edge_->port(), "POST", target, body,
                    SignedHeaders(tenant, target, body, key, token, nonce));
  }
  // Another edge replica on the same suite: auth's shared replay cache, or
  // (shared false) only its own memory.
  std::unique_ptr<AgentEdge> AnotherEdge(bool shared) {
    return EdgeWithAuth(shared ? suite_->auth_address() : "");
  }
  // An edge replica whose shared replay cache is auth at `auth_address`
  // ("" none), with its metrics exposed.
  std::unique_ptr<AgentEdge> EdgeWithAuth(const std::string& auth_address) {
    EdgeConfig config;
    config.metrics_port = 0;
    config.http.bind_host = "127.0.0.1";
    config.http.port = 0;
    config.http.threads = 4;
    config.http.shutdown_grace = absl::Seconds(1);
    config.registry_address = suite_->registry_address();
    config.media_buy_address = suite_->media_buy_address();
    config.internal_token = suite_->internal_token();
    config.base_domains = {kBase};
    config.auth_address = auth_address;
    auto edge = AgentEdge::Start(config);
    EXPECT_TRUE(edge.ok()) << edge.status();
    return edge.ok() ? *std::move(edge) : nullptr;
  }
  static std::string McpCall(const std::string& tool, const json& arguments) {
    return json{{"jsonrpc", "2.0"},
                {"id", 1},
                {"method", "tools/call"},
                {"params", {{"name", tool}, {"arguments", arguments}}}}
        .dump();
  }
  // The lines of agent_replay_store_calls_total that `edge` exposes.
  static std::vector<std::string> ReplayStoreCalls(AgentEdge& edge) {
    const HttpReply metrics =
        HttpCall(edge.metrics_port(), "GET", "/metrics", "", {});
    std::vector<std::string> lines;
    for (absl::string_view line : absl::StrSplit(metrics.body, '\n'))
      if (absl::StartsWith(line, "agent_replay_store_calls_total{"))
        lines.emplace_back(line);
    return lines;
  }
  static std::string SignatureError(const HttpReply& reply) {
    auto found = reply.headers.find("www-authenticate");
    return found == reply.headers.end() ? "" : found->second;
  }

  httpsig::SigningKeyPair buyer_, revoked_, remote_;
  http::test_support::TestServer jwks_server_;
  int nonces_ = 0;
};

TEST_F(SignedRequestsTest, ASignedCallRunsAndItsReplayIsRefused) {
  const std::string body =
      McpCall("get_products", {{"buying_mode", "wholesale"}});
  const std::string nonce = "replayedNonceAAAAAAAAAAAAAAA";
  const HttpReply first =
      Send("nytimes", "/mcp", body, &buyer_, tokens_["nytimes"], nonce);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_FALSE(first.Json()["result"]["isError"].get<bool>()) << first.body;
  const HttpReply again =
      Send("nytimes", "/mcp", body, &buyer_, tokens_["nytimes"], nonce);
  EXPECT_EQ(again.status, 401) << again.body;
  EXPECT_EQ(SignatureError(again),
            "Signature error=\"request_signature_replayed\"");
}

TEST_F(SignedRequestsTest, EveryTransportChecksBeforeTheTaskRuns) {
  const json arguments = {{"buying_mode", "wholesale"}};
  // REST and A2A, signed: accepted.
  EXPECT_EQ(Send("nytimes", "/v1/get_products", arguments.dump(), &buyer_,
                 tokens_["nytimes"])
                .status,
            200);
  const std::string a2a = json{{"jsonrpc", "2.0"},
                               {"id", 1},
                               {"method", "message/send"},
                               {"params",
                                {{"message",
                                  {{"messageId", "m1"},
                                   {"role", "user"},
                                   {"parts",
                                    {{{"kind", "data"},
                                      {"data",
                                       {{"skill", "get_products"},
                                        {"parameters", arguments}}}}}}}}}}}
                              .dump();
  const HttpReply signed_a2a =
      Send("nytimes", "/a2a", a2a, &buyer_, tokens_["nytimes"]);
  EXPECT_EQ(signed_a2a.status, 200) << signed_a2a.body;
  EXPECT_EQ(SignatureError(signed_a2a), "");
  // A revoked key and an unknown key, on each transport.
  EXPECT_EQ(SignatureError(Send("nytimes", "/v1/get_products", arguments.dump(),
                                &revoked_, tokens_["nytimes"])),
            "Signature error=\"request_signature_key_revoked\"");
  EXPECT_EQ(
      SignatureError(Send("nytimes", "/mcp", McpCall("get_products", arguments),
                          &remote_, tokens_["nytimes"])),
      "Signature error=\"request_signature_key_unknown\"");
  EXPECT_EQ(SignatureError(
                Send("nytimes", "/a2a", a2a, &revoked_, tokens_["nytimes"])),
            "Signature error=\"request_signature_key_revoked\"");
}

TEST_F(SignedRequestsTest, TheDigestCoversTheExactBytesReceived) {
  HttpMessage message{
      .method = "POST",
      .url = absl::StrCat("http://", Host("nytimes"), "/v1/get_products"),
      .headers = {{"Content-Type", "application/json"}},
      .body = R"({"buying_mode":"wholesale"})"};
  ASSERT_TRUE(httpsig::SignMessage(message, httpsig::kRequestSigning,
                                   buyer_.public_key, buyer_.d,
                                   "tamperedAAAAAAAAAAAAAAAAAAAA", absl::Now())
                  .ok());
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : message.headers)
    if (name != "Content-Type") headers[name] = value;
  // The same JSON, other bytes (a space): the digest no longer matches.
  const HttpReply reply =
      Post(Host("nytimes"), "/v1/get_products",
           R"({"buying_mode": "wholesale"})", tokens_["nytimes"], headers);
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(SignatureError(reply),
            "Signature error=\"request_signature_digest_mismatch\"");
}

TEST_F(SignedRequestsTest, UnsignedCallsThatMustBeSigned) {
  // A required operation without a token.
  const HttpReply anonymous =
      Send("nytimes", "/v1/create_media_buy", R"({"buyer_ref":"x"})", nullptr);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(SignatureError(anonymous),
            "Signature error=\"request_signature_required\"");
  // With a token it goes on to the task (and its own validation).
  const HttpReply bearer =
      Send("nytimes", "/v1/create_media_buy", R"({"buyer_ref":"x"})", nullptr,
           tokens_["nytimes"]);
  EXPECT_NE(bearer.status, 401) << bearer.body;
  EXPECT_EQ(SignatureError(bearer), "");
  // Webhook credentials nested in MCP's arguments demand a signature, even
  // with a token.
  const HttpReply webhook =
      Send("nytimes", "/mcp",
           McpCall("update_media_buy",
                   {{"media_buy_id", "mb_1"},
                    {"push_notification_config",
                     {{"url", "https://buyer.example/hook"},
                      {"authentication",
                       {{"schemes", {"HMAC-SHA256"}},
                        {"credentials", std::string(32, 'c')}}}}}}),
           nullptr, tokens_["nytimes"]);
  EXPECT_EQ(webhook.status, 401) << webhook.body;
  EXPECT_EQ(SignatureError(webhook),
            "Signature error=\"request_signature_required\"");
}

// Two edge replicas: a nonce the first accepted is a replay at the second
// (auth's shared cache). Two replicas with only their own memory accept it
// twice: what the shared cache is for.
TEST_F(SignedRequestsTest, AReplayIsRefusedByAnotherEdgeReplica) {
  const std::string body = json{{"buying_mode", "wholesale"}}.dump();
  const std::string target = "/v1/get_products";
  for (const bool shared : {true, false}) {
    std::unique_ptr<AgentEdge> first = AnotherEdge(shared);
    std::unique_ptr<AgentEdge> second = AnotherEdge(shared);
    ASSERT_TRUE(first && second);
    const auto headers = SignedHeaders(
        "nytimes", target, body, &buyer_, tokens_["nytimes"],
        shared ? "sharedReplicaNonceAAAAAAAAA" : "localReplicaNonceAAAAAAAAAA");
    const HttpReply accepted =
        HttpCall(first->port(), "POST", target, body, headers);
    ASSERT_EQ(accepted.status, 200) << accepted.body;
    const HttpReply replayed =
        HttpCall(second->port(), "POST", target, body, headers);
    if (shared) {
      EXPECT_EQ(replayed.status, 401) << replayed.body;
      EXPECT_EQ(SignatureError(replayed),
                "Signature error=\"request_signature_replayed\"");
    } else {
      EXPECT_EQ(replayed.status, 200) << "memory-only replicas do not share";
    }
  }
}

TEST_F(SignedRequestsTest, TheSignedAuthorityMustAddressTheTenant) {
  const std::string body = json{{"buying_mode", "wholesale"}}.dump();
  const std::string target = "/tenants/nytimes/v1/get_products";
  int n = 0;
  auto send = [&](const std::string& host) {
    return HttpCall(
        edge_->port(), "POST", target, body,
        SignedHeadersVia(
            host, target, body, &buyer_, tokens_["nytimes"],
            absl::StrCat("authorityNonce", ++n, "AAAAAAAAAAAAAAA")));
  };
  // The path form under the bare base domain, and the tenant's own host.
  EXPECT_EQ(send(kBase).status, 200);
  EXPECT_EQ(send(Host("nytimes")).status, 200);
  // A signature over another tenant's host, or any other authority.
  for (const std::string& host :
       {Host("localnews"), std::string("attacker.example")}) {
    const HttpReply refused = send(host);
    EXPECT_EQ(refused.status, 401) << host << ": " << refused.body;
    EXPECT_EQ(SignatureError(refused),
              "Signature error=\"request_target_uri_malformed\"")
        << host;
  }
}

TEST_F(SignedRequestsTest, XForwardedProtoFromAClientIsNotBelieved) {
  // Signed as https (what a client behind no proxy of ours claims): the
  // edge's listener is http and the client is not in TRUSTED_PROXIES.
  const std::string body = json{{"buying_mode", "wholesale"}}.dump();
  const std::string target = "/v1/get_products";
  HttpMessage message{.method = "POST",
                      .url = absl::StrCat("https://", Host("nytimes"), target),
                      .headers = {{"Content-Type", "application/json"}},
                      .body = body};
  ASSERT_TRUE(httpsig::SignMessage(message, httpsig::kRequestSigning,
                                   buyer_.public_key, buyer_.d,
                                   "httpsClaimNonceAAAAAAAAAAA", absl::Now())
                  .ok());
  std::map<std::string, std::string> headers = {
      {"Host", Host("nytimes")},
      {"X-Forwarded-Proto", "https"},
      {"x-adcp-auth", tokens_["nytimes"]}};
  for (const auto& [name, value] : message.headers)
    if (name != "Content-Type") headers[name] = value;
  const HttpReply reply =
      HttpCall(edge_->port(), "POST", target, body, headers);
  EXPECT_EQ(reply.status, 401) << reply.body;
  EXPECT_EQ(SignatureError(reply),
            "Signature error=\"request_signature_invalid\"");
}

TEST_F(SignedRequestsTest, OneCallToTheSharedReplayCachePerSignedRequest) {
  std::unique_ptr<AgentEdge> edge = AnotherEdge(/*shared=*/true);
  ASSERT_TRUE(edge);
  const std::string body = json{{"buying_mode", "wholesale"}}.dump();
  const std::string target = "/v1/get_products";
  const auto headers =
      SignedHeaders("nytimes", target, body, &buyer_, tokens_["nytimes"],
                    "oneCallNonceAAAAAAAAAAAA");
  ASSERT_EQ(HttpCall(edge->port(), "POST", target, body, headers).status, 200);
  EXPECT_EQ(ReplayStoreCalls(*edge),
            std::vector<std::string>{
                R"(agent_replay_store_calls_total{outcome="recorded"} 1)"});
  // The replay is this replica's memory's to refuse: no call at all.
  EXPECT_EQ(HttpCall(edge->port(), "POST", target, body, headers).status, 401);
  EXPECT_EQ(ReplayStoreCalls(*edge).size(), 1u);
}

TEST_F(SignedRequestsTest, AnOutageOfTheSharedReplayCacheIsTransient) {
  // Auth's address with nothing listening: the nonce cannot be recorded.
  std::unique_ptr<AgentEdge> cut_off = EdgeWithAuth(
      absl::StrCat("127.0.0.1:", ::adcp::testing::FreeLoopbackPort()));
  ASSERT_TRUE(cut_off);
  const std::string body = json{{"buying_mode", "wholesale"}}.dump();
  const std::string target = "/v1/get_products";
  const auto headers =
      SignedHeaders("nytimes", target, body, &buyer_, tokens_["nytimes"],
                    "outageNonceAAAAAAAAAAAAA");
  for (int attempt = 0; attempt < 2; ++attempt) {  // not burned by the first
    const HttpReply reply =
        HttpCall(cut_off->port(), "POST", target, body, headers);
    EXPECT_EQ(reply.status, 503) << reply.body;
    EXPECT_EQ(reply.Json()["adcp_error"]["code"], "SERVICE_UNAVAILABLE");
    EXPECT_EQ(reply.Json()["adcp_error"]["recovery"], "transient");
    EXPECT_EQ(SignatureError(reply), "") << "not a signature refusal";
  }
  EXPECT_EQ(ReplayStoreCalls(*cut_off),
            std::vector<std::string>{
                R"(agent_replay_store_calls_total{outcome="unavailable"} 2)"});
  // With auth answering, the buyer's retry of the same request runs.
  std::unique_ptr<AgentEdge> connected = AnotherEdge(/*shared=*/true);
  ASSERT_TRUE(connected);
  EXPECT_EQ(HttpCall(connected->port(), "POST", target, body, headers).status,
            200);
}

TEST_F(SignedRequestsTest, KeysFromAJwksUrlThroughTheGuard) {
  const std::string body = json{{"buying_mode", "wholesale"}}.dump();
  const HttpReply reply = Send("localnews", "/v1/get_products", body, &remote_,
                               tokens_["localnews"]);
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(Send("localnews", "/v1/get_products", body, &remote_,
                 tokens_["localnews"])
                .status,
            200);
  EXPECT_EQ(jwks_server_.requests().size(), 1u) << "cached for its TTL";
  // An edge whose guard admits no internal range does not fetch from
  // 127.0.0.1: the key stays unknown.
  std::unique_ptr<AgentEdge> guarded = AnotherEdge(/*shared=*/false);
  ASSERT_NE(guarded, nullptr);
  const std::string target = "/v1/get_products";
  const HttpReply refused =
      HttpCall(guarded->port(), "POST", target, body,
               SignedHeaders("localnews", target, body, &remote_,
                             tokens_["localnews"], ""));
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(SignatureError(refused),
            "Signature error=\"request_signature_key_unknown\"");
  EXPECT_EQ(jwks_server_.requests().size(), 1u);
}

TEST_F(SignedRequestsTest, TheProbeEndpointIsSandboxOnlyAndRunsNoTask) {
  const std::string body = R"({"plan_id":"plan_001"})";
  const HttpReply probe =
      Send("localnews", "/mcp/adcp/create_media_buy", body, &buyer_);
  ASSERT_EQ(probe.status, 200) << probe.body;
  EXPECT_EQ(probe.Json()["signature"], "verified");
  EXPECT_EQ(probe.Json()["task_run"], false);
  EXPECT_EQ(SignatureError(
                Send("localnews", "/adcp/create_media_buy", body, nullptr)),
            "Signature error=\"request_signature_required\"");
  EXPECT_EQ(Send("nytimes", "/mcp/adcp/create_media_buy", body, &buyer_).status,
            404)
      << "not a sandbox tenant";
}

TEST_F(SignedRequestsTest, CapabilitiesDeclareRequestSigning) {
  const json result = ToolCall(Host("nytimes"), "/mcp", "get_adcp_capabilities",
                               json::object(), tokens_["nytimes"]);
  const json& signing =
      result["result"]["structuredContent"]["request_signing"];
  EXPECT_EQ(signing["supported"], true) << result.dump();
  EXPECT_EQ(signing["covers_content_digest"], "either");
  EXPECT_EQ(signing["required_for"], json({"create_media_buy"}));
}

// Nine labels: over the bound, refused before the fields are parsed (the
// checklist itself would answer params_incomplete for these).
TEST_F(SignedRequestsTest, SignatureFieldsOverTheirBoundsAreMalformed) {
  std::string labels;
  for (int i = 1; i <= 9; ++i)
    absl::StrAppend(&labels, i > 1 ? ", " : "", "sig", i, "=(\"@method\")");
  const HttpReply reply =
      Post(Host("nytimes"), "/v1/get_products",
           R"({"buying_mode":"wholesale"})", tokens_["nytimes"],
           {{"Signature-Input", labels}, {"Signature", "sig1=:AAAA:"}});
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(SignatureError(reply),
            "Signature error=\"request_signature_header_malformed\"");
}

}  // namespace
}  // namespace adcp::agent_edge
