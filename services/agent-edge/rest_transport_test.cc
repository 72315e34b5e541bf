// REST on the edge end to end (AgentEdgeTest): POST /v1/<task> by Host and
// by path, and its refusals.
#include <gtest/gtest.h>

#include <set>

#include "services/agent-edge/agent_edge.h"
#include "services/agent-edge/edge_test_fixture.h"

namespace adcp::agent_edge {
namespace {

const json kWholesale = {{"buying_mode", "wholesale"}};

TEST_F(AgentEdgeTest, RestServesTheSameTasks) {
  const std::string host = Host("nytimes");
  const HttpReply products =
      Post(host, "/v1/get_products", kWholesale.dump(), tokens_["nytimes"]);
  ASSERT_EQ(products.status, 200) << products.body;
  EXPECT_EQ(products.Json()["products"][0]["product_id"], "nytimes_display");
  const HttpReply by_path =
      Post("x.example", "/tenants/localnews/v1/get_products", kWholesale.dump(),
           tokens_["localnews"]);
  EXPECT_EQ(by_path.Json()["products"][0]["product_id"], "localnews_display");
  const HttpReply bad =
      Post(host, "/v1/get_products", "{oops", tokens_["nytimes"]);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["adcp_error"]["code"], "VALIDATION_ERROR");
  const HttpReply invalid =
      Post(host, "/v1/create_media_buy", R"({"idempotency_key":"short"})",
           tokens_["nytimes"]);
  EXPECT_EQ(invalid.status, 400) << invalid.body;
  EXPECT_EQ(invalid.Json()["adcp_error"]["field"], "idempotency_key");
  EXPECT_EQ(Post(host, "/v1/get_products", kWholesale.dump(), "").status, 401);
  EXPECT_EQ(Post(host, "/v1/steal", "{}", tokens_["nytimes"]).status, 404);
  EXPECT_EQ(
      HttpCall(edge_->port(), "GET", "/v1/get_products", "", {{"Host", host}})
          .status,
      405);
  EXPECT_EQ(HttpCall(edge_->port(), "GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace adcp::agent_edge
