// The Google Ad Manager adapter against a fake Ad Manager: the JWT bearer
// flow and the calls that create an order and its line items, faults,
// retries, resuming, dry runs and the key kept from logs
// (gam_updates_test.cc has changes, delivery and creatives).
#include <gtest/gtest.h>

#include "services/media-buy/adapters/gam/gam_adapter_test_fixture.h"

namespace adcp::media_buy::gam_test {
namespace {

TEST_F(GamAdapterTest, CreateSignsAJwtAndSendsOrderLineItemsAndApproval) {
  CreatedOrder order;
  ASSERT_TRUE(Adapter(Context())->CreateMediaBuy(Buy(), order).ok());

  // The JWT bearer flow, once.
  auto tokens = TokenRequests();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].method, "POST");
  EXPECT_EQ(tokens[0].headers["content-type"],
            "application/x-www-form-urlencoded");
  auto form = Form(tokens[0].body);
  EXPECT_EQ(form["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");
  const std::string jwt = form["assertion"];
  EXPECT_TRUE(VerifyRs256(jwt, keys_.second));
  EXPECT_EQ(JwtPart(jwt, 0),
            json({{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "kid-1"}}));
  const json claims = JwtPart(jwt, 1);
  EXPECT_EQ(claims["iss"], "adcp@proj.iam.gserviceaccount.com");
  EXPECT_EQ(claims["scope"], "https://www.googleapis.com/auth/dfp");
  EXPECT_EQ(claims["aud"], server_.base_url() + "/token");
  EXPECT_EQ(claims["iat"], absl::ToUnixSeconds(now_));
  EXPECT_EQ(claims["exp"], absl::ToUnixSeconds(now_) + 3600);

  // The order: looked up by name first (a lost answer is not a duplicate).
  auto lookups = Soaps("getOrdersByStatement");
  ASSERT_EQ(lookups.size(), 1u);
  EXPECT_EQ(Call(lookups[0]).Find("query")->text, "WHERE name = 'AdCP mb_1'");
  auto orders = Soaps("createOrders");
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].target, "/apis/ads/publisher/v202511/OrderService");
  EXPECT_EQ(orders[0].headers["authorization"],
            std::string("Bearer ") + kAccessToken);
  EXPECT_EQ(orders[0].headers["content-type"], "text/xml; charset=utf-8");
  auto envelope = ParseXml(orders[0].body);
  ASSERT_TRUE(envelope.ok());
  EXPECT_EQ(envelope->name, "soapenv:Envelope");
  const XmlNode* header = envelope->Find("RequestHeader");
  ASSERT_NE(header, nullptr);
  EXPECT_EQ(header->ChildText("networkCode"), "123456");
  const XmlNode create_orders = Call(orders[0]);
  const XmlNode* created = create_orders.Child("orders");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->ChildText("name"), "AdCP mb_1");
  EXPECT_EQ(created->ChildText("advertiserId"),
            "555");  // the principal's company
  EXPECT_EQ(created->ChildText("traffickerId"), "777");

  // One line item per package, typed from delivery type and pricing.
  auto items = Soaps("createLineItems");
  ASSERT_EQ(items.size(), 2u);
  const XmlNode standard = *Call(items[0]).Child("lineItems");
  EXPECT_EQ(standard.ChildText("orderId"), order.order_id);
  EXPECT_EQ(standard.ChildText("name"), "AdCP mb_1 pkg_1");
  EXPECT_EQ(standard.ChildText("lineItemType"), "STANDARD");
  EXPECT_EQ(standard.ChildText("costType"), "CPM");
  EXPECT_EQ(standard.Child("costPerUnit")->ChildText("microAmount"),
            "12500000");
  EXPECT_EQ(standard.Child("costPerUnit")->ChildText("currencyCode"), "USD");
  EXPECT_EQ(standard.Child("primaryGoal")->ChildText("goalType"), "LIFETIME");
  EXPECT_EQ(standard.Child("primaryGoal")->ChildText("unitType"),
            "IMPRESSIONS");
  EXPECT_EQ(standard.Child("primaryGoal")->ChildText("units"), "400000");
  EXPECT_EQ(standard.ChildText("deliveryRateType"), "EVENLY");
  // 2026-01-01T00:00Z in the network's zone.
  const XmlNode* start = standard.Child("startDateTime");
  EXPECT_EQ(start->Child("date")->ChildText("year"), "2025");
  EXPECT_EQ(start->Child("date")->ChildText("day"), "31");
  EXPECT_EQ(start->ChildText("hour"), "19");
  EXPECT_EQ(start->ChildText("timeZoneId"), "America/New_York");
  EXPECT_EQ(standard.FindAll("creativePlaceholders").size(), 2u);
  EXPECT_EQ(standard.Find("targetedAdUnits")->ChildText("adUnitId"), "2001");
  const XmlNode priced = *Call(items[1]).Child("lineItems");
  EXPECT_EQ(priced.ChildText("lineItemType"), "PRICE_PRIORITY");
  EXPECT_EQ(priced.ChildText("deliveryRateType"), "AS_FAST_AS_POSSIBLE");
  EXPECT_EQ(priced.Child("primaryGoal")->ChildText("units"), "200000");

  auto approvals = Soaps("performOrderAction");
  ASSERT_EQ(approvals.size(), 1u);
  const XmlNode approve = Call(approvals[0]);
  EXPECT_EQ(approve.Child("orderAction")->attributes,
            (std::vector<std::pair<std::string, std::string>>{
                {"xsi:type", "ApproveOrders"}}));
  EXPECT_EQ(approve.Find("query")->text, "WHERE id = " + order.order_id);
  EXPECT_EQ(order.line_ids.size(), 2u);
  EXPECT_EQ(order.upstream["approved"], true);

  // The token is reused by later adapters of the process.
  AdapterBuy placed = Buy();
  placed.order_id = order.order_id;
  ASSERT_TRUE(
      Adapter(Context())->UpdateMediaBuy(placed, {.paused = true}).ok());
  EXPECT_EQ(TokenRequests().size(), 1u);
}

TEST_F(GamAdapterTest, AnOrderThatExistsIsNotCreatedAgain) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") && Method(r) == "getOrdersByStatement")
      return Soap(
          "<getOrdersByStatementResponse><rval><totalResultSetSize>1"
          "</totalResultSetSize><results><id>4242</id><name>AdCP mb_1"
          "</name></results></rval></getOrdersByStatementResponse>");
    return HappyGam(r);
  });
  CreatedOrder order;
  ASSERT_TRUE(Adapter(Context())->CreateMediaBuy(Buy(), order).ok());
  EXPECT_EQ(order.order_id, "4242");
  EXPECT_TRUE(Soaps("createOrders").empty());
}

TEST_F(GamAdapterTest, AFaultIsARefusalThatSaysWhatWasRefused) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") && Method(r) == "createOrders")
      return Fault("RequiredError.REQUIRED", "orders[0].traffickerId");
    return HappyGam(r);
  });
  CreatedOrder order;
  absl::Status refused = Adapter(Context())->CreateMediaBuy(Buy(), order);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(
      refused.message(),
      "Google Ad Manager refused createOrders for mb_1: HTTP 500: "))
      << refused.message();
  EXPECT_TRUE(absl::StrContains(
      refused.message(), "RequiredError.REQUIRED @ orders[0].traffickerId"));
  EXPECT_EQ(order.failed_step, "create_order");
  EXPECT_EQ(Soaps("createOrders").size(), 1u);
  EXPECT_EQ(deps_.breakers->State("nytimes/google_ad_manager"), "closed");
}

TEST_F(GamAdapterTest, ServerErrorsOfReadsAreRetried) {
  std::atomic<int> reads{0};
  server_.SetScript([&reads](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") && Method(r) == "getOrdersByStatement" &&
        reads++ == 0)
      return Fault("ServerError.SERVER_ERROR");
    return HappyGam(r);
  });
  CreatedOrder order;
  ASSERT_TRUE(Adapter(Context())->CreateMediaBuy(Buy(), order).ok());
  EXPECT_EQ(Soaps("getOrdersByStatement").size(), 2u);
}

TEST_F(GamAdapterTest, HalfwayFailureResumesWithoutDuplicates) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") && Method(r) == "createLineItems" &&
        absl::StrContains(r.body, "pkg_2"))
      return Fault("ServerError.SERVER_ERROR");
    return HappyGam(r);
  });
  CreatedOrder order;
  absl::Status failed = Adapter(Context())->CreateMediaBuy(Buy(), order);
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(order.failed_step, "create_line_item:pkg_2");
  EXPECT_EQ(order.upstream["uncertain"], "create_line_item:pkg_2");
  EXPECT_EQ(order.line_ids.count("pkg_1"), 1u);
  EXPECT_TRUE(Soaps("performOrderAction").empty());  // not approved
  EXPECT_EQ(Soaps("createLineItems").size(), 2u);    // a create is sent once

  // Ad Manager did create it after all: the retry finds it by name.
  const std::string order_id = order.order_id;
  server_.SetScript([order_id](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") &&
        Method(r) == "getLineItemsByStatement")
      return Soap("<getLineItemsByStatementResponse><rval><results><orderId>" +
                  order_id +
                  "</orderId><id>990</id><name>AdCP mb_1 pkg_2</name></results>"
                  "</rval></getLineItemsByStatementResponse>");
    return HappyGam(r);
  });
  server_.Clear();
  AdapterBuy retry = Buy();
  retry.order_id = order.order_id;
  retry.packages[0].line_id = order.line_ids["pkg_1"];
  retry.upstream = order.upstream;
  CreatedOrder resumed{.order_id = order.order_id,
                       .line_ids = order.line_ids,
                       .upstream = order.upstream};
  ASSERT_TRUE(Adapter(Context())->CreateMediaBuy(retry, resumed).ok());
  EXPECT_TRUE(Soaps("createOrders").empty());
  EXPECT_TRUE(Soaps("getOrdersByStatement").empty());
  EXPECT_TRUE(Soaps("createLineItems").empty());
  EXPECT_EQ(Call(Soaps("getLineItemsByStatement")[0]).Find("query")->text,
            "WHERE orderId = " + order.order_id);
  EXPECT_EQ(resumed.line_ids["pkg_2"], "990");
  EXPECT_EQ(Soaps("performOrderAction").size(), 1u);
  EXPECT_TRUE(resumed.failed_step.empty());
}

TEST_F(GamAdapterTest, DryRunSendsNothingNotEvenForAToken) {
  ::testing::internal::CaptureStderr();
  auto adapter = Adapter(Context(/*dry_run=*/true));
  CreatedOrder order;
  ASSERT_TRUE(adapter->CreateMediaBuy(Buy(), order).ok());
  AdapterBuy buy = Buy();
  buy.order_id = order.order_id;
  ASSERT_TRUE(adapter->UpdateMediaBuy(buy, {.paused = true}).ok());
  ASSERT_TRUE(adapter->GetDelivery(buy, now_).ok());
  const std::string logs = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(server_.requests().empty());
  EXPECT_EQ(order.line_ids.size(), 2u);
  const auto journal = adapter->Journal();
  ASSERT_FALSE(journal.empty());
  EXPECT_TRUE(
      journal[0].starts_with("POST " + server_.base_url() +
                             "/apis/ads/publisher/v202511/OrderService"));
  EXPECT_TRUE(absl::StrContains(logs, "createOrders")) << logs;
}

TEST_F(GamAdapterTest, TheKeyAndTokenNeverReachLogsOrJournal) {
  ::testing::internal::CaptureStderr();
  server_.SetScript([](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") && Method(r) == "createLineItems")
      return Fault("ServerError.SERVER_ERROR");
    return HappyGam(r);
  });
  auto adapter = Adapter(Context());
  CreatedOrder order;
  EXPECT_FALSE(adapter->CreateMediaBuy(Buy(), order).ok());
  const std::string logs = ::testing::internal::GetCapturedStderr();
  const std::string key_line = keys_.first.substr(40, 40);  // inside the PEM
  EXPECT_FALSE(absl::StrContains(logs, key_line));
  EXPECT_FALSE(absl::StrContains(logs, kAccessToken));
  for (const std::string& line : adapter->Journal()) {
    EXPECT_FALSE(absl::StrContains(line, key_line));
    EXPECT_FALSE(absl::StrContains(line, kAccessToken));
  }

  // dry_run logs every call it would make (so the check above has lines to
  // read there): still no key and no token.
  ::testing::internal::CaptureStderr();
  auto dry = Adapter(Context(/*dry_run=*/true));
  CreatedOrder planned;
  EXPECT_TRUE(dry->CreateMediaBuy(Buy(), planned).ok());
  const std::string dry_logs = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(absl::StrContains(dry_logs, "adapter dry_run")) << dry_logs;
  EXPECT_FALSE(absl::StrContains(dry_logs, key_line));
  EXPECT_FALSE(absl::StrContains(dry_logs, kAccessToken));
  EXPECT_FALSE(dry->Journal().empty());
  for (const std::string& line : dry->Journal())
    EXPECT_FALSE(absl::StrContains(line, key_line));
}

TEST_F(GamAdapterTest, ABadKeyIsRefusedWithoutEchoingIt) {
  deps_.secrets = FixedSecretStore({{"gam-nytimes", "not json: SECRET-123"}});
  auto adapter = GamAdapterFactory(deps_)(Context());
  EXPECT_EQ(adapter.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(absl::StrContains(adapter.status().message(), "SECRET-123"));
}

}  // namespace
}  // namespace adcp::media_buy::gam_test
