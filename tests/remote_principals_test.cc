// RemotePrincipalResolver (what services other than auth use to check bearer
// tokens) against a real auth service.
#include "libs/tenancy/remote_principals.h"

#include <gtest/gtest.h>

#include "libs/tenancy/remote_system_admins.h"
#include "libs/tenancy/service_channel.h"
#include "tests/support/suite.h"

namespace adcp {
namespace {

using testing::Suite;

class RemotePrincipalsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto suite = Suite::Start();
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = *std::move(suite);
    ASSERT_TRUE(suite_->CreateTenant("alpha").ok());
    ASSERT_TRUE(suite_->CreateTenant("bravo").ok());
    resolver_ = std::make_unique<RemotePrincipalResolver>(
        MakeServiceChannel(suite_->auth_address(), suite_->internal_token()));
    resolver_->Start();
    ASSERT_TRUE(resolver_->WaitUntilWatching(absl::Seconds(5)));
  }

  // How long until Resolve stops accepting `token`; past `limit` if never.
  absl::Duration TimeUntilRefused(const std::string& token,
                                  absl::Duration limit) {
    const absl::Time start = absl::Now();
    while (absl::Now() - start < limit) {
      if (absl::IsUnauthenticated(
              resolver_->Resolve("alpha", token).status())) {
        return absl::Now() - start;
      }
    }
    return limit + absl::Seconds(1);
  }

  std::unique_ptr<Suite> suite_;
  std::unique_ptr<RemotePrincipalResolver> resolver_;
};

TEST_F(RemotePrincipalsTest, AsksAuthOnceThenAnswersFromMemory) {
  auto admin = suite_->CreatePrincipal("alpha", "alpha_admin");
  ASSERT_TRUE(admin.ok());
  for (int i = 0; i < 100; ++i) {
    auto resolved = resolver_->Resolve("alpha", admin->access_token());
    ASSERT_TRUE(resolved.ok()) << resolved.status();
    EXPECT_EQ(resolved->principal_id, "alpha_admin");
    EXPECT_TRUE(resolved->is_admin);
  }
  EXPECT_EQ(resolver_->remote_calls(), 1u);
  EXPECT_TRUE(absl::IsUnauthenticated(
      resolver_->Resolve("bravo", admin->access_token()).status()));
  EXPECT_TRUE(absl::IsUnauthenticated(
      resolver_->Resolve("alpha", "adcp_nothing").status()));
}

// The system admins' resolver caches as the principals' does: one call to
// auth for a token, then memory; a made-up token is asked about each time
// (the guard's failure budget bounds those).
TEST_F(RemotePrincipalsTest,
       SystemAdminTokensAreAskedOnceThenAnsweredFromMemory) {
  RemoteSystemAdminResolver admins(
      MakeServiceChannel(suite_->auth_address(), suite_->internal_token()));
  admins.Start();
  ASSERT_TRUE(admins.WaitUntilWatching(absl::Seconds(5)));
  for (int i = 0; i < 100; ++i) {
    auto admin = admins.Resolve(suite_->system_token(), "test-client");
    ASSERT_TRUE(admin.ok()) << admin.status();
    EXPECT_FALSE(admin->admin_id.empty());
    EXPECT_FALSE(admin->bootstrap);
  }
  EXPECT_EQ(admins.remote_calls(), 1u);
  EXPECT_TRUE(absl::IsUnauthenticated(
      admins.Resolve("adcp_nothing_of_the_sort", "test-client").status()));
  admins.Stop();
}

TEST_F(RemotePrincipalsTest, RotationAndRevocationReachTheCacheWithinASecond) {
  auto issued = suite_->CreatePrincipal("alpha", "buyer");
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(
      resolver_->Resolve("alpha", issued->access_token()).ok());  // cached

  auth::v1::RotateTokenRequest rotate;
  rotate.set_principal_id("buyer");
  auth::v1::PrincipalWithToken rotated;
  ASSERT_TRUE(
      suite_->auth()
          .RotateToken(suite_->AdminContext("alpha").get(), rotate, &rotated)
          .ok());
  EXPECT_LT(TimeUntilRefused(issued->access_token(), absl::Seconds(1)),
            absl::Seconds(1));
  ASSERT_TRUE(resolver_->Resolve("alpha", rotated.access_token()).ok());

  auth::v1::RevokePrincipalRequest revoke;
  revoke.set_principal_id("buyer");
  auth::v1::Principal revoked;
  ASSERT_TRUE(suite_->auth()
                  .RevokePrincipal(suite_->AdminContext("alpha").get(), revoke,
                                   &revoked)
                  .ok());
  EXPECT_LT(TimeUntilRefused(rotated.access_token(), absl::Seconds(1)),
            absl::Seconds(1));
}

TEST(RemotePrincipalsDownTest,
     AnUnreachableAuthIsUnavailableNotUnauthenticated) {
  RemotePrincipalResolver resolver(
      MakeServiceChannel("127.0.0.1:1", "internal-token-0123456789"),
      absl::Milliseconds(300));
  resolver.Start();
  EXPECT_FALSE(resolver.WaitUntilWatching(absl::Milliseconds(300)));
  const auto result = resolver.Resolve("alpha", "adcp_token");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable)
      << result.status();
}

}  // namespace
}  // namespace adcp
