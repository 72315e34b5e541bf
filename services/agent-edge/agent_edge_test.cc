// The agent edge end to end over real sockets: registry, auth and media-buy
// in-process (Suite), the edge on a free port, two tenants, MCP and REST.
#include "services/agent-edge/agent_edge.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/agent-edge/edge_test_fixture.h"

namespace adcp::agent_edge {
namespace {

const json kWholesale = {{"buying_mode", "wholesale"}};

TEST_F(AgentEdgeTest, TheTenantComesFromTheHostOrThePath) {
  const json by_host = ToolCall(Host("nytimes"), "/mcp", "get_products",
                                kWholesale, tokens_["nytimes"]);
  EXPECT_EQ(ProductIds(by_host), std::set<std::string>{"nytimes_display"});
  EXPECT_EQ(by_host["result"]["isError"], false);
  // The text block holds the same document as structuredContent, with the
  // task status beside the payload.
  EXPECT_EQ(
      json::parse(by_host["result"]["content"][0]["text"].get<std::string>()),
      by_host["result"]["structuredContent"]);
  EXPECT_EQ(by_host["result"]["structuredContent"]["status"], "completed");
  // An answer with no products still has the array AdCP requires.
  const json none = ToolCall(Host("nytimes"), "/mcp", "get_products",
                             {{"buying_mode", "wholesale"},
                              {"filters", {{"channels", {"no_such_channel"}}}}},
                             tokens_["nytimes"]);
  EXPECT_EQ(none["result"]["structuredContent"]["products"], json::array());
  EXPECT_EQ(none["result"]["structuredContent"]["status"], "completed");
  EXPECT_EQ(
      json::parse(none["result"]["content"][0]["text"].get<std::string>()),
      none["result"]["structuredContent"]);
  const json by_path =
      ToolCall("anything.example", "/tenants/localnews/mcp", "get_products",
               kWholesale, tokens_["localnews"]);
  EXPECT_EQ(ProductIds(by_path), std::set<std::string>{"localnews_display"});
  // A client-sent x-tenant-id changes nothing.
  const HttpReply spoofed = Post(
      Host("nytimes") + ":8080", "/mcp",
      json{{"jsonrpc", "2.0"},
           {"id", 1},
           {"method", "tools/call"},
           {"params", {{"name", "get_products"}, {"arguments", kWholesale}}}}
          .dump(),
      tokens_["nytimes"], {{"x-tenant-id", "localnews"}});
  EXPECT_EQ(ProductIds(spoofed.Json()),
            std::set<std::string>{"nytimes_display"});
  // Unknown, bare and inactive tenants are all "Tenant not found".
  for (const std::string& host :
       {Host("nobody"), std::string(kBase), std::string("a.b.") + kBase,
        std::string("elsewhere.example")}) {
    const HttpReply reply = Post(host, "/mcp", "{}", tokens_["nytimes"]);
    EXPECT_EQ(reply.status, 404) << host;
    EXPECT_EQ(reply.Json(), json({{"error", "Tenant not found"}})) << host;
  }
  EXPECT_EQ(Post("x", "/tenants/nobody/mcp", "{}", "").status, 404);
  ASSERT_TRUE(suite_->SetTenantActive("localnews", false).ok());
  bool hidden = false;
  for (int i = 0; i < 200 && !hidden; ++i) {
    hidden = Post(Host("localnews"), "/mcp", "{}", "").status == 404;
    if (!hidden) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(hidden);
  EXPECT_EQ(Post(Host("localnews"), "/mcp", "{}", "").Json(),
            json({{"error", "Tenant not found"}}));
}

TEST_F(AgentEdgeTest, EveryMalformedInputGetsAWellFormedError) {
  const std::string host = Host("nytimes");
  const std::string token = tokens_["nytimes"];
  auto rpc = [&](const std::string& body) {
    return Post(host, "/mcp", body, token);
  };
  EXPECT_EQ(rpc("{not json").Json()["error"]["code"], -32700);
  EXPECT_EQ(rpc("[1,2]").Json()["error"]["code"], -32600);
  EXPECT_EQ(rpc(R"({"jsonrpc":"1.0","id":1,"method":"ping"})")
                .Json()["error"]["code"],
            -32600);
  EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","id":1,"method":"nope"})")
                .Json()["error"]["code"],
            -32601);
  EXPECT_EQ(
      rpc(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"steal"}})")
          .Json()["error"]["code"],
      -32602);
  EXPECT_EQ(
      rpc(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_products","arguments":[]}})")
          .Json()["error"]["code"],
      -32602);
  // Wrong types and missing fields are the task's errors, context echoed.
  const json wrong =
      ToolCall(host, "/mcp", "get_products",
               {{"buying_mode", 5}, {"context", {{"k", "v"}}}}, token);
  EXPECT_EQ(wrong["result"]["isError"], true);
  EXPECT_EQ(wrong["result"]["structuredContent"]["adcp_error"]["code"],
            "VALIDATION_ERROR");
  EXPECT_EQ(wrong["result"]["structuredContent"]["context"]["k"], "v");
  const json missing = ToolCall(host, "/mcp", "get_products",
                                {{"context", {{"k", "v"}}}}, token);
  EXPECT_EQ(missing["result"]["structuredContent"]["adcp_error"]["field"],
            "buying_mode");
  EXPECT_EQ(missing["result"]["structuredContent"]["context"]["k"], "v");
  // No token, and another tenant's token: 401 with a Bearer challenge.
  for (const std::string& bad : {std::string(), tokens_["localnews"]}) {
    HttpReply reply = Post(
        host, "/mcp",
        json{{"jsonrpc", "2.0"},
             {"id", 3},
             {"method", "tools/call"},
             {"params", {{"name", "get_products"}, {"arguments", kWholesale}}}}
            .dump(),
        bad);
    EXPECT_EQ(reply.status, 401);
    EXPECT_TRUE(reply.headers["www-authenticate"].starts_with("Bearer realm="))
        << reply.body;
    const json refused = reply.Json();
    EXPECT_EQ(refused["result"]["isError"], true);
    EXPECT_EQ(refused["result"]["structuredContent"]["adcp_error"]["code"],
              "AUTH_REQUIRED");
    EXPECT_EQ(refused["result"]["structuredContent"]["status"], "failed");
    EXPECT_EQ(refused.dump().find("localnews"), std::string::npos);
  }
  // Capabilities are public.
  const json capabilities =
      ToolCall(host, "/mcp", "get_adcp_capabilities", json::object(), "");
  EXPECT_EQ(capabilities["result"]["isError"], false);
  EXPECT_EQ(capabilities["result"]["structuredContent"]["status"], "completed");
  // GET is not MCP's; a body over 1 MiB is refused.
  HttpReply get = HttpCall(edge_->port(), "GET", "/mcp", "", {{"Host", host}});
  EXPECT_EQ(get.status, 405);
  const HttpReply big = Post(host, "/mcp", std::string(1 << 21, ' '), token);
  EXPECT_EQ(big.status, 413);
}

TEST_F(AgentEdgeTest, ConcurrentCallsOfTwoTenantsNeverMix) {
  std::atomic<int> leaks{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string tenant = (t + i) % 2 ? "nytimes" : "localnews";
        const HttpReply reply = (i % 2)
                                    ? Post(Host(tenant), "/v1/get_products",
                                           kWholesale.dump(), tokens_[tenant])
                                    : Post(Host(tenant), "/mcp",
                                           json{{"jsonrpc", "2.0"},
                                                {"id", i},
                                                {"method", "tools/call"},
                                                {"params",
                                                 {{"name", "get_products"},
                                                  {"arguments", kWholesale}}}}
                                               .dump(),
                                           tokens_[tenant]);
        if (reply.status != 200) {
          ++failures;
          continue;
        }
        const std::string other = tenant == "nytimes" ? "localnews" : "nytimes";
        if (reply.body.find(other) != std::string::npos) ++leaks;
        if (reply.body.find(tenant + "_display") == std::string::npos)
          ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(leaks.load(), 0);
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace adcp::agent_edge

namespace adcp::agent_edge {
namespace {

// Sends `partial` on a fresh connection, then waits: the seconds until the
// edge closes the connection (or -1 after 10 s, or on a socket error).
double SecondsUntilClosed(int port, const std::string& partial) {
  const int fd = SendOnFreshConnection(port, partial);
  if (fd < 0) return -1;
  double seconds = -1;
  const absl::Time start = absl::Now();
  char buffer[4096];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) {
  }
  if (n == 0) seconds = absl::ToDoubleSeconds(absl::Now() - start);
  close(fd);
  return seconds;
}

TEST_F(AgentEdgeTest, SlowClientsAreCutOffAtTheReadTimeout) {
  // Headers that never finish, and a body that never arrives: both are
  // closed after the 1 s read timeout, not held open.
  for (const std::string& partial :
       {std::string("POST /mcp HTTP/1.1\r\nHost: nytimes.sales.test\r\n"),
        std::string("POST /mcp HTTP/1.1\r\nHost: nytimes.sales.test\r\n"
                    "Content-Type: application/json\r\n"
                    "Content-Length: 100\r\n\r\n{\"jsonrpc\"")}) {
    const double seconds = SecondsUntilClosed(edge_->port(), partial);
    EXPECT_GE(seconds, 0.8) << partial;
    EXPECT_LT(seconds, 5) << partial;
  }
  // The edge still answers afterwards.
  EXPECT_EQ(Post(Host("nytimes"), "/mcp",
                 R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "")
                .status,
            200);
}

TEST_F(AgentEdgeTest, TheComplianceControllerIsOnlyASandboxTenantsTool) {
  auto tools = [&](const std::string& tenant) {
    std::set<std::string> names;
    const json listed =
        Post(Host(tenant), "/mcp",
             R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})", "")
            .Json();
    for (const auto& tool : listed["result"]["tools"])
      names.insert(tool["name"].get<std::string>());
    return names;
  };
  const json scenarios = {{"scenario", "list_scenarios"}};
  EXPECT_FALSE(tools("nytimes").contains("comply_test_controller"));
  const json absent =
      Post(
          Host("nytimes"), "/mcp",
          json{{"jsonrpc", "2.0"},
               {"id", 3},
               {"method", "tools/call"},
               {"params",
                {{"name", "comply_test_controller"}, {"arguments", scenarios}}}}
              .dump(),
          tokens_["nytimes"])
          .Json();
  EXPECT_EQ(absent["error"]["code"], -32602);
  EXPECT_EQ(Post(Host("nytimes"), "/v1/comply_test_controller",
                 scenarios.dump(), tokens_["nytimes"])
                .status,
            404);

  ASSERT_TRUE(suite_->PatchTenantConfig("nytimes", R"({"sandbox":true})").ok());
  const absl::Time patched = absl::Now();
  while (!tools("nytimes").contains("comply_test_controller") &&
         absl::Now() - patched < absl::Seconds(10))
    absl::SleepFor(absl::Milliseconds(10));
  EXPECT_TRUE(tools("nytimes").contains("comply_test_controller"))
      << "after " << absl::Now() - patched;
  EXPECT_FALSE(tools("localnews").contains("comply_test_controller"));
  const json listed =
      ToolCall(Host("nytimes"), "/mcp", "comply_test_controller", scenarios,
               tokens_["nytimes"]);
  EXPECT_EQ(listed["result"]["isError"], false);
  EXPECT_EQ(listed["result"]["structuredContent"]["success"], true);
  // A refusal of the controller is an error result.
  const json refused =
      ToolCall(Host("nytimes"), "/mcp", "comply_test_controller",
               {{"scenario", "no_such_scenario"}}, tokens_["nytimes"]);
  EXPECT_EQ(refused["result"]["isError"], true);
  EXPECT_EQ(refused["result"]["structuredContent"]["error"],
            "UNKNOWN_SCENARIO");
  EXPECT_EQ(Post(Host("nytimes"), "/v1/comply_test_controller",
                 scenarios.dump(), tokens_["nytimes"])
                .status,
            200);
}

TEST_F(AgentEdgeTest, MetricsCountRequestsByTransportToolAndStatus) {
  ToolCall(Host("nytimes"), "/mcp", "get_products", kWholesale,
           tokens_["nytimes"]);
  ToolCall(Host("nytimes"), "/mcp", "get_products", {{"buying_mode", "x"}},
           tokens_["nytimes"]);
  Post(Host("nytimes"), "/v1/list_creatives", "{}", tokens_["nytimes"]);
  Post("nobody.sales.test", "/mcp", "{}", "");
  const HttpReply scrape =
      HttpCall(edge_->metrics_port(), "GET", "/metrics", "", {});
  ASSERT_EQ(scrape.status, 200);
  auto count = [&](const std::vector<std::string>& labels) {
    for (const std::string& line :
         std::vector<std::string>(absl::StrSplit(scrape.body, '\n'))) {
      if (!line.starts_with("agent_requests_total{")) continue;
      if (std::all_of(labels.begin(), labels.end(), [&](const auto& label) {
            return absl::StrContains(line, label);
          }))
        return std::stod(line.substr(line.rfind(' ') + 1));
    }
    return 0.0;
  };
  EXPECT_EQ(
      count({R"(transport="mcp")", R"(tool="get_products")", R"(status="ok")"}),
      1);
  EXPECT_EQ(count({R"(transport="mcp")", R"(tool="get_products")",
                   R"(status="VALIDATION_ERROR")"}),
            1);
  EXPECT_EQ(count({R"(transport="rest")", R"(tool="list_creatives")",
                   R"(status="ok")"}),
            1);
  EXPECT_EQ(count({R"(transport="other")", R"(tool="-")", R"(status="404")"}),
            1);
  EXPECT_TRUE(absl::StrContains(
      scrape.body,
      R"(agent_request_duration_seconds_count{tool="get_products",transport="mcp"} 2)"))
      << scrape.body.substr(0, 3000);
}

}  // namespace
}  // namespace adcp::agent_edge
