// The tenants' webhook-signing keys on the edge: brand.json names the sales
// agent and its jwks_uri, the JWKS there holds exactly the tenant's own
// public keys (media-buy's, made before first use), by Host and by
// /tenants/{subdomain}; an unknown tenant is 404 as for MCP; one fetch per
// tenant per ttl; a rotated key stays published beside the new one;
// concurrent misses share one fetch, a failure is remembered for a while,
// and the cache's size is bounded.
#include "services/agent-edge/published_keys.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <atomic>
#include <thread>

#include "absl/strings/escaping.h"
#include "adcp/media_buy/v1/media_buy.grpc.pb.h"
#include "libs/tenancy/service_channel.h"
#include "services/agent-edge/edge_test_fixture.h"

namespace adcp::agent_edge {
namespace {

class PublishedKeysTest : public AgentEdgeTest {
 protected:
  ::adcp::testing::SuiteOptions Options() override {
    ::adcp::testing::SuiteOptions options;
    options.configure_media_buy = [](media_buy::MediaBuyConfig& config) {
      config.webhook_vault = *httpsig::KeyVault::Parse(
          absl::StrCat("k1:", absl::WebSafeBase64Escape(std::string(32, 'p'))));
    };
    return options;
  }

  HttpReply Get(const std::string& host, const std::string& target) {
    return HttpCall(edge_->port(), "GET", target, "", {{"Host", host}});
  }

  static std::set<std::string> Kids(const json& jwks) {
    std::set<std::string> kids;
    for (const json& key : jwks.value("keys", json::array()))
      kids.insert(key.value("kid", ""));
    return kids;
  }
};

TEST_F(PublishedKeysTest, BrandJsonNamesTheSalesAgentAndItsJwks) {
  const HttpReply by_path =
      Get("127.0.0.1", "/tenants/nytimes/.well-known/brand.json");
  ASSERT_EQ(by_path.status, 200) << by_path.body;
  const json agent = by_path.Json()["agents"][0];
  EXPECT_EQ(agent["type"], "sales");
  EXPECT_EQ(agent["id"], "nytimes");
  EXPECT_EQ(agent["url"], "http://127.0.0.1/tenants/nytimes/mcp");
  EXPECT_EQ(agent["jwks_uri"],
            "http://127.0.0.1/tenants/nytimes/.well-known/jwks.json");

  const HttpReply by_host = Get(Host("nytimes"), "/.well-known/brand.json");
  ASSERT_EQ(by_host.status, 200) << by_host.body;
  EXPECT_EQ(by_host.Json()["agents"][0]["jwks_uri"],
            "http://nytimes.sales.test/.well-known/jwks.json");
}

TEST_F(PublishedKeysTest, EachTenantPublishesOnlyItsOwnPublicKey) {
  const HttpReply ny = Get(Host("nytimes"), "/.well-known/jwks.json");
  ASSERT_EQ(ny.status, 200) << ny.body;
  EXPECT_EQ(ny.headers.at("content-type"), "application/jwk-set+json");
  const json keys = ny.Json()["keys"];
  ASSERT_EQ(keys.size(), 1u) << ny.body;
  EXPECT_EQ(keys[0]["kty"], "OKP");
  EXPECT_EQ(keys[0]["crv"], "Ed25519");
  EXPECT_EQ(keys[0]["adcp_use"], "webhook-signing");
  EXPECT_FALSE(keys[0].contains("d")) << "a private member is published";
  // The key published is the one that signs.
  auto signing =
      suite_->media_buy_server(0).webhook_keys().ForSigning("nytimes");
  ASSERT_TRUE(signing.ok()) << signing.status();
  EXPECT_EQ(keys[0]["kid"], signing->public_key.kid);

  const HttpReply local =
      Get("127.0.0.1", "/tenants/localnews/.well-known/jwks.json");
  ASSERT_EQ(local.status, 200) << local.body;
  const std::set<std::string> local_kids = Kids(local.Json());
  ASSERT_EQ(local_kids.size(), 1u);
  EXPECT_FALSE(local_kids.count(keys[0]["kid"].get<std::string>()));
}

TEST_F(PublishedKeysTest, UnknownTenantIsNotFoundAsForMcp) {
  for (const char* document : {"jwks.json", "brand.json"}) {
    const HttpReply host =
        Get(Host("nosuch"), absl::StrCat("/.well-known/", document));
    EXPECT_EQ(host.status, 404);
    EXPECT_EQ(host.Json(), json({{"error", "Tenant not found"}}));
    const HttpReply path = Get(
        "127.0.0.1", absl::StrCat("/tenants/nosuch/.well-known/", document));
    EXPECT_EQ(path.status, 404);
    EXPECT_EQ(path.Json(), json({{"error", "Tenant not found"}}));
  }
  EXPECT_EQ(HttpCall(edge_->port(), "POST", "/.well-known/jwks.json", "{}",
                     {{"Host", Host("nytimes")}})
                .status,
            405);
}

TEST_F(PublishedKeysTest, OneFetchPerTtlAndRotationKeepsTheOldKey) {
  absl::Time now = absl::FromUnixSeconds(1800000000);
  PublishedKeys published(
      MakeServiceChannel(suite_->media_buy_address(), suite_->internal_token()),
      PublishedKeysOptions{.ttl = absl::Seconds(60)}, [&] { return now; });
  auto first = published.Get("nytimes");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->max_age, absl::Seconds(60));
  now += absl::Seconds(59);
  auto cached = published.Get("nytimes");
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(cached->body, first->body);
  EXPECT_EQ(cached->max_age, absl::Seconds(1));
  EXPECT_EQ(published.fetches(), 1);

  const std::set<std::string> before = Kids(json::parse(first->body));
  ASSERT_EQ(before.size(), 1u);
  ASSERT_TRUE(
      suite_->media_buy_server(0).webhook_keys().Rotate("nytimes").ok());
  // Still the cached set until the ttl runs out...
  EXPECT_EQ(Kids(json::parse(published.Get("nytimes")->body)), before);
  now += absl::Seconds(2);
  // ...then the new key beside the old one (its overlap).
  auto rotated = published.Get("nytimes");
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(published.fetches(), 2);
  const std::set<std::string> after = Kids(json::parse(rotated->body));
  EXPECT_EQ(after.size(), 2u);
  EXPECT_TRUE(after.count(*before.begin()));
  auto signing =
      suite_->media_buy_server(0).webhook_keys().ForSigning("nytimes");
  ASSERT_TRUE(signing.ok());
  EXPECT_NE(signing->public_key.kid, *before.begin());
  EXPECT_TRUE(after.count(signing->public_key.kid));
}

// A media-buy that only gives signing keys, slowly (or fails), and counts
// the calls: what the edge's cache spares it.
class SlowKeys final : public media_buy::v1::MediaBuyService::Service {
 public:
  grpc::Status GetWebhookSigningKeys(
      grpc::ServerContext*, const media_buy::v1::GetWebhookSigningKeysRequest*,
      media_buy::v1::GetWebhookSigningKeysResponse*) override {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms.load()));
    return failing ? grpc::Status(grpc::StatusCode::INTERNAL, "down")
                   : grpc::Status::OK;
  }
  std::atomic<int> calls{0};
  std::atomic<int> delay_ms{0};
  std::atomic<bool> failing{false};
};

class PublishedKeysCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&keys_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(); }

  PublishedKeys Cache(PublishedKeysOptions options) {
    return PublishedKeys(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                            grpc::InsecureChannelCredentials()),
        options, [this] { return now_; });
  }

  SlowKeys keys_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  absl::Time now_ = absl::FromUnixSeconds(1800000000);
};

TEST_F(PublishedKeysCacheTest, ConcurrentMissesOfATenantShareOneFetch) {
  keys_.delay_ms = 300;
  PublishedKeys published = Cache({});
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] { ok += published.Get("nytimes").ok() ? 1 : 0; });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(keys_.calls, 1);
}

TEST_F(PublishedKeysCacheTest, AFailureIsRememberedForItsTtlOnly) {
  keys_.failing = true;
  PublishedKeys published = Cache({.failure_ttl = absl::Seconds(5)});
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(published.Get("nytimes").status().code(),
              absl::StatusCode::kUnavailable);
  EXPECT_EQ(keys_.calls, 1);
  keys_.failing = false;
  now_ += absl::Seconds(6);
  EXPECT_TRUE(published.Get("nytimes").ok());
  EXPECT_EQ(keys_.calls, 2);
}

TEST_F(PublishedKeysCacheTest, BeyondItsSizeTheLeastRecentlyFetchedGoes) {
  PublishedKeys published = Cache({.max_tenants = 2});
  ASSERT_TRUE(published.Get("a").ok());
  now_ += absl::Seconds(1);
  ASSERT_TRUE(published.Get("b").ok());
  now_ += absl::Seconds(1);
  ASSERT_TRUE(published.Get("c").ok());  // a goes
  EXPECT_EQ(keys_.calls, 3);
  ASSERT_TRUE(published.Get("b").ok());
  ASSERT_TRUE(published.Get("c").ok());
  EXPECT_EQ(keys_.calls, 3);
  ASSERT_TRUE(published.Get("a").ok());  // fetched again; b goes
  EXPECT_EQ(keys_.calls, 4);
  ASSERT_TRUE(published.Get("c").ok());
  EXPECT_EQ(keys_.calls, 4);
}

}  // namespace
}  // namespace adcp::agent_edge
