// The tenant-registry binary as an operator runs it: refuses unsafe database
// roles, and stops cleanly on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "test_database.h"

namespace adcp::tenant_registry {
namespace {

using ::adcp::testing::TestDatabase;

struct Process {
  pid_t pid = -1;
  std::string log_path;

  std::string Log() const {
    std::ifstream file(log_path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }
  // Exit code, or -signal; -1000 when it did not exit within `timeout`.
  int Wait(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    int status = 0;
    while (absl::Now() < deadline) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1000;
  }
  ~Process() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (!log_path.empty()) unlink(log_path.c_str());
  }
};

std::unique_ptr<Process> Launch(const std::map<std::string, std::string>& env) {
  auto process = std::make_unique<Process>();
  char path[] = "/tmp/tenant-registry-test-XXXXXX";
  const int fd = mkstemp(path);
  process->log_path = path;
  process->pid = fork();
  if (process->pid == 0) {
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    clearenv();
    for (const auto& [name, value] : env)
      setenv(name.c_str(), value.c_str(), 1);
    execl(TENANT_REGISTRY_BINARY, TENANT_REGISTRY_BINARY, nullptr);
    _exit(127);
  }
  close(fd);
  return process;
}

std::map<std::string, std::string> BaseEnv(const std::string& database_url) {
  return {{"DATABASE_URL", database_url},
          {"ADCP_INTERNAL_TOKEN", "startup-test-token-0123456789"},
          {"SYSTEM_ADMIN_TOKEN", "startup-test-system-token-0123456789"},
          {"TENANT_REGISTRY_PORT", "0"},
          {"METRICS_PORT", "0"},
          {"BIND_HOST", "127.0.0.1"},
          {"DB_WAIT_SECONDS", "0"}};
}

class TenantRegistryStartupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  std::unique_ptr<TestDatabase> db_;
};

TEST_F(TenantRegistryStartupTest, RefusesToRunAsSuperuser) {
  auto process = Launch(BaseEnv(db_->SuperuserUrl()));
  EXPECT_EQ(process->Wait(absl::Seconds(20)), 1);
  EXPECT_NE(process->Log().find(
                "is a superuser; services must connect as the app role"),
            std::string::npos)
      << process->Log();
}

TEST_F(TenantRegistryStartupTest, RefusesToRunAsTheTableOwner) {
  auto process = Launch(BaseEnv(db_->OwnerUrl()));
  EXPECT_EQ(process->Wait(absl::Seconds(20)), 1);
  EXPECT_NE(process->Log().find("owns tables"), std::string::npos)
      << process->Log();
}

TEST_F(TenantRegistryStartupTest, RefusesAnUnmigratedDatabase) {
  auto bare = TestDatabase::Create(/*migrate=*/false);
  ASSERT_TRUE(bare.ok()) << bare.status();
  auto process = Launch(BaseEnv((*bare)->AppUrl()));
  EXPECT_EQ(process->Wait(absl::Seconds(20)), 1);
  EXPECT_NE(process->Log().find("run adcp-migrate first"), std::string::npos)
      << process->Log();
}

TEST_F(TenantRegistryStartupTest, RefusesMissingOrMalformedConfiguration) {
  auto env = BaseEnv(db_->AppUrl());
  env.erase("ADCP_INTERNAL_TOKEN");
  auto no_token = Launch(env);
  EXPECT_EQ(no_token->Wait(absl::Seconds(20)), 2);
  EXPECT_NE(no_token->Log().find("ADCP_INTERNAL_TOKEN: must be set"),
            std::string::npos);

  env = BaseEnv(db_->AppUrl());
  env["TENANT_REGISTRY_PORT"] = "http";
  auto bad_port = Launch(env);
  EXPECT_EQ(bad_port->Wait(absl::Seconds(20)), 2);
  EXPECT_NE(bad_port->Log().find("TENANT_REGISTRY_PORT: expected an integer"),
            std::string::npos)
      << bad_port->Log();
}

TEST_F(TenantRegistryStartupTest, ServesAsTheAppRoleAndStopsCleanlyOnSigterm) {
  auto process = Launch(BaseEnv(db_->AppUrl()));
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (process->Log().find("\"msg\":\"serving\"") == std::string::npos &&
         absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(process->Log().find("\"msg\":\"serving\""), std::string::npos)
      << process->Log();
  ASSERT_EQ(kill(process->pid, SIGTERM), 0);
  EXPECT_EQ(process->Wait(absl::Seconds(15)), 0) << process->Log();
  const std::string log = process->Log();
  EXPECT_NE(log.find("\"msg\":\"shutting down\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"msg\":\"stopped\""), std::string::npos) << log;
  // Every line is one JSON object naming the service.
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(line.starts_with("{") && line.ends_with("}")) << line;
    EXPECT_NE(line.find("\"service\":\"tenant-registry\""), std::string::npos)
        << line;
  }
}

}  // namespace
}  // namespace adcp::tenant_registry
