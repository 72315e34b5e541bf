// CallGuard's admission over real gRPC calls (guard_test_fixture.h): the
// internal token, each scope's credentials, tenants by id and by Host, the
// call context the body runs with.
#include <gtest/gtest.h>

#include "libs/tenancy/guard_test_fixture.h"

namespace adcp::guard_test {
namespace {

TEST_F(CallGuardTest, RefusesAMethodWithoutAPolicy) {
  EXPECT_EQ(Code("NotInThePolicy", Caller{}), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(runs(), 0);
}

TEST_F(CallGuardTest, EveryScopeNeedsTheInternalToken) {
  for (const auto& [method, scope] : Policy()) {
    Caller missing{.internal_token = "",
                   .tenant_id = "alpha",
                   .bearer = "alpha-admin-token",
                   .system = kSystemToken};
    Caller wrong = missing;
    wrong.internal_token = "not-the-internal-token";
    EXPECT_EQ(Code(method, missing), grpc::StatusCode::UNAUTHENTICATED)
        << method;
    EXPECT_EQ(Code(method, wrong), grpc::StatusCode::UNAUTHENTICATED) << method;
  }
  EXPECT_EQ(runs(), 0);
}

TEST_F(CallGuardTest, PlatformScopeNeedsNothingElse) {
  ASSERT_TRUE(Call("Platform", Caller{}).ok());
  EXPECT_EQ(last().tenant_id, "");
  EXPECT_EQ(last().principal_id, "");
  EXPECT_FALSE(last().system_admin);
}

TEST_F(CallGuardTest, SystemAdminScopeTakesOnlyTheSystemToken) {
  EXPECT_EQ(Code("System", Caller{}), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Code("System", Caller{.system = "a-wrong-system-token"}),
            grpc::StatusCode::PERMISSION_DENIED);
  // A tenant admin's token is no system token.
  EXPECT_EQ(Code("System",
                 Caller{.tenant_id = "alpha", .bearer = "alpha-admin-token"}),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(runs(), 0);
  ASSERT_TRUE(Call("System", Caller{.system = kSystemToken}).ok());
  EXPECT_EQ(last().principal_id, "admin:ops");
  EXPECT_TRUE(last().system_admin);
  EXPECT_FALSE(last().bootstrap_admin);
}

TEST_F(CallGuardTest, WithoutASystemAdminResolverSystemAdminIsRefused) {
  GuardOptions options = Options();
  options.system_admins = nullptr;
  Start(options);
  EXPECT_EQ(Code("System", Caller{.system = kSystemToken}),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CallGuardTest, TheBootstrapTokenIsAdmittedForTheFirstAdminScopeOnly) {
  system_admins_->bootstrap = "the-bootstrap-token";
  ASSERT_TRUE(Call("FirstAdmin", Caller{.system = "the-bootstrap-token"}).ok());
  EXPECT_EQ(last().principal_id, "bootstrap");
  EXPECT_TRUE(last().bootstrap_admin);
  const int runs_before = runs();
  // Every other system admin method refuses it in the guard.
  const grpc::Status refused =
      Call("System", Caller{.system = "the-bootstrap-token"});
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(refused.error_message(),
            "x-system-token: the bootstrap token only creates the first admin");
  EXPECT_EQ(runs(), runs_before);
  // A named admin runs both.
  EXPECT_TRUE(Call("FirstAdmin", Caller{.system = kSystemToken}).ok());
  EXPECT_TRUE(Call("System", Caller{.system = kSystemToken}).ok());
  // Never for a tenant: it falls back to the (missing) bearer token.
  EXPECT_EQ(Code("TenantAdmin",
                 Caller{.tenant_id = "alpha", .system = "the-bootstrap-token"}),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(CallGuardTest, FailedSystemTokensAreThrottledPerClientBeforeLookup) {
  GuardOptions options = Options();
  options.limits.auth_failures_client = {.per_second = 1, .burst = 3};
  Start(options);
  const Caller wrong{.system = "a-wrong-system-token", .client = "10.0.0.9"};
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(Code("System", wrong), grpc::StatusCode::PERMISSION_DENIED);
  const int resolves = system_admins_->resolves();
  std::string retry_after;
  EXPECT_EQ(Call("System", wrong, &retry_after).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_FALSE(retry_after.empty());
  // Even the right token waits: the client is refused before any lookup.
  EXPECT_EQ(
      Code("System", Caller{.system = kSystemToken, .client = "10.0.0.9"}),
      grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(system_admins_->resolves(), resolves);
  // Another client is not held up.
  EXPECT_TRUE(
      Call("System", Caller{.system = kSystemToken, .client = "10.0.0.8"})
          .ok());
  Advance(absl::Seconds(1));
  EXPECT_TRUE(
      Call("System", Caller{.system = kSystemToken, .client = "10.0.0.9"})
          .ok());
}

TEST_F(CallGuardTest, TenantScopeNeedsAKnownActiveTenant) {
  EXPECT_EQ(Code("Tenant", Caller{}), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Code("Tenant", Caller{.raw = {{kTenantIdKey, "Not_A_Label"}}}),
            grpc::StatusCode::INVALID_ARGUMENT);
  const grpc::Status unknown = Call("Tenant", Caller{.tenant_id = "nobody"});
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(unknown.error_message(), "tenant not found");
  EXPECT_EQ(Code("Tenant", Caller{.tenant_id = "bravo"}),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(runs(), 0);
  ASSERT_TRUE(Call("Tenant", Caller{.tenant_id = "alpha"}).ok());
  EXPECT_EQ(last().tenant_id, "alpha");
  EXPECT_EQ(last().principal_id, "");
}

TEST_F(CallGuardTest, ATenantDirectoryNotLoadedYetIsUnavailable) {
  tenants_->unavailable = true;
  EXPECT_EQ(Code("Tenant", Caller{.tenant_id = "alpha"}),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(CallGuardTest, TheTenantMayBeNamedByTheHttpHost) {
  ASSERT_TRUE(Call("Tenant", Caller{.tenant_host = "alpha.example.com"}).ok());
  EXPECT_EQ(last().tenant_id, "alpha");
  const grpc::Status unknown =
      Call("Tenant", Caller{.tenant_host = "nobody.example.com"});
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(unknown.error_message(), "Tenant not found");
  // x-tenant-id, when sent, wins over the host.
  ASSERT_TRUE(Call("Tenant", Caller{.tenant_id = "open",
                                    .tenant_host = "alpha.example.com"})
                  .ok());
  EXPECT_EQ(last().tenant_id, "open");
}

TEST_F(CallGuardTest, PrincipalScopeNeedsALiveTokenOfThatTenant) {
  EXPECT_EQ(Code("Principal", Caller{.tenant_id = "alpha"}),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Code("Principal",
                 Caller{.tenant_id = "alpha",
                        .raw = {{kAuthorizationKey, "Basic YWxwaGE6eA=="}}}),
            grpc::StatusCode::UNAUTHENTICATED);
  const grpc::Status made_up =
      Call("Principal", Caller{.tenant_id = "alpha", .bearer = "made-up"});
  EXPECT_EQ(made_up.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(made_up.error_message(), "invalid or revoked token");
  // Another tenant's token is worthless here.
  EXPECT_EQ(Code("Principal",
                 Caller{.tenant_id = "alpha", .bearer = "open-buyer-token"}),
            grpc::StatusCode::UNAUTHENTICATED);
  // An inactive tenant's own valid token.
  EXPECT_EQ(Code("Principal",
                 Caller{.tenant_id = "bravo", .bearer = "bravo-admin-token"}),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(runs(), 0);
  ASSERT_TRUE(Call("Principal",
                   Caller{.tenant_id = "alpha", .bearer = "alpha-buyer-token"})
                  .ok());
  EXPECT_EQ(last().principal_id, "buyer");
  EXPECT_EQ(last().principal_token, "alpha-buyer-token");
  EXPECT_FALSE(last().is_admin);
  EXPECT_EQ(last().platform_mappings["kevel"]["advertiser_id"], "7");
}

TEST_F(CallGuardTest, TenantAdminScopeNeedsTheAdminPrincipalOrTheSystemToken) {
  EXPECT_EQ(Code("TenantAdmin",
                 Caller{.tenant_id = "alpha", .bearer = "alpha-buyer-token"}),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Code("TenantAdmin", Caller{.tenant_id = "alpha"}),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(Call("TenantAdmin",
                   Caller{.tenant_id = "alpha", .bearer = "alpha-admin-token"})
                  .ok());
  EXPECT_EQ(last().principal_id, "alpha_admin");
  EXPECT_TRUE(last().is_admin);
  EXPECT_FALSE(last().system_admin);
  // The system admin manages even an inactive tenant.
  ASSERT_TRUE(
      Call("TenantAdmin", Caller{.tenant_id = "bravo", .system = kSystemToken})
          .ok());
  EXPECT_EQ(last().tenant_id, "bravo");
  EXPECT_EQ(last().principal_id, "admin:ops");
  EXPECT_TRUE(last().system_admin);
}

TEST_F(CallGuardTest, AnonymousCallsWhereTheScopeAllowsThem) {
  ASSERT_TRUE(Call("Optional", Caller{.tenant_id = "alpha"}).ok());
  EXPECT_EQ(last().principal_id, "");
  EXPECT_EQ(last().tenant_id, "alpha");
  // A token, when sent, must be valid.
  EXPECT_EQ(Code("Optional", Caller{.tenant_id = "alpha", .bearer = "nope"}),
            grpc::StatusCode::UNAUTHENTICATED);
  // Discovery is anonymous only where the tenant allows it.
  EXPECT_EQ(Code("Discovery", Caller{.tenant_id = "alpha"}),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(Call("Discovery", Caller{.tenant_id = "open"}).ok());
  EXPECT_EQ(last().principal_id, "");
  ASSERT_TRUE(Call("Discovery",
                   Caller{.tenant_id = "open", .bearer = "open-buyer-token"})
                  .ok());
  EXPECT_EQ(last().principal_id, "open_buyer");
}

TEST_F(CallGuardTest, TheBodyRunsWithTheCallContextInstalled) {
  ASSERT_TRUE(Call("Principal", Caller{.tenant_id = "alpha",
                                       .bearer = "alpha-buyer-token",
                                       .client = "203.0.113.9",
                                       .request_id = "req-42"})
                  .ok());
  EXPECT_TRUE(installed());
  EXPECT_EQ(last().request_id, "req-42");
  EXPECT_EQ(last().client_address, "203.0.113.9");
  // Without x-adcp-client the client is the gRPC peer; a request id longer
  // than kMaxRequestIdBytes is dropped.
  ASSERT_TRUE(Call("Tenant",
                   Caller{.tenant_id = "alpha",
                          .raw = {{kRequestIdKey,
                                   std::string(kMaxRequestIdBytes + 1, 'r')}}})
                  .ok());
  EXPECT_EQ(last().client_address, "127.0.0.1");
  EXPECT_EQ(last().request_id, "");
  EXPECT_EQ(CurrentCallContext(), nullptr);  // only inside the body
}

}  // namespace
}  // namespace adcp::guard_test
