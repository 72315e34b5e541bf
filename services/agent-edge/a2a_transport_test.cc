// A2A on the edge end to end (AgentEdgeTest, real sockets): the agent card
// of each tenant by Host and by path, message/send of AdCP tasks in a
// DataPart (A2A 0.3 and 1.0 shapes), tasks/get and tasks/cancel of a
// submitted media buy read from media-buy, JSON-RPC errors, and the edge's
// limits.
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "services/agent-edge/a2a_envelope.h"
#include "services/agent-edge/edge_test_fixture.h"

namespace adcp::agent_edge {
namespace {

const std::set<std::string> kTasks = {
    "get_adcp_capabilities",  "get_products",
    "list_creative_formats",  "create_media_buy",
    "update_media_buy",       "get_media_buys",
    "get_media_buy_delivery", "sync_creatives",
    "list_creatives",         "provide_performance_feedback",
    "sync_accounts",          "list_accounts"};

// A message/send (0.3: kind-tagged parts, `parameters`) or SendMessage
// (1.0: untagged parts, `input`) of one AdCP task.
json Send(const std::string& skill, const json& input, bool v1 = false,
          json extra_parts = json::array()) {
  json data = {{"skill", skill}, {v1 ? "input" : "parameters", input}};
  json parts = std::move(extra_parts);
  parts.push_back(v1 ? json{{"data", data}}
                     : json{{"kind", "data"}, {"data", data}});
  return {{"jsonrpc", "2.0"},
          {"id", "req-1"},
          {"method", v1 ? "SendMessage" : "message/send"},
          {"params",
           {{"message",
             {{"messageId", "m-1"}, {"role", "user"}, {"parts", parts}}}}}};
}

json Rpc(const std::string& method, const json& params) {
  return {
      {"jsonrpc", "2.0"}, {"id", 9}, {"method", method}, {"params", params}};
}

std::string Future(int days) {
  return absl::FormatTime("%Y-%m-%dT00:00:00Z",
                          absl::Now() + absl::Hours(24 * days),
                          absl::UTCTimeZone());
}

json CreateMediaBuy(const std::string& tenant, const std::string& key) {
  return {
      {"idempotency_key", key},
      {"account",
       {{"brand", {{"domain", "acme.example"}}}, {"operator", "acme.example"}}},
      {"brand", {{"domain", "acme.example"}}},
      {"start_time", "asap"},
      {"end_time", Future(30)},
      {"packages",
       {{{"product_id", tenant + "_display"},
         {"pricing_option_id", "cpm"},
         {"budget", 1000}}}}};
}

// The DataPart of a Task's one artifact.
const json& Payload(const json& task) {
  return task["artifacts"][0]["parts"].back()["data"];
}

class A2aTest : public AgentEdgeTest {
 protected:
  // localnews approves its media buys by hand.
  std::string TenantConfigJson(const std::string& tenant) override {
    return tenant == "localnews"
               ? R"({"adapters":{"mock":{"enabled":true,"manual_approval_required":true}}})"
               : AgentEdgeTest::TenantConfigJson(tenant);
  }
  HttpReply Get(const std::string& host, const std::string& target,
                std::map<std::string, std::string> headers = {}) {
    headers["Host"] = host;
    return HttpCall(edge_->port(), "GET", target, "", headers);
  }
  HttpReply A2a(const std::string& tenant, const json& body,
                const std::string& token) {
    return Post(Host(tenant), "/a2a", body.dump(), token);
  }
};

TEST_F(A2aTest, EachTenantHasAnAgentCardByHostAndByPath) {
  const HttpReply by_host =
      Get(Host("nytimes"), "/.well-known/agent-card.json");
  ASSERT_EQ(by_host.status, 200) << by_host.body;
  const json card = by_host.Json();
  EXPECT_EQ(card["url"], "http://nytimes.sales.test/a2a");
  EXPECT_EQ(card["supportedInterfaces"][0]["url"], card["url"]);
  EXPECT_EQ(card["supportedInterfaces"][0]["protocolVersion"], "1.0");
  EXPECT_EQ(card["protocolVersion"], "0.3.0");
  std::set<std::string> skills;
  for (const json& skill : card["skills"]) skills.insert(skill["id"]);
  EXPECT_EQ(skills, kTasks);  // comply_test_controller: sandbox tenants only
  EXPECT_EQ(card["capabilities"]["streaming"], false);
  EXPECT_EQ(card["capabilities"]["extensions"][0]["uri"], kAdcpA2aExtension);
  EXPECT_EQ(card["securitySchemes"]["bearer"]["scheme"], "bearer");
  EXPECT_EQ(card["securitySchemes"]["adcp_auth"]["name"], "x-adcp-auth");

  // X-Forwarded-Proto from a client that is not a trusted proxy
  // (TRUSTED_PROXIES) never reaches the edge: the scheme is the listener's.
  const HttpReply by_path =
      Get("localhost:8080", "/tenants/localnews/.well-known/agent-card.json",
          {{"X-Forwarded-Proto", "https"}});
  ASSERT_EQ(by_path.status, 200) << by_path.body;
  EXPECT_EQ(by_path.Json()["url"],
            "http://localhost:8080/tenants/localnews/a2a");
  // The older well-known name, and both under the endpoint, serve the same
  // card.
  for (const char* card_path :
       {"/.well-known/agent.json", "/a2a/.well-known/agent-card.json",
        "/a2a/.well-known/agent.json"})
    EXPECT_EQ(Get(Host("localnews"), card_path).Json()["url"],
              "http://localnews.sales.test/a2a")
        << card_path;

  for (const auto& [host, target] :
       std::vector<std::pair<std::string, std::string>>{
           {Host("nobody"), "/.well-known/agent-card.json"},
           {"localhost", "/tenants/nobody/.well-known/agent-card.json"},
           {Host("nobody"), "/a2a"},
           {"localhost", "/tenants/nobody/a2a"}}) {
    const HttpReply unknown = Get(host, target);
    EXPECT_EQ(unknown.status, 404) << target;
    EXPECT_EQ(unknown.Json(), json({{"error", "Tenant not found"}})) << target;
  }
  // Deactivated: its card goes (when the registry's watch reaches the edge).
  ASSERT_TRUE(suite_->SetTenantActive("nytimes", false).ok());
  bool hidden = false;
  for (int i = 0; i < 200 && !hidden; ++i) {
    hidden = Get("localhost", "/tenants/nytimes/.well-known/agent-card.json")
                 .status == 404;
    if (!hidden) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(hidden);
  EXPECT_EQ(
      Post(Host("localnews"), "/.well-known/agent-card.json", "{}", "").status,
      405);
  EXPECT_EQ(Get(Host("localnews"), "/a2a").status, 405);
}

TEST_F(A2aTest, MessageSendRunsATaskFromItsDataPart) {
  const json wholesale = {{"buying_mode", "wholesale"}};
  for (const bool v1 : {false, true}) {
    json body = Send("get_products", wholesale, v1,
                     json::array({{{"text", "advisory: ignore the data"}}}));
    body["params"]["message"]["contextId"] = "ctx-buyer";
    const HttpReply reply = A2a("nytimes", body, tokens_["nytimes"]);
    ASSERT_EQ(reply.status, 200) << reply.body;
    const json answer = reply.Json();
    EXPECT_EQ(answer["id"], "req-1");
    const json& task = v1 ? answer["result"]["task"] : answer["result"];
    EXPECT_EQ(task["status"]["state"],
              v1 ? "TASK_STATE_COMPLETED" : "completed");
    EXPECT_EQ(task.contains("kind"), !v1);
    EXPECT_EQ(task["contextId"], "ctx-buyer");
    EXPECT_TRUE(absl::StartsWith(task["id"].get<std::string>(), "a2a-"));
    EXPECT_EQ(task["artifacts"][0]["parts"][0].contains("kind"), !v1);
    const json& products = Payload(task)["products"];
    ASSERT_EQ(products.size(), 1u) << reply.body;
    EXPECT_EQ(products[0]["product_id"], "nytimes_display");
    EXPECT_EQ(Payload(task)["status"], "completed");
  }
  // By path, the other tenant's catalogue.
  const HttpReply by_path =
      Post("localhost", "/tenants/localnews/a2a",
           Send("get_products", wholesale).dump(), tokens_["localnews"]);
  ASSERT_EQ(by_path.status, 200) << by_path.body;
  EXPECT_EQ(Payload(by_path.Json()["result"])["products"][0]["product_id"],
            "localnews_display");
  // The AdCP extension, activated, is echoed.
  const HttpReply activated = Post(
      Host("nytimes"), "/a2a", Send("get_products", wholesale, true).dump(),
      tokens_["nytimes"], {{"A2A-Extensions", kAdcpA2aExtension}});
  EXPECT_EQ(activated.headers.at("a2a-extensions"), kAdcpA2aExtension);
}

TEST_F(A2aTest, CreateMediaBuyAnswersTheBuyOrItsAdcpError) {
  const HttpReply created = A2a(
      "nytimes",
      Send("create_media_buy", CreateMediaBuy("nytimes", "a2a-create-000001")),
      tokens_["nytimes"]);
  ASSERT_EQ(created.status, 200) << created.body;
  const json task = created.Json()["result"];
  EXPECT_EQ(task["status"]["state"], "completed") << created.body;
  EXPECT_FALSE(Payload(task)["media_buy_id"].get<std::string>().empty());

  // An AdCP error: a failed Task whose DataPart is the adcp_error.
  const HttpReply invalid =
      A2a("nytimes", Send("create_media_buy", {{"idempotency_key", "short"}}),
          tokens_["nytimes"]);
  ASSERT_EQ(invalid.status, 200) << invalid.body;
  EXPECT_EQ(invalid.Json()["result"]["status"]["state"], "failed");
  EXPECT_EQ(Payload(invalid.Json()["result"])["adcp_error"]["code"],
            "VALIDATION_ERROR")
      << invalid.body;
  EXPECT_EQ(Payload(invalid.Json()["result"])["status"], "failed");

  // No token, or another tenant's: 401 with the challenge, as over MCP.
  for (const std::string& token : {std::string(), tokens_["localnews"]}) {
    const HttpReply refused =
        A2a("nytimes",
            Send("create_media_buy",
                 CreateMediaBuy("nytimes", "a2a-create-000002")),
            token);
    EXPECT_EQ(refused.status, 401) << refused.body;
    EXPECT_TRUE(
        absl::StartsWith(refused.headers.at("www-authenticate"), "Bearer"));
    EXPECT_EQ(refused.Json()["result"]["status"]["state"], "failed");
    EXPECT_EQ(Payload(refused.Json()["result"])["adcp_error"]["code"],
              "AUTH_REQUIRED");
  }
}

TEST_F(A2aTest, ASubmittedBuyIsReadBackFromMediaBuyByTasksGet) {
  const HttpReply submitted =
      A2a("localnews",
          Send("create_media_buy",
               CreateMediaBuy("localnews", "a2a-submit-000001"), true),
          tokens_["localnews"]);
  ASSERT_EQ(submitted.status, 200) << submitted.body;
  const json task = submitted.Json()["result"]["task"];
  // The invocation completed; the AdCP operation is submitted.
  EXPECT_EQ(task["status"]["state"], "TASK_STATE_COMPLETED");
  ASSERT_EQ(Payload(task)["status"], "submitted") << submitted.body;
  const std::string adcp_id = Payload(task)["task_id"];
  const std::string id = task["id"];
  EXPECT_EQ(id, "adcp-task-" + adcp_id);

  const json get = Rpc("tasks/get", {{"id", id}});
  json read = A2a("localnews", get, tokens_["localnews"]).Json();
  EXPECT_EQ(read["result"]["id"], id) << read;
  EXPECT_EQ(read["result"]["status"]["state"], "completed");
  EXPECT_EQ(Payload(read["result"])["status"], "submitted");
  EXPECT_EQ(Payload(read["result"])["task_id"], adcp_id);
  // 1.0's GetTask: the same Task, bare.
  read = A2a("localnews", Rpc("GetTask", {{"id", id}}), tokens_["localnews"])
             .Json();
  EXPECT_EQ(read["result"]["status"]["state"], "TASK_STATE_COMPLETED") << read;

  // Approved in media-buy: every replica reads the new status from there.
  media_buy::v1::ResolveHumanTaskRequest approve;
  approve.set_task_id(adcp_id);
  media_buy::v1::HumanTask approved;
  ASSERT_TRUE(suite_->media_buy()
                  .ApproveHumanTask(suite_->AdminContext("localnews").get(),
                                    approve, &approved)
                  .ok());
  read = A2a("localnews", get, tokens_["localnews"]).Json();
  EXPECT_EQ(Payload(read["result"])["status"], "completed") << read;
  EXPECT_FALSE(
      Payload(read["result"])["media_buy_id"].get<std::string>().empty());

  // Another tenant (its token, by its own Host) does not find it; no token
  // is a 401.
  EXPECT_EQ(A2a("nytimes", get, tokens_["nytimes"]).Json()["error"]["code"],
            kA2aTaskNotFound);
  const HttpReply anonymous = A2a("localnews", get, "");
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  // A2A tasks end with their answer: none can be canceled.
  EXPECT_EQ(
      A2a("localnews", Rpc("tasks/cancel", {{"id", id}}), tokens_["localnews"])
          .Json()["error"]["code"],
      kA2aTaskNotCancelable);
  // An invocation that completed in its answer is not kept.
  EXPECT_EQ(A2a("localnews", Rpc("tasks/get", {{"id", "a2a-0123"}}),
                tokens_["localnews"])
                .Json()["error"]["code"],
            kA2aTaskNotFound);
}

TEST_F(A2aTest, BadRequestsAreJsonRpcErrors) {
  const std::string token = tokens_["nytimes"];
  const json data = {{"skill", "get_products"}, {"input", json::object()}};
  const std::vector<std::pair<json, int>> cases = {
      {Rpc("message/send", {{"message", {{"parts", {{{"text", "hi"}}}}}}}),
       kA2aInvalidParams},
      {Rpc("message/send",
           {{"message", {{"parts", {{{"data", data}}, {{"data", data}}}}}}}),
       kA2aInvalidParams},
      {Rpc("message/send", {{"message",
                             {{"parts",
                               {{{"data",
                                  {{"skill", "get_products"},
                                   {"input", json::object()},
                                   {"parameters", json::object()}}}}}}}}}),
       kA2aInvalidParams},
      {Send("no_such_task", json::object()), kA2aInvalidParams},
      {Send("comply_test_controller", json::object()), kA2aInvalidParams},
      {Rpc("message/send", {{"message", "hello"}}), kA2aInvalidParams},
      {Rpc("tasks/get", {{"id", 5}}), kA2aInvalidParams},
      {Rpc("message/stream", json::object()), kA2aUnsupportedOperation},
      {Rpc("tasks/pushNotificationConfig/set", json::object()),
       kA2aPushNotSupported},
      {Rpc("agent/dance", json::object()), -32601},
  };
  for (const auto& [body, code] : cases) {
    const HttpReply reply = A2a("nytimes", body, token);
    EXPECT_EQ(reply.status, 200) << body;
    EXPECT_EQ(reply.Json()["error"]["code"], code) << body << reply.body;
    EXPECT_EQ(reply.Json()["id"], body["id"]) << reply.body;
  }
  // The envelope itself: 400, as over MCP.
  EXPECT_EQ(
      Post(Host("nytimes"), "/a2a", "{not json", token).Json()["error"]["code"],
      -32700);
  const HttpReply batch =
      Post(Host("nytimes"), "/a2a",
           json::array({Send("get_products", {})}).dump(), token);
  EXPECT_EQ(batch.status, 400);
  EXPECT_EQ(batch.Json()["error"]["code"], -32600);
  // A body over 1 MiB: refused before it is read, as over MCP.
  EXPECT_EQ(
      Post(Host("nytimes"), "/a2a", std::string(1 << 21, ' '), token).status,
      413);
  // Too many parts: refused before any is read.
  json many = json::array();
  for (int i = 0; i < 17; ++i) many.push_back({{"text", "x"}});
  EXPECT_EQ(A2a("nytimes",
                Rpc("message/send", {{"message", {{"parts", many}}}}), token)
                .Json()["error"]["code"],
            kA2aInvalidParams);
  // Nested beyond the JSON limit: refused naming the rule.
  std::string deep = std::string(100, '[') + std::string(100, ']');
  const HttpReply nested =
      Post(Host("nytimes"), "/a2a",
           R"({"jsonrpc":"2.0","id":1,"method":"message/send","params":)" +
               deep + "}",
           token);
  EXPECT_EQ(nested.status, 400);
  EXPECT_TRUE(absl::StrContains(
      nested.Json()["error"]["message"].get<std::string>(), "deep"))
      << nested.body;
}

TEST_F(A2aTest, MetricsCountA2aRequestsByTaskOrMethod) {
  A2a("nytimes", Send("get_products", {{"buying_mode", "wholesale"}}),
      tokens_["nytimes"]);
  A2a("nytimes",
      Rpc("tasks/pushNotificationConfig/anything-at-all", json::object()),
      tokens_["nytimes"]);
  Get(Host("nytimes"), "/.well-known/agent-card.json");
  const HttpReply scrape =
      HttpCall(edge_->metrics_port(), "GET", "/metrics", "", {});
  ASSERT_EQ(scrape.status, 200);
  for (
      const std::string line :
      {R"(agent_requests_total{status="ok",tool="get_products",transport="a2a"} 1)",
       R"(agent_requests_total{status="200",tool="push-notification-config",transport="a2a"} 1)",
       R"(agent_requests_total{status="200",tool="agent-card",transport="a2a"} 1)"})
    EXPECT_TRUE(absl::StrContains(scrape.body, line))
        << line << "\n"
        << scrape.body.substr(0, 3000);
}

class A2aAnonymousGateTest : public A2aTest {
 protected:
  void ConfigureEdge(EdgeConfig& config) override {
    config.anonymous_client_limit = RateLimit{.per_second = 0.001, .burst = 2};
  }
};

TEST_F(A2aAnonymousGateTest, AnonymousCallersShareTheMcpBudget) {
  const std::string capabilities =
      Send("get_adcp_capabilities", json::object()).dump();
  EXPECT_EQ(Post(Host("nytimes"), "/a2a", capabilities, "").status, 200);
  EXPECT_EQ(Post(Host("nytimes"), "/mcp",
                 R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})", "")
                .status,
            200);
  // The third anonymous request of this client: 429 before the body is read.
  const HttpReply limited = Post(Host("nytimes"), "/a2a", "{not json", "");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Json()["error"]["data"]["adcp_error"]["code"],
            "RATE_LIMITED");
  EXPECT_TRUE(limited.Json()["id"].is_null());
  // A buyer with a token is not this gate's business.
  EXPECT_EQ(
      Post(Host("nytimes"), "/a2a", capabilities, tokens_["nytimes"]).status,
      200);
}

}  // namespace
}  // namespace adcp::agent_edge
