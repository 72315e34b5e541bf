// Runs tests/browser/admin_ui.mjs and admin_accounts.mjs (headless Chromium
// via playwright-core) against a gateway in front of a real registry and auth
// service.
#include <gtest/gtest.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "services/admin-gateway/admin_gateway.h"
#include "services/admin-gateway/gateway_test_config.h"
#include "tests/support/process.h"
#include "tests/support/suite.h"

namespace adcp::admin_gateway {
namespace {

using ::adcp::testing::ChildProcess;
using ::adcp::testing::Suite;

// Runs `script` against a gateway in front of a fresh suite; expects
// `summary` ("N passed, 0 failed") in its output.
void RunBrowserScript(const std::string& script, const std::string& shots,
                      const std::string& summary) {
  auto suite = Suite::Start();
  ASSERT_TRUE(suite.ok()) << suite.status();
  const GatewayConfig config = TestGatewayConfig(**suite);
  auto gateway = AdminGateway::Start(config);
  ASSERT_TRUE(gateway.ok()) << gateway.status();

  const char* path = std::getenv("PATH");
  auto node = ChildProcess::Launch(
      NODE_BINARY,
      {{"PATH", path ? path : "/usr/bin:/bin"},
       {"HOME", "/tmp"},
       {"ADMIN_URL", absl::StrCat("http://127.0.0.1:", (*gateway)->port())},
       {"ADMIN_USER", testing::kSuiteAdminId},
       {"ADMIN_PASSWORD", testing::kSuiteAdminPassword},
       {"SYSTEM_TOKEN", (*suite)->system_token()},
       {"SCREENSHOT_DIR", shots}},
      {script});
  const int exit_code = node->Wait(absl::Seconds(180));
  EXPECT_EQ(exit_code, 0) << node->Log();
  EXPECT_NE(node->Log().find(summary), std::string::npos) << node->Log();
}

TEST(AdminBrowserTest, AnAdminManagesATenantInARealBrowser) {
  RunBrowserScript(BROWSER_TEST_DIR "/admin_ui.mjs", SCREENSHOT_DIR "/admin-ui",
                   "10 passed, 0 failed");
}

TEST(AdminBrowserTest, AdminsManageAdminsAndTheirTokensInARealBrowser) {
  RunBrowserScript(BROWSER_TEST_DIR "/admin_accounts.mjs",
                   SCREENSHOT_DIR "/admin-accounts", "7 passed, 0 failed");
}

}  // namespace
}  // namespace adcp::admin_gateway
