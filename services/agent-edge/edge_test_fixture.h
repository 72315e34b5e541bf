// The agent edge's test fixture: registry, auth and media-buy in-process
// (Suite), the edge on a free port, two tenants (nytimes, localnews) each
// with a buyer and a product. Test-only.
#pragma once

#include <arpa/inet.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/agent-edge/agent_edge.h"
#include "tests/support/http_client.h"
#include "tests/support/suite.h"

namespace adcp::agent_edge {

using ::adcp::testing::HttpCall;
using ::adcp::testing::HttpReply;
using ::adcp::testing::Suite;
using nlohmann::json;

constexpr char kBase[] = "sales.test";

// A TCP connection to 127.0.0.1:`port` whose reads give up after 10 s, with
// `bytes` sent; -1 on failure. The caller closes it.
inline int SendOnFreshConnection(int port, const std::string& bytes) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval wait{.tv_sec = 10, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(bytes.size())) {
    close(fd);
    return -1;
  }
  return fd;
}

class AgentEdgeTest : public ::testing::Test {
 protected:
  // What the suite starts with (tests of limits lower them).
  virtual ::adcp::testing::SuiteOptions Options() { return {}; }
  virtual void ConfigureEdge(EdgeConfig& config) {}
  // Each tenant's config (JSON).
  virtual std::string TenantConfigJson(const std::string& tenant) {
    return R"({"adapters":{"mock":{"enabled":true}}})";
  }

  void SetUp() override {
    auto suite = Suite::Start(Options());
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = *std::move(suite);
    for (const char* tenant : {"nytimes", "localnews"}) {
      ASSERT_TRUE(suite_->CreateTenant(tenant, TenantConfigJson(tenant)).ok());
      auto admin =
          suite_->CreatePrincipal(tenant, std::string(tenant) + "_admin");
      ASSERT_TRUE(admin.ok());
      auto buyer = suite_->CreatePrincipal(tenant, "buyer");
      ASSERT_TRUE(buyer.ok());
      tokens_[tenant] = buyer->access_token();
      media_buy::v1::UpsertProductRequest product;
      ASSERT_TRUE(
          google::protobuf::util::JsonStringToMessage(
              absl::StrCat(
                  R"({"definition":{"product":{"product_id":")", tenant,
                  R"(_display","name":"Display","delivery_type":"guaranteed",
                          "format_ids":[{"agent_url":"https://creative.adcontextprotocol.org",
                          "id":"display_300x250"}],"pricing_options":[{
                          "pricing_option_id":"cpm","pricing_model":"cpm",
                          "currency":"USD","fixed_price":10}]}}})"),
              &product)
              .ok());
      media_buy::v1::ProductDefinition stored;
      ASSERT_TRUE(
          suite_->media_buy()
              .UpsertProduct(
                  Suite::Context(tenant, admin->access_token(), "").get(),
                  product, &stored)
              .ok());
    }
    EdgeConfig config;
    config.http.bind_host = "127.0.0.1";
    config.http.port = 0;
    config.http.threads = 16;
    config.http.shutdown_grace = absl::Seconds(2);
    config.http.idle_timeout = absl::Seconds(1);  // slow clients, below
    config.metrics_port = 0;
    config.registry_address = suite_->registry_address();
    config.media_buy_address = suite_->media_buy_address();
    config.auth_address = suite_->auth_address();
    config.internal_token = suite_->internal_token();
    config.base_domains = {kBase};
    ConfigureEdge(config);
    auto edge = AgentEdge::Start(config);
    ASSERT_TRUE(edge.ok()) << edge.status();
    edge_ = *std::move(edge);
  }

  HttpReply Post(const std::string& host, const std::string& target,
                 const std::string& body, const std::string& token,
                 std::map<std::string, std::string> headers = {}) {
    headers["Host"] = host;
    if (!token.empty()) headers["x-adcp-auth"] = token;
    return HttpCall(edge_->port(), "POST", target, body, headers);
  }
  static std::string Host(const std::string& tenant) {
    return tenant + "." + kBase;
  }
  json ToolCall(const std::string& host, const std::string& target,
                const std::string& tool, const json& arguments,
                const std::string& token) {
    const HttpReply reply =
        Post(host, target,
             json{{"jsonrpc", "2.0"},
                  {"id", 7},
                  {"method", "tools/call"},
                  {"params", {{"name", tool}, {"arguments", arguments}}}}
                 .dump(),
             token);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return reply.Json();
  }
  static std::set<std::string> ProductIds(const json& result) {
    std::set<std::string> ids;
    for (const auto& product :
         result["result"]["structuredContent"]["products"])
      ids.insert(product["product_id"].get<std::string>());
    return ids;
  }

  std::unique_ptr<Suite> suite_;
  std::unique_ptr<AgentEdge> edge_;
  std::map<std::string, std::string> tokens_;
};

}  // namespace adcp::agent_edge
