// Two auth processes beside one registry: a rotation, revocation or tenant
// deactivation made through one is honoured by the other within a second.
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "absl/strings/str_cat.h"
#include "libs/tenancy/service_channel.h"
#include "tests/support/process.h"
#include "tests/support/suite.h"

namespace adcp::auth {
namespace {

using ::adcp::testing::ChildProcess;
using ::adcp::testing::Suite;

class AuthProcess {
 public:
  static std::unique_ptr<AuthProcess> Start(Suite& suite) {
    auto process = std::unique_ptr<AuthProcess>(new AuthProcess());
    process->child_ = ChildProcess::Launch(
        AUTH_BINARY, {{"DATABASE_URL", suite.db().AuthUrl()},
                      {"ADCP_INTERNAL_TOKEN", suite.internal_token()},
                      {"TENANT_REGISTRY_ADDR", suite.registry_address()},
                      {"AUTH_PORT", "0"},
                      {"METRICS_PORT", "-1"},
                      {"BIND_HOST", "127.0.0.1"},
                      {"DB_WAIT_SECONDS", "5"}});
    if (!process->child_->AwaitLog("\"msg\":\"serving\"", absl::Seconds(20)))
      return nullptr;
    std::smatch port;
    const std::string log = process->child_->Log();
    if (!std::regex_search(log, port, std::regex("\"grpc_port\":([0-9]+)")))
      return nullptr;
    process->stub_ = pb::Auth::NewStub(MakeServiceChannel(
        absl::StrCat("127.0.0.1:", port[1].str()), suite.internal_token()));
    return process;
  }

  grpc::StatusCode Resolve(const std::string& tenant,
                           const std::string& token) {
    pb::ResolvePrincipalRequest request;
    request.set_token(token);
    pb::Principal principal;
    return stub_
        ->ResolvePrincipal(Suite::Context(tenant, "", "").get(), request,
                           &principal)
        .error_code();
  }
  pb::Auth::Stub& stub() { return *stub_; }
  ChildProcess& child() { return *child_; }

 private:
  std::unique_ptr<ChildProcess> child_;
  std::unique_ptr<pb::Auth::Stub> stub_;
};

// How long until `process` answers `want` for the token, polling; a
// Duration past `limit` means it never did.
absl::Duration TimeUntil(AuthProcess& process, const std::string& tenant,
                         const std::string& token, grpc::StatusCode want,
                         absl::Duration limit) {
  const absl::Time start = absl::Now();
  while (absl::Now() - start < limit) {
    if (process.Resolve(tenant, token) == want) return absl::Now() - start;
  }
  return limit + absl::Seconds(1);
}

TEST(AuthProcessTest, ChangesMadeThroughOneProcessHoldInTheOtherWithinASecond) {
  auto suite = Suite::Start();
  ASSERT_TRUE(suite.ok()) << suite.status();
  ASSERT_TRUE((*suite)->CreateTenant("alpha").ok());
  auto one = AuthProcess::Start(**suite);
  auto two = AuthProcess::Start(**suite);
  ASSERT_TRUE(one && two);

  pb::CreatePrincipalRequest create;
  create.set_principal_id("buyer");
  create.set_name("Buyer");
  pb::PrincipalWithToken issued;
  ASSERT_TRUE(one->stub()
                  .CreatePrincipal((*suite)->AdminContext("alpha").get(),
                                   create, &issued)
                  .ok());
  // Both processes have the token cached.
  ASSERT_EQ(one->Resolve("alpha", issued.access_token()), grpc::StatusCode::OK);
  ASSERT_EQ(two->Resolve("alpha", issued.access_token()), grpc::StatusCode::OK);

  pb::RotateTokenRequest rotate;
  rotate.set_principal_id("buyer");
  pb::PrincipalWithToken rotated;
  ASSERT_TRUE(
      one->stub()
          .RotateToken((*suite)->AdminContext("alpha").get(), rotate, &rotated)
          .ok());
  EXPECT_LT(TimeUntil(*two, "alpha", issued.access_token(),
                      grpc::StatusCode::UNAUTHENTICATED, absl::Seconds(1)),
            absl::Seconds(1));
  ASSERT_EQ(two->Resolve("alpha", rotated.access_token()),
            grpc::StatusCode::OK);

  pb::RevokePrincipalRequest revoke;
  revoke.set_principal_id("buyer");
  pb::Principal revoked;
  ASSERT_TRUE(one->stub()
                  .RevokePrincipal((*suite)->AdminContext("alpha").get(),
                                   revoke, &revoked)
                  .ok());
  EXPECT_LT(TimeUntil(*two, "alpha", rotated.access_token(),
                      grpc::StatusCode::UNAUTHENTICATED, absl::Seconds(1)),
            absl::Seconds(1));

  // Deactivating the tenant in the registry stops both processes.
  auto admin = (*suite)->CreatePrincipal("alpha", "alpha_admin");
  ASSERT_TRUE(admin.ok());
  ASSERT_EQ(one->Resolve("alpha", admin->access_token()), grpc::StatusCode::OK);
  ASSERT_EQ(two->Resolve("alpha", admin->access_token()), grpc::StatusCode::OK);
  ASSERT_TRUE((*suite)->SetTenantActive("alpha", false).ok());
  for (AuthProcess* process : {one.get(), two.get()}) {
    EXPECT_LT(TimeUntil(*process, "alpha", admin->access_token(),
                        grpc::StatusCode::PERMISSION_DENIED, absl::Seconds(1)),
              absl::Seconds(1));
  }
  for (AuthProcess* process : {one.get(), two.get()}) {
    ASSERT_TRUE(process->child().Signal(SIGTERM));
    EXPECT_EQ(process->child().Wait(absl::Seconds(15)), 0)
        << process->child().Log();
  }
}

}  // namespace
}  // namespace adcp::auth
