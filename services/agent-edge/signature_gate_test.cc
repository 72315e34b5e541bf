// The signature gate's parts that need no suite: the JWKS cache against
// real HTTP servers on 127.0.0.1 (a slow host holds only its own URL's
// lookups; one fetch per URL however many ask), and the counterparty key
// sets built once per version of a tenant's config.
#include "services/agent-edge/signature_gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "libs/http/test_server.h"
#include "libs/httpsig/key_vault.h"
#include "tests/support/eventually.h"

namespace adcp::agent_edge {
namespace {

using ::adcp::testing::Eventually;
using http::test_support::Answer;
using http::test_support::SeenRequest;
using http::test_support::TestServer;

std::string JwksOf(const std::string& kid) {
  return nlohmann::json{
      {"keys",
       {httpsig::PublicJwk(
           httpsig::GenerateSigningKey(kid, "request-signing").public_key)}}}
      .dump();
}

TEST(JwksCacheTest, ASlowHostHoldsOnlyItsOwnUrlAndIsFetchedOnce) {
  std::atomic<bool> release{false};
  const std::string slow_jwks = JwksOf("slow-key"),
                    fast_jwks = JwksOf("fast-key");
  TestServer slow([&](const SeenRequest&) {
    while (!release.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Answer{.status = 200, .body = slow_jwks};
  });
  TestServer fast([&](const SeenRequest&) {
    return Answer{.status = 200, .body = fast_jwks};
  });
  http::Client client;
  JwksCache cache(client, {.timeout = absl::Seconds(10)});
  const absl::Time now = absl::Now();
  // Three lookups of the slow URL at once: one fetch.
  std::vector<std::future<absl::StatusOr<std::vector<httpsig::Jwk>>>> waiting;
  for (int i = 0; i < 3; ++i)
    waiting.push_back(std::async(std::launch::async, [&] {
      return cache.Keys(slow.url("/jwks.json"), now);
    }));
  ASSERT_TRUE(Eventually([&] { return slow.requests().size() == 1; }));
  // Meanwhile another tenant's URL is answered at once.
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<httpsig::Jwk>> other =
      cache.Keys(fast.url("/jwks.json"), now);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0].kid, "fast-key");
  release = true;
  for (auto& lookup : waiting) {
    absl::StatusOr<std::vector<httpsig::Jwk>> keys = lookup.get();
    ASSERT_TRUE(keys.ok()) << keys.status();
    EXPECT_EQ((*keys)[0].kid, "slow-key");
  }
  EXPECT_EQ(slow.requests().size(), 1u);
  EXPECT_EQ(cache.fetches(), 2);
}

TEST(JwksCacheTest, FetchesBeyondTheBoundAreRefusedNotQueued) {
  std::atomic<bool> release{false};
  TestServer slow([&](const SeenRequest&) {
    while (!release.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Answer{.status = 200, .body = JwksOf("k")};
  });
  http::Client client;
  JwksCache cache(client,
                  {.timeout = absl::Seconds(10), .max_concurrent_fetches = 1});
  const absl::Time now = absl::Now();
  auto first = std::async(std::launch::async,
                          [&] { return cache.Keys(slow.url("/a"), now); });
  ASSERT_TRUE(Eventually([&] { return slow.requests().size() == 1; }));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<httpsig::Jwk>> refused =
      cache.Keys(slow.url("/b"), now);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_TRUE(absl::IsUnavailable(refused.status())) << refused.status();
  release = true;
  EXPECT_TRUE(first.get().ok());
}

TEST(SignatureGateTest, KeySetsAreBuiltOncePerConfigVersion) {
  SignatureGate gate({}, {}, nullptr, {"sales.test"});
  tenant::v1::Tenant tenant;
  tenant.set_tenant_id("nytimes");
  tenant.set_subdomain("nytimes");
  tenant.mutable_config()->mutable_request_signing()->set_supported(true);
  tenant.mutable_updated_at()->set_seconds(1000);
  http::Request request{boost::beast::http::verb::post, "/v1/get_products", 11};
  request.set(boost::beast::http::field::host, "nytimes.sales.test");
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(
        gate.Check(request, tenant, "get_products", true, nullptr).ok());
  EXPECT_EQ(gate.key_sets_built(), 1);
  tenant.mutable_updated_at()->set_nanos(1000);  // the config changed
  EXPECT_TRUE(gate.Check(request, tenant, "get_products", true, nullptr).ok());
  EXPECT_EQ(gate.key_sets_built(), 2);
}

}  // namespace
}  // namespace adcp::agent_edge
