// MCP on the edge end to end (AgentEdgeTest): initialize, notifications,
// tools/list, tasks/get of a submitted media buy.
#include <gtest/gtest.h>

#include <set>

#include "absl/time/clock.h"
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
  EXPECT_EQ(names,
            (std::set<std::string>{
                "get_adcp_capabilities", "get_products",
                "list_creative_formats", "create_media_buy", "update_media_buy",
                "get_media_buys", "get_media_buy_delivery", "sync_creatives",
                "list_creatives", "provide_performance_feedback",
                "sync_accounts", "list_accounts", "tasks/get"}));
  for (const auto& tool : tools) {
    if (tool["name"] != "create_media_buy") continue;
    const json& packages = tool["inputSchema"]["properties"]["packages"];
    EXPECT_EQ(packages["type"], "array");
    EXPECT_EQ(packages["items"]["properties"]["budget"]["type"], "number");
  }
}

// localnews approves its media buys by hand.
class McpTasksTest : public AgentEdgeTest {
 protected:
  std::string TenantConfigJson(const std::string& tenant) override {
    return tenant == "localnews"
               ? R"({"adapters":{"mock":{"enabled":true,"manual_approval_required":true}}})"
               : AgentEdgeTest::TenantConfigJson(tenant);
  }
  json Structured(const json& reply) {
    return reply["result"]["structuredContent"];
  }
};

TEST_F(McpTasksTest, TasksGetReadsASubmittedBuyOfTheCallerOnly) {
  const json create = {
      {"idempotency_key", "mcp-tasks-get-000001"},
      {"account",
       {{"brand", {{"domain", "acme.example"}}}, {"operator", "acme.example"}}},
      {"brand", {{"domain", "acme.example"}}},
      {"start_time", "asap"},
      {"end_time", absl::FormatTime("%Y-%m-%dT00:00:00Z",
                                    absl::Now() + absl::Hours(24 * 30),
                                    absl::UTCTimeZone())},
      {"push_notification_config", {{"url", "https://buyer.example/hook"}}},
      {"packages",
       {{{"product_id", "localnews_display"},
         {"pricing_option_id", "cpm"},
         {"budget", 1000}}}}};
  const json submitted =
      Structured(ToolCall(Host("localnews"), "/mcp", "create_media_buy", create,
                          tokens_["localnews"]));
  ASSERT_EQ(submitted["status"], "submitted") << submitted;
  const std::string task_id = submitted["task_id"];

  const json arguments = {{"task_id", task_id},
                          {"context", {{"correlation_id", "poll-1"}}}};
  json read = Structured(ToolCall(Host("localnews"), "/mcp", "tasks/get",
                                  arguments, tokens_["localnews"]));
  EXPECT_EQ(read["task_id"], task_id) << read;
  EXPECT_EQ(read["task_type"], "create_media_buy");
  EXPECT_EQ(read["protocol"], "media-buy");
  EXPECT_EQ(read["status"], "submitted");
  EXPECT_EQ(read["has_webhook"], true);
  EXPECT_FALSE(read["created_at"].get<std::string>().empty());
  EXPECT_EQ(read["context"]["correlation_id"], "poll-1");

  // The same over REST.
  const HttpReply rest = Post(Host("localnews"), "/v1/tasks/get",
                              arguments.dump(), tokens_["localnews"]);
  ASSERT_EQ(rest.status, 200) << rest.body;
  EXPECT_EQ(rest.Json()["status"], "submitted");

  media_buy::v1::ResolveHumanTaskRequest approve;
  approve.set_task_id(task_id);
  media_buy::v1::HumanTask approved;
  ASSERT_TRUE(suite_->media_buy()
                  .ApproveHumanTask(suite_->AdminContext("localnews").get(),
                                    approve, &approved)
                  .ok());
  read = Structured(ToolCall(Host("localnews"), "/mcp", "tasks/get", arguments,
                             tokens_["localnews"]));
  EXPECT_EQ(read["status"], "completed") << read;
  EXPECT_FALSE(read["completed_at"].get<std::string>().empty());
  EXPECT_FALSE(read["result"]["media_buy_id"].get<std::string>().empty());

  // Another tenant's buyer, by its own Host, and another buyer of the same
  // tenant: not found, as a task that does not exist.
  auto other = suite_->CreatePrincipal("localnews", "other_buyer");
  ASSERT_TRUE(other.ok());
  for (const auto& [host, token] :
       {std::pair{Host("nytimes"), tokens_["nytimes"]},
        std::pair{Host("localnews"), other->access_token()}}) {
    const json refused =
        ToolCall(host, "/mcp", "tasks/get", arguments, token)["result"];
    EXPECT_EQ(refused["isError"], true) << refused;
    EXPECT_EQ(refused["structuredContent"]["adcp_error"]["code"],
              "REFERENCE_NOT_FOUND")
        << refused;
    EXPECT_EQ(refused.dump().find("localnews"), std::string::npos) << refused;
  }
}

}  // namespace
}  // namespace adcp::agent_edge
