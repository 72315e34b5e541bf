// A gateway configuration for tests: loopback, a free port, the suite's
// internal token. The UI signs in as the suite's named admin
// (testing::kSuiteAdminId, kTestAdminPassword).
#pragma once

#include <string>

#include "services/admin-gateway/admin_gateway.h"
#include "tests/support/suite.h"

namespace adcp::admin_gateway {

inline constexpr const char* kTestAdminPassword = testing::kSuiteAdminPassword;

inline GatewayConfig TestGatewayConfig(const testing::Suite& suite,
                                       const std::string& registry,
                                       const std::string& auth,
                                       const std::string& media_buy) {
  GatewayConfig config;
  config.http.bind_host = "127.0.0.1";
  config.http.port = 0;
  config.http.threads = 4;
  config.http.shutdown_grace = absl::Seconds(2);
  config.backends.registry_address = registry;
  config.backends.auth_address = auth;
  config.backends.media_buy_address = media_buy;
  config.backends.internal_token = suite.internal_token();
  config.backends.deadline = absl::Seconds(3);
  // Tests that exercise the failure budget set their own.
  config.admin_token_failures = {.per_second = 1e6, .burst = 1e6};
  config.ui.session_secret = std::string(40, 's');
  return config;
}

inline GatewayConfig TestGatewayConfig(const testing::Suite& suite) {
  return TestGatewayConfig(suite, suite.registry_address(),
                           suite.auth_address(), suite.media_buy_address());
}

}  // namespace adcp::admin_gateway
