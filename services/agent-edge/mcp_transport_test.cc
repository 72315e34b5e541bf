// MCP on the edge end to end (AgentEdgeTest): initialize, notifications,
// tools/list.
#include <gtest/gtest.h>

#include <set>

#include "services/agent-edge/agent_edge.h"
#include "services/agent-edge/edge_test_fixture.h"

namespace adcp::agent_edge {
namespace {

TEST_F(AgentEdgeTest, McpSpeaksJsonRpcAndListsEveryTask) {
  const HttpReply init = Post(
      Host("nytimes"), "/mcp",
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})",
      "");
  ASSERT_EQ(init.status, 200) << init.body;
  EXPECT_EQ(init.Json()["result"]["protocolVersion"], "2025-03-26");
  EXPECT_TRUE(init.Json()["result"]["capabilities"].contains("tools"));
  const HttpReply future = Post(
      Host("nytimes"), "/mcp",
      R"({"jsonrpc":"2.0","id":"a","method":"initialize","params":{"protocolVersion":"2099-01-01"}})",
      "");
  EXPECT_EQ(future.Json()["result"]["protocolVersion"],
            McpProtocolVersions().front());
  EXPECT_EQ(future.Json()["id"], "a");
  const HttpReply note =
      Post(Host("nytimes"), "/mcp",
           R"({"jsonrpc":"2.0","method":"notifications/initialized"})", "");
  EXPECT_EQ(note.status, 202);
  EXPECT_TRUE(note.body.empty());

  const json tools =
      Post(Host("nytimes"), "/mcp",
           R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})", "")
          .Json()["result"]["tools"];
  std::set<std::string> names;
  for (const auto& tool : tools) {
    names.insert(tool["name"].get<std::string>());
    EXPECT_EQ(tool["inputSchema"]["type"], "object") << tool["name"];
    EXPECT_FALSE(tool["description"].get<std::string>().empty());
  }
  EXPECT_EQ(
      names,
      (std::set<std::string>{
          "get_adcp_capabilities", "get_products", "list_creative_formats",
          "create_media_buy", "update_media_buy", "get_media_buys",
          "get_media_buy_delivery", "sync_creatives", "list_creatives",
          "provide_performance_feedback", "sync_accounts", "list_accounts"}));
  for (const auto& tool : tools) {
    if (tool["name"] != "create_media_buy") continue;
    const json& packages = tool["inputSchema"]["properties"]["packages"];
    EXPECT_EQ(packages["type"], "array");
    EXPECT_EQ(packages["items"]["properties"]["budget"]["type"], "number");
  }
}

}  // namespace
}  // namespace adcp::agent_edge
