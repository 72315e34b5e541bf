// What a stranger can send the edge, and what it costs a tenant: bytes gRPC
// metadata cannot carry, documents nested beyond reason, anonymous floods
// and made-up tokens. Every case is answered with a 4xx, and the tenant's
// buyers are served throughout.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libs/tenancy/call_context.h"
#include "libs/tenancy/metadata.h"
#include "services/agent-edge/edge_test_fixture.h"
#include "services/agent-edge/mcp_envelope.h"

namespace adcp::agent_edge {
namespace {

const json kWholesale = {{"buying_mode", "wholesale"}};

// Sends `bytes` on a fresh connection and reads the answer's status line
// (0 when the connection closed without one).
int RawStatus(int port, const std::string& bytes, std::string* body = nullptr) {
  const int fd = SendOnFreshConnection(port, bytes);
  if (fd < 0) return -1;
  std::string answer;
  char buffer[4096];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) answer.append(buffer, n);
  close(fd);
  if (body != nullptr) *body = answer.substr(answer.find("\r\n\r\n") + 4);
  if (answer.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::stoi(answer.substr(9, 3));
}

std::string ToolCallBody(const std::string& tool, const json& arguments) {
  return json{{"jsonrpc", "2.0"},
              {"id", 1},
              {"method", "tools/call"},
              {"params", {{"name", tool}, {"arguments", arguments}}}}
      .dump();
}

std::string RawPost(const std::string& target, const std::string& host,
                    const std::string& extra_headers, const std::string& body) {
  return absl::StrCat("POST ", target, " HTTP/1.1\r\nHost: ", host,
                      "\r\nConnection: close\r\nContent-Type: "
                      "application/json\r\n",
                      extra_headers, "Content-Length: ", body.size(),
                      "\r\n\r\n", body);
}

class EdgeLimitsTest : public AgentEdgeTest {
 protected:
  bool BuyerServed(const std::string& tenant = "localnews") {
    const HttpReply reply =
        Post(Host(tenant), "/mcp", ToolCallBody("get_products", kWholesale),
             tokens_[tenant]);
    return reply.status == 200 && reply.Json()["result"]["isError"] == false;
  }
};

TEST_F(EdgeLimitsTest, EveryByteInATokenIsAnsweredAndNothingCrashes) {
  const std::string body = ToolCallBody("get_products", kWholesale);
  int refused = 0;
  for (int byte = 0; byte < 256; ++byte) {
    if (byte == '\r' || byte == '\n') continue;  // ends the header line
    const std::string token = std::string("a") + static_cast<char>(byte) + "b";
    for (const std::string header :
         {"x-adcp-auth: ", "Authorization: Bearer "}) {
      std::string answer;
      const int status = RawStatus(
          edge_->port(),
          RawPost("/mcp", Host("nytimes"), header + token + "\r\n", body),
          &answer);
      ASSERT_GE(status, 400) << byte << " " << header;
      ASSERT_LT(status, 500) << byte << " " << header << answer;
      ++refused;
      if (status == 401) {
        // A token the metadata cannot carry: 401, and no crash.
        EXPECT_EQ(
            json::parse(
                answer)["result"]["structuredContent"]["adcp_error"]["code"],
            "AUTH_REQUIRED");
      }
    }
  }
  EXPECT_EQ(refused, 2 * 254);
  // The case: a tab in x-adcp-auth, over REST, without a token.
  std::string answer;
  EXPECT_EQ(RawStatus(edge_->port(),
                      RawPost("/tenants/nytimes/v1/get_products", "localhost",
                              "x-adcp-auth: a\tb\r\n", kWholesale.dump()),
                      &answer),
            401);
  EXPECT_TRUE(BuyerServed());
  EXPECT_TRUE(BuyerServed("nytimes"));
}

TEST_F(EdgeLimitsTest, DeepDocumentsAreRefusedNamingTheRule) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::string answer;
  EXPECT_EQ(RawStatus(edge_->port(),
                      RawPost("/tenants/nytimes/v1/get_products", "localhost",
                              "", deep),
                      &answer),
            400);
  EXPECT_NE(answer.find("body: JSON nested deeper than 64 levels"),
            std::string::npos)
      << answer;
  const HttpReply mcp = Post(Host("nytimes"), "/mcp", deep, "");
  EXPECT_EQ(mcp.status, 400);
  EXPECT_EQ(mcp.Json()["error"]["code"], -32700);
  // Deep arguments inside a well-formed call: the same rule.
  json arguments = json::array();
  for (int i = 0; i < 80; ++i) arguments = json::array({arguments});
  const HttpReply nested =
      Post(Host("nytimes"), "/mcp",
           ToolCallBody("get_products",
                        {{"buying_mode", "wholesale"}, {"filters", arguments}}),
           tokens_["nytimes"]);
  EXPECT_EQ(nested.status, 400);
  // Batches are refused whole.
  EXPECT_EQ(Post(Host("nytimes"), "/mcp",
                 "[" + ToolCallBody("get_products", kWholesale) + "]", "")
                .Json()["error"]["code"],
            -32600);
  EXPECT_TRUE(BuyerServed());
}

TEST_F(EdgeLimitsTest, SmugglingFramingAndOversizeHeadersAreRefused) {
  std::string answer;
  EXPECT_EQ(RawStatus(edge_->port(),
                      "POST /mcp HTTP/1.1\r\nHost: nytimes.sales.test\r\n"
                      "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "0\r\n\r\n"),
            400);
  std::string many;
  for (int i = 0; i < 100; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  EXPECT_EQ(RawStatus(edge_->port(),
                      RawPost("/mcp", Host("nytimes"), many, "{}"), &answer),
            431);
  EXPECT_EQ(
      RawStatus(edge_->port(),
                RawPost("/mcp", Host("nytimes"),
                        "X-Big: " + std::string(9000, 'a') + "\r\n", "{}")),
      431);
  EXPECT_TRUE(BuyerServed());
}

// Low limits for anonymous callers and failed authentications.
class EdgeRateLimitsTest : public EdgeLimitsTest {
 protected:
  ::adcp::testing::SuiteOptions Options() override {
    ::adcp::testing::SuiteOptions options;
    options.configure_media_buy = [](media_buy::MediaBuyConfig& config) {
      config.service.limits.client = {.per_second = 0.001, .burst = 1e6};
      config.service.limits.anonymous = {.per_second = 0.001, .burst = 5};
      config.service.limits.auth_failures_client = {.per_second = 0.001,
                                                    .burst = 4};
      config.service.limits.auth_failures_tenant = {.per_second = 0.001,
                                                    .burst = 6};
      // The buyers' own budgets: small, so that spending them would show.
      config.service.limits.tenant = {.per_second = 0.001, .burst = 50};
      config.service.limits.principal = {.per_second = 0.001, .burst = 50};
    };
    return options;
  }

  grpc::Status GetProducts(const std::string& tenant, const std::string& token,
                           const std::string& client) {
    grpc::ClientContext context;
    EXPECT_TRUE(ForwardTenant(&context, ForwardedCall{.tenant_id = tenant,
                                                      .bearer_token = token,
                                                      .client_address = client})
                    .ok());
    media_buy::v1::GetProductsRequest request;
    request.set_buying_mode("wholesale");
    media_buy::v1::GetProductsResponse response;
    return suite_->media_buy().GetProducts(&context, request, &response);
  }
};

TEST_F(EdgeRateLimitsTest, AnonymousFloodsSpendTheirOwnBudgetNotTheBuyers) {
  int ok = 0, limited = 0;
  for (int i = 0; i < 60; ++i) {
    json answer = ToolCall(Host("nytimes"), "/mcp", "get_adcp_capabilities",
                           json::object(), "");
    if (answer["result"]["isError"] == false) ++ok;
    if (answer["result"]["structuredContent"]["adcp_error"]["code"] ==
        "RATE_LIMITED")
      ++limited;
  }
  EXPECT_EQ(ok, 5);  // the tenant's anonymous burst
  EXPECT_EQ(limited, 55);
  // The buyers' budget (50) is untouched: 40 calls all pass.
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(BuyerServed("nytimes")) << i;
}

// The edge's own per-client gate for requests without a token.
class EdgeAnonymousGateTest : public EdgeLimitsTest {
 protected:
  void ConfigureEdge(EdgeConfig& config) override {
    config.anonymous_client_limit = RateLimit{.per_second = 0.001, .burst = 3};
  }
};

TEST_F(EdgeAnonymousGateTest, AClientOverItsBudgetIsRefusedBeforeAnyWork) {
  const std::string capabilities = ToolCallBody("get_adcp_capabilities", {});
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(Post(Host("nytimes"), "/mcp", capabilities, "").status, 200) << i;
  // The fourth: 429 before the body is read (even one that is not JSON).
  const HttpReply mcp = Post(Host("nytimes"), "/mcp", "{not json", "");
  EXPECT_EQ(mcp.status, 429);
  EXPECT_EQ(mcp.Json()["error"]["data"]["adcp_error"]["code"], "RATE_LIMITED");
  EXPECT_FALSE(mcp.headers.at("retry-after").empty());
  const HttpReply rest = Post(
      "localhost", "/tenants/localnews/v1/get_adcp_capabilities", "{}", "");
  EXPECT_EQ(rest.status, 429);
  EXPECT_EQ(rest.Json()["adcp_error"]["code"], "RATE_LIMITED");
  // The public key documents are anonymous calls too.
  for (const char* path : {"/.well-known/jwks.json", "/.well-known/brand.json"})
    EXPECT_EQ(
        HttpCall(edge_->port(), "GET", path, "", {{"Host", Host("nytimes")}})
            .status,
        429)
        << path;
  // Buyers (with their tokens) are not this gate's business.
  EXPECT_TRUE(BuyerServed("nytimes"));
  EXPECT_TRUE(BuyerServed("localnews"));
}

TEST_F(EdgeRateLimitsTest, FailedAuthenticationsAreThrottledBeforeLookups) {
  auto& auth = suite_->auth_server();
  const std::string buyer = tokens_["nytimes"];
  ASSERT_TRUE(GetProducts("nytimes", buyer, "10.0.0.1").ok());  // cached now
  const uint64_t reads = auth.principals().database_reads();
  // One client's made-up tokens: its first 4 failures are looked up (and
  // remembered as unknown: the same one again costs no read), then the
  // client is refused before any lookup.
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(
        GetProducts("nytimes", "made_up_" + std::to_string(i % 2), "10.0.0.2")
            .error_code(),
        grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(auth.principals().database_reads(), reads + 2);
  const grpc::Status refused = GetProducts("nytimes", "made_up_9", "10.0.0.2");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(refused.error_message().find("from this client"),
            std::string::npos);
  EXPECT_EQ(auth.principals().database_reads(), reads + 2);
  // Other clients push the tenant over its failure budget (6): from then on
  // only tokens known from memory are resolved; the buyer goes on.
  EXPECT_EQ(GetProducts("nytimes", "made_up_5", "10.0.0.3").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GetProducts("nytimes", "made_up_6", "10.0.0.4").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  const uint64_t before_flood = auth.principals().database_reads();
  EXPECT_EQ(GetProducts("nytimes", "made_up_7", "10.0.0.5").error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(auth.principals().database_reads(), before_flood);
  EXPECT_TRUE(GetProducts("nytimes", buyer, "10.0.0.5").ok());
  // Another tenant is not affected at all (the refused client is refused
  // everywhere: its budget is its own, not a tenant's).
  EXPECT_TRUE(GetProducts("localnews", tokens_["localnews"], "10.0.0.9").ok());
  EXPECT_EQ(
      GetProducts("localnews", tokens_["localnews"], "10.0.0.2").error_code(),
      grpc::StatusCode::RESOURCE_EXHAUSTED);

  // The failures are audited per window and caller, not per attempt.
  suite_->media_buy_server().audit().Flush();
  pqxx::connection connection(suite_->db().SuperuserUrl());
  pqxx::work txn(connection);
  const auto row = txn.exec1(
      "SELECT count(*), COALESCE(sum((details->>'count')::int), 0) FROM "
      "audit_log WHERE tenant_id = 'nytimes' AND operation = 'auth_failed' "
      "AND details->>'client' = '10.0.0.2' AND details->>'method' = "
      "'GetProducts'");
  EXPECT_EQ(row[1].as<int>(), 5);  // 4 unknown tokens, 1 refusal
  EXPECT_LE(row[0].as<int>(), 2);  // one row per reason
}

}  // namespace
}  // namespace adcp::agent_edge

namespace adcp::agent_edge {
namespace {

TEST(TaskArgumentsTest, WrongTypesAreRefusedNamingTheirPath) {
  const auto* create =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
          "adcp.media_buy.v1.CreateMediaBuyRequest");
  ASSERT_NE(create, nullptr);
  const struct {
    json arguments;
    std::string error;  // "" when fine
  } cases[] = {
      {{{"po_number", "b"}, {"packages", json::array()}}, ""},
      {{{"po_number", 5}}, "arguments.po_number: expected a string"},
      {{{"packages", json::object()}}, "arguments.packages: expected an array"},
      {{{"packages", {{{"paused", "true"}}}}},
       "arguments.packages[0].paused: expected true or false"},
      {{{"packages", {"x"}}}, "arguments.packages[0]: expected an object"},
      {{{"unknown_member", {1, 2}}}, ""},  // AdCP fields we do not use
      {{{"context", {{"any", {1, "x", nullptr}}}}}, ""},  // Struct: any JSON
      {{{"po_number", nullptr}}, ""},
      {{{"packages", json::array({json::object()})}}, ""},
  };
  for (const auto& [arguments, error] : cases) {
    const absl::Status status = CheckArgumentTypes(arguments, *create);
    EXPECT_EQ(std::string(status.message()), error) << arguments.dump();
  }
  json many = {{"packages", json::array()}};
  for (size_t i = 0; i <= kMaxArgumentItems; ++i)
    many["packages"].push_back(json::object());
  EXPECT_EQ(CheckArgumentTypes(many, *create).message(),
            "arguments.packages: at most 1000 items");
}

}  // namespace
}  // namespace adcp::agent_edge
