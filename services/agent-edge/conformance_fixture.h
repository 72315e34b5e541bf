// The set-up the AdCP conformance tests share: the suite on a throwaway
// database, a sandbox tenant with the mock adapter, its buyer's token, the
// fixtures the storyboards send without discovering them first, and the
// agent edge on a real socket. RunJson runs a command of @adcp/sdk's CLI in
// tests/adcp-tools and parses what it prints.
//
// Before the runs, the controller seeds "test-product" with the pricing
// options "default" and "test-pricing": the ids the idempotency and
// deterministic_testing storyboards send without discovering products first
// (AdCP 3.0 lets such storyboards rely on fixtures seeded out of band).
// Media-buy signs webhooks (a test KEK) and may send them to 127.0.0.1
// (the runner's webhook receiver). The tenant verifies signed requests as the
// signed-requests test kit asks (TenantConfig()).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "services/agent-edge/agent_edge.h"
#include "tests/support/suite.h"

#ifndef ADCP_TOOLS_DIR
#error "ADCP_TOOLS_DIR must name tests/adcp-tools"
#endif

namespace adcp::agent_edge {

class ConformanceFixture : public ::testing::Test {
 protected:
  static constexpr char kTenant[] = "nytimes";

  void SetUp() override;

  // The sandbox tenant's config: the mock adapter, and request signing
  // with the AdCP signed-requests test kit's keys (left out at creation:
  // the media_buy_seller storyboard registers webhook credentials over a
  // bearer token, which a seller that verifies signatures refuses).
  static nlohmann::json TenantConfig();

  // Runs the controller's `scenario` with `params` as the buyer; asserts
  // that it succeeded.
  void Seed(const std::string& scenario, const nlohmann::json& params);

  // The tenant's endpoint on the edge for protocol_ (/mcp or /a2a).
  std::string AgentUrl() const;

  // The tenant's brand.json on the edge (its jwks_uri: the webhook keys).
  std::string BrandJsonUrl() const;

  // Runs `command` in tests/adcp-tools; its stdout as JSON (null, with a
  // test failure naming stdout and stderr, when it printed none).
  static nlohmann::json RunJson(const std::string& command);

  std::unique_ptr<testing::Suite> suite_;
  std::unique_ptr<AgentEdge> edge_;
  std::string token_;
  std::string protocol_ = "mcp";  // or "a2a"
};

}  // namespace adcp::agent_edge
