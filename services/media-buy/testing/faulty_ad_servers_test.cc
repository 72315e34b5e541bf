// The fake ad servers of ./dev chaos over real HTTP: the control and query
// endpoints, and the real Kevel adapter against each fault (the half-placed
// order resumed without a second campaign).
#include "services/media-buy/testing/faulty_ad_servers.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/adapters/gam/gam_adapter_test_fixture.h"
#include "services/media-buy/adapters/http_transport.h"
#include "services/media-buy/adapters/kevel/kevel_adapter.h"
#include "services/media-buy/testing/adapter_fixtures.h"

namespace adcp::media_buy::testing {
namespace {

using json = nlohmann::json;

constexpr char kKey[] = "chaos-key-localnews";

class FaultyAdServersTest : public ::testing::Test {
 protected:
  FaultyAdServersTest() : servers_(Options()) {
    EXPECT_TRUE(servers_.Start().ok());
    deps_.transport = transport_;
    deps_.breakers = std::make_shared<CircuitBreakers>([] { return Now(); });
    deps_.secrets = FixedSecretStore({{"kevel-chaos", kKey}});
    deps_.policy.timeout = absl::Milliseconds(400);
    deps_.policy.max_attempts = 1;
    deps_.policy.breaker_threshold = 100;
    deps_.sleep = [](absl::Duration) {};
  }

  static http::ServerOptions Options() {
    http::ServerOptions options;
    options.bind_host = "127.0.0.1";
    options.shutdown_grace = absl::Milliseconds(100);
    return options;
  }
  static absl::Time Now() { return absl::FromUnixSeconds(1768435200); }

  std::string Url(const std::string& target) const {
    return absl::StrCat("http://127.0.0.1:", servers_.port(), target);
  }

  HttpResponse Send(const std::string& method, const std::string& target) {
    auto response = transport_->Send(
        {.method = method, .url = Url(target), .body = ""}, absl::Seconds(5));
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : HttpResponse{};
  }

  absl::Status Create(CreatedOrder& order) {
    AdapterContext context = KevelContext(Url(""), "kevel-chaos", Now);
    auto adapter = KevelAdapterFactory(deps_)(context);
    EXPECT_TRUE(adapter.ok()) << adapter.status();
    AdapterBuy buy = JanuaryBuy("localnews");
    buy.packages.push_back({.package_id = "pkg_1",
                            .product_id = "display",
                            .pricing_model = "cpm",
                            .budget = 5000 * kMicrosPerUnit,
                            .rate = 12500000});
    return (*adapter)->CreateMediaBuy(buy, order);
  }

  // The Ad Manager adapter of network 123456 against the fakes.
  absl::Status CreateOnGam(CreatedOrder& order) {
    static const std::string key =
        json({{"type", "service_account"},
              {"client_email", "chaos@example.com"},
              {"private_key_id", "kid-1"},
              {"private_key", gam_test::RsaKeyPair().first},
              {"token_uri", Url("/token")}})
            .dump();
    AdapterDeps deps = deps_;
    deps.secrets = FixedSecretStore({{"gam-chaos", key}});
    AdapterContext context = GamContext(Url(""), "gam-chaos", Now);
    auto adapter = GamAdapterFactory(deps)(context);
    EXPECT_TRUE(adapter.ok()) << adapter.status();
    AdapterBuy buy = JanuaryBuy("nytimes");
    buy.packages.push_back({.package_id = "pkg_1",
                            .pricing_model = "cpm",
                            .delivery_type = "guaranteed",
                            .budget = 5000 * kMicrosPerUnit,
                            .rate = 12500000});
    return (*adapter)->CreateMediaBuy(buy, order);
  }

  json Orders() { return json::parse(Send("GET", "/orders").body)["orders"]; }

  void SetFault(const std::string& fault) {
    EXPECT_EQ(Send("POST", absl::StrCat("/control?account=kevel:", kKey,
                                        "&fault=", fault))
                  .status,
              200);
  }

  std::shared_ptr<HttpTransport> transport_ = CurlHttpTransport();
  FaultyAdServers servers_;
  AdapterDeps deps_;
};

TEST_F(FaultyAdServersTest, RecordsTheOrdersAnAccountCreated) {
  CreatedOrder order;
  ASSERT_TRUE(Create(order).ok());
  const json orders = Orders();
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0]["account"], absl::StrCat("kevel:", kKey));
  EXPECT_EQ(orders[0]["name"], "AdCP mb_1");
  EXPECT_EQ(orders[0]["id"], order.order_id);
  EXPECT_EQ(orders[0]["lines"], 1);
  EXPECT_TRUE(
      json::parse(Send("GET", "/orders?account=kevel:other").body)["orders"]
          .empty());
}

TEST_F(FaultyAdServersTest, ControlRefusesAnUnknownFault) {
  EXPECT_EQ(Send("POST", "/control?account=kevel:x&fault=melt").status, 400);
  EXPECT_EQ(Send("POST", "/control?fault=hang").status, 400);
}

TEST_F(FaultyAdServersTest, Error500CreatesNothing) {
  SetFault("error500");
  CreatedOrder order;
  EXPECT_FALSE(Create(order).ok());
  EXPECT_TRUE(Orders().empty());
  SetFault("normal");
  EXPECT_TRUE(Create(order).ok());
  EXPECT_EQ(Orders().size(), 1u);
}

TEST_F(FaultyAdServersTest, HangTimesOutAndCreatesNothing) {
  SetFault("hang");
  CreatedOrder order;
  const absl::Status created = Create(order);
  EXPECT_FALSE(created.ok());
  EXPECT_TRUE(Orders().empty());
}

TEST_F(FaultyAdServersTest, HalfPlacedOrderResumesWithoutASecondCampaign) {
  SetFault("drop_after_accept");
  CreatedOrder order;
  EXPECT_FALSE(Create(order).ok());  // the campaign exists, the answer lost
  EXPECT_EQ(order.failed_step, "create_campaign");
  ASSERT_EQ(Orders().size(), 1u);
  SetFault("normal");
  ASSERT_TRUE(Create(order).ok());  // the same buy again: found by name
  const json orders = Orders();
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0]["id"], order.order_id);
  EXPECT_EQ(orders[0]["lines"], 1);
}

// The order's name is quoted in the look-up ("WHERE name = 'AdCP mb_1'"):
// a retried create finds the order whose answer was lost.
TEST_F(FaultyAdServersTest, HalfPlacedGamOrderIsFoundByName) {
  EXPECT_EQ(Send("POST", "/control?account=gam:123456&fault=drop_after_accept")
                .status,
            200);
  CreatedOrder order;
  EXPECT_FALSE(CreateOnGam(order).ok());
  ASSERT_EQ(Orders().size(), 1u);
  EXPECT_EQ(Orders()[0]["account"], "gam:123456");
  EXPECT_EQ(Send("POST", "/control?account=gam:123456&fault=normal").status,
            200);
  ASSERT_TRUE(CreateOnGam(order).ok());
  const json orders = Orders();
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0]["name"], "AdCP mb_1");
  EXPECT_EQ(orders[0]["id"], order.order_id);
  EXPECT_EQ(orders[0]["lines"], 1);
}

TEST_F(FaultyAdServersTest, SlowAnswersAfterTwoSeconds) {
  SetFault("slow");
  const absl::Time start = absl::Now();
  EXPECT_EQ(Send("GET", "/apis/x").status, 200);  // another account
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  auto slow = transport_->Send({.method = "GET",
                                .url = Url("/v1/campaign"),
                                .headers = {{"X-Adzerk-ApiKey", kKey}}},
                               absl::Seconds(5));
  ASSERT_TRUE(slow.ok()) << slow.status();
  EXPECT_EQ(slow->status, 200);
  EXPECT_GE(absl::Now() - start, absl::Seconds(2));
}

}  // namespace
}  // namespace adcp::media_buy::testing
