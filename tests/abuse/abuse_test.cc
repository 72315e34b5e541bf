// The abuse suite of issue 19 in ./dev test: a fresh database in the
// throwaway cluster, then tests/abuse/abuse.mjs, which starts the five
// binaries on free ports against it (as ./dev up does), makes tenants A, B
// and K with buyers through the admin REST API, sends the hostile requests
// group by group and prints a table. The test fails when the script does, and
// shows its output either way.
//
// ADCP_ABUSE_STRICT=1 holds current code to every expectation of the issue
// (without it, the known failures listed in abuse.mjs are reported but
// tolerated, and the requests known to crash a service are not sent).
// ADCP_ABUSE_FLOOD=1 also runs tests/abuse/flood.mjs, the measurement of
// tenant B's latency while tenant A is flooded anonymously (not a test: it
// prints its figures and fails only if it cannot run).
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "tests/support/process.h"
#include "tests/support/test_database.h"

namespace adcp::testing {
namespace {

std::map<std::string, std::string> ScriptEnvironment(const TestDatabase& db) {
  std::map<std::string, std::string> env = {
      {"HOME", "/tmp"},
      // Each service its own role (issue 28); the edge and the admin
      // gateway get none.
      {"ABUSE_REGISTRY_DATABASE_URL", db.RegistryUrl()},
      {"ABUSE_PURGE_DATABASE_URL", db.PurgeUrl()},
      {"ABUSE_AUTH_DATABASE_URL", db.AuthUrl()},
      {"ABUSE_MEDIA_BUY_DATABASE_URL", db.MediaBuyUrl()},
      {"ABUSE_REGISTRY_BINARY", REGISTRY_BINARY},
      {"ABUSE_AUTH_BINARY", AUTH_BINARY},
      {"ABUSE_MEDIA_BUY_BINARY", MEDIA_BUY_BINARY},
      {"ABUSE_EDGE_BINARY", EDGE_BINARY},
      {"ABUSE_ADMIN_BINARY", ADMIN_BINARY},
      {"ABUSE_ADCPCTL_BINARY", ADCPCTL_BINARY}};
  for (const char* name :
       {"PATH", "TMPDIR", "ADCP_ABUSE_STRICT", "ADCP_ABUSE_ONLY",
        "ABUSE_LOG_LEVEL", "FLOOD_SECONDS", "FLOOD_CONNECTIONS",
        "FLOOD_SOURCES", "FLOOD_B_RATE", "FLOOD_WRK"}) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  return env;
}

// Runs `script` to its end (or `limit`, then stops it: SIGTERM lets it stop
// the services it started); its exit code and output.
int RunScript(const std::string& script, const TestDatabase& db,
              absl::Duration limit, std::string* output) {
  auto node = ChildProcess::Launch(NODE_BINARY, ScriptEnvironment(db),
                                   {std::string(ABUSE_DIR) + "/" + script});
  int rc = node->Wait(limit);
  if (rc == -1000) {
    node->Signal(SIGTERM);
    rc = node->Wait(absl::Seconds(15));
    *output =
        node->Log() + "\n(stopped after " + absl::FormatDuration(limit) + ")\n";
    return rc == -1000 ? -1 : rc;
  }
  *output = node->Log();
  return rc;
}

TEST(AbuseTest, HostileRequestsNeitherCrashNorStarveAnotherTenant) {
  auto db = TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  std::string output;
  const int rc = RunScript("abuse.mjs", **db, absl::Seconds(240), &output);
  std::cout << output << std::flush;
  EXPECT_EQ(rc, 0) << "abuse.mjs failed (its output is above); the last part:\n"
                   << output.substr(output.size() > 6000 ? output.size() - 6000
                                                         : 0);
}

TEST(AbuseTest, FloodMeasurement) {
  if (std::getenv("ADCP_ABUSE_FLOOD") == nullptr)
    GTEST_SKIP() << "a measurement: set ADCP_ABUSE_FLOOD=1 to run flood.mjs";
  auto db = TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  std::string output;
  const int rc = RunScript("flood.mjs", **db, absl::Seconds(280), &output);
  std::cout << output << std::flush;
  EXPECT_EQ(rc, 0) << output;
}

}  // namespace
}  // namespace adcp::testing
