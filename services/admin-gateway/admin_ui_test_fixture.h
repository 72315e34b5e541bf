// The admin UI tests' fixture: a suite (real PostgreSQL, registry, auth and
// media-buy) and a gateway in front of it whose UI clock the test moves,
// with helpers that sign in and read a page's CSRF token.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "services/admin-gateway/admin_gateway.h"
#include "services/admin-gateway/gateway_test_config.h"
#include "tests/support/http_client.h"
#include "tests/support/suite.h"

namespace adcp::admin_gateway {

using ::adcp::testing::HttpCall;
using ::adcp::testing::HttpReply;
using ::adcp::testing::Suite;

class AdminUiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto suite = Suite::Start();
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = *std::move(suite);
    GatewayConfig config = TestGatewayConfig(*suite_);
    config.ui.session_ttl = absl::Minutes(30);
    config.ui.clock = [this] { return now_; };
    auto gateway = AdminGateway::Start(config);
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
  }

  // The value of cookie `name` set by `reply` ("" if none).
  static std::string SetCookie(const HttpReply& reply,
                               const std::string& name) {
    auto it = reply.headers.find("set-cookie");
    if (it == reply.headers.end() || !it->second.starts_with(name + "="))
      return "";
    return it->second.substr(name.size() + 1,
                             it->second.find(';') - name.size() - 1);
  }
  static std::string Csrf(const HttpReply& page) {
    std::smatch match;
    if (!std::regex_search(
            page.body, match,
            std::regex("name=\"_csrf\" value=\"([0-9a-f]+)\""))) {
      return "";
    }
    return match[1];
  }

  // Form-encodes the only character our passwords need encoded.
  static std::string FormValue(std::string value) {
    std::replace(value.begin(), value.end(), ' ', '+');
    return value;
  }

  // A sign-in at the gateway's port, or at another replica's.
  HttpReply LoginAttempt(const std::string& password,
                         const std::string& user = testing::kSuiteAdminId,
                         int port = 0) {
    if (port == 0) port = gateway_->port();
    const HttpReply page = HttpCall(port, "GET", "/admin/login");
    const std::string csrf = SetCookie(page, "adcp_login_csrf");
    return HttpCall(port, "POST", "/admin/login",
                    "_csrf=" + csrf + "&username=" + user +
                        "&password=" + FormValue(password),
                    {{"Cookie", "adcp_login_csrf=" + csrf}},
                    "application/x-www-form-urlencoded");
  }

  static constexpr const char* kPassword = kTestAdminPassword;
  absl::Time now_ = absl::Now();
  std::unique_ptr<Suite> suite_;
  std::unique_ptr<AdminGateway> gateway_;
};

}  // namespace adcp::admin_gateway
