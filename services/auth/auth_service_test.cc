// The auth service over real gRPC channels, beside a real registry, against a
// throwaway PostgreSQL.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/str_cat.h"
#include "libs/grpc/grpc_status.h"
#include "libs/tenancy/call_context.h"
#include "libs/tenancy/metadata.h"
#include "libs/tenancy/service_channel.h"
#include "services/auth/access_token.h"
#include "tests/support/suite.h"

namespace adcp::auth {
namespace {

using ::adcp::testing::Suite;

TEST(AuthAssemblyTest, DuplicatesInPoliciesOrPrivilegesAreErrors) {
  const ServicePolicy a = {{"Get", CallScope::kPlatform},
                           {"Put", CallScope::kSystemAdmin}};
  const ServicePolicy b = {{"Put", CallScope::kPlatform}};
  const absl::StatusOr<ServicePolicy> clash = MergePolicies({&a, &b});
  EXPECT_TRUE(absl::IsInternal(clash.status()));
  EXPECT_NE(clash.status().message().find("method Put"), std::string::npos);
  const RolePrivileges p1{.tables = {{"t1", {"SELECT"}}}};
  const RolePrivileges p2{.tables = {{"t1", {"INSERT"}}, {"t2", {"SELECT"}}}};
  const absl::StatusOr<RolePrivileges> overlap = MergePrivileges({p1, p2});
  EXPECT_TRUE(absl::IsInternal(overlap.status()));
  EXPECT_NE(overlap.status().message().find("table t1"), std::string::npos);
  // What auth itself assembles has none.
  EXPECT_TRUE(
      MergePolicies({&AuthService::Policy(), &SystemAdminService::Policy()})
          .ok());
  EXPECT_TRUE(AuthRolePrivileges().ok());
}

class AuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto suite = Suite::Start();
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = *std::move(suite);
    ASSERT_TRUE(suite_->CreateTenant("alpha").ok());
    ASSERT_TRUE(suite_->CreateTenant("bravo").ok());
  }

  absl::StatusOr<pb::Principal> Resolve(const std::string& tenant,
                                        const std::string& token) {
    pb::ResolvePrincipalRequest request;
    request.set_token(token);
    pb::Principal principal;
    const grpc::Status status = suite_->auth().ResolvePrincipal(
        Suite::Context(tenant, "", "").get(), request, &principal);
    if (!status.ok()) return FromGrpcStatus(status);
    return principal;
  }

  absl::StatusOr<pb::PrincipalWithToken> Rotate(
      const std::string& tenant, const std::string& principal_id) {
    pb::RotateTokenRequest request;
    request.set_principal_id(principal_id);
    pb::PrincipalWithToken issued;
    const grpc::Status status = suite_->auth().RotateToken(
        suite_->AdminContext(tenant).get(), request, &issued);
    if (!status.ok()) return FromGrpcStatus(status);
    return issued;
  }

  absl::StatusOr<pb::Principal> Revoke(const std::string& tenant,
                                       const std::string& principal_id) {
    pb::RevokePrincipalRequest request;
    request.set_principal_id(principal_id);
    pb::Principal principal;
    const grpc::Status status = suite_->auth().RevokePrincipal(
        suite_->AdminContext(tenant).get(), request, &principal);
    if (!status.ok()) return FromGrpcStatus(status);
    return principal;
  }

  std::vector<std::string> ListIds(const std::string& tenant,
                                   bool include_revoked) {
    pb::ListPrincipalsRequest request;
    request.set_include_revoked(include_revoked);
    pb::ListPrincipalsResponse response;
    EXPECT_TRUE(suite_->auth()
                    .ListPrincipals(suite_->AdminContext(tenant).get(), request,
                                    &response)
                    .ok());
    std::vector<std::string> ids;
    for (const auto& principal : response.principals())
      ids.push_back(principal.principal_id());
    return ids;
  }

  std::unique_ptr<Suite> suite_;
};

TEST_F(AuthServiceTest, ATokenIsShownOnceAndStoredOnlyAsItsHash) {
  auto issued = suite_->CreatePrincipal("alpha", "buyer");
  ASSERT_TRUE(issued.ok()) << issued.status();
  const std::string token = issued->access_token();
  EXPECT_TRUE(token.starts_with("adcp_"));
  EXPECT_GE(token.size(), 5u + 43u);  // 256 bits, base64url
  EXPECT_EQ(issued->principal().token_prefix(), token.substr(0, 12));

  pqxx::connection connection(suite_->db().SuperuserUrl());
  pqxx::work txn(connection);
  const pqxx::row row = txn.exec1(
      "SELECT encode(token_hash, 'hex'), row_to_json(p)::text FROM principals "
      "p "
      "WHERE principal_id = 'buyer'");
  EXPECT_EQ(row[0].as<std::string>(), TokenHashHex(token));
  EXPECT_EQ(row[1].as<std::string>().find(token.substr(12)), std::string::npos)
      << "the token's secret part is stored";
  // Nothing that lists principals returns a token.
  pb::ListPrincipalsResponse list;
  ASSERT_TRUE(suite_->auth()
                  .ListPrincipals(suite_->AdminContext("alpha").get(),
                                  pb::ListPrincipalsRequest(), &list)
                  .ok());
  ASSERT_EQ(list.principals_size(), 1);
  EXPECT_EQ(list.principals(0).DebugString().find(token.substr(12)),
            std::string::npos);
}

TEST_F(AuthServiceTest, ResolvesTokensWithinTheirTenantOnly) {
  auto buyer = suite_->CreatePrincipal("alpha", "buyer");
  auto admin = suite_->CreatePrincipal("alpha", "alpha_admin");
  ASSERT_TRUE(buyer.ok() && admin.ok());
  auto resolved = Resolve("alpha", buyer->access_token());
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->principal_id(), "buyer");
  EXPECT_EQ(resolved->tenant_id(), "alpha");
  EXPECT_FALSE(resolved->is_admin());
  auto resolved_admin = Resolve("alpha", admin->access_token());
  ASSERT_TRUE(resolved_admin.ok());
  EXPECT_EQ(resolved_admin->principal_id(), "alpha_admin");
  EXPECT_TRUE(resolved_admin->is_admin());

  for (const std::string& token : {buyer->access_token(), admin->access_token(),
                                   std::string("adcp_not-a-token"),
                                   std::string(), suite_->system_token()}) {
    const auto elsewhere = Resolve("bravo", token);
    EXPECT_EQ(elsewhere.status().code(), absl::StatusCode::kUnauthenticated)
        << token;
    EXPECT_EQ(elsewhere.status().message(), "invalid or revoked token");
  }
}

TEST_F(AuthServiceTest, RotationStopsTheOldTokenAtOnce) {
  auto issued = suite_->CreatePrincipal("alpha", "buyer");
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(Resolve("alpha", issued->access_token()).ok());  // now cached
  auto rotated = Rotate("alpha", "buyer");
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_NE(rotated->access_token(), issued->access_token());
  // The change notification reaches this process asynchronously; within a
  // second the old token must be dead.
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  while (Resolve("alpha", issued->access_token()).ok() &&
         absl::Now() < deadline) {
  }
  EXPECT_TRUE(absl::IsUnauthenticated(
      Resolve("alpha", issued->access_token()).status()));
  EXPECT_TRUE(Resolve("alpha", rotated->access_token()).ok());
  EXPECT_TRUE(absl::IsNotFound(Rotate("alpha", "nobody").status()));
}

TEST_F(AuthServiceTest, RevocationStopsTheTokenAndHidesThePrincipal) {
  auto issued = suite_->CreatePrincipal("alpha", "buyer");
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(suite_->CreatePrincipal("alpha", "other").ok());
  ASSERT_TRUE(Resolve("alpha", issued->access_token()).ok());
  auto revoked = Revoke("alpha", "buyer");
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_TRUE(revoked->has_revoked_at());
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  while (Resolve("alpha", issued->access_token()).ok() &&
         absl::Now() < deadline) {
  }
  EXPECT_TRUE(absl::IsUnauthenticated(
      Resolve("alpha", issued->access_token()).status()));
  EXPECT_EQ(ListIds("alpha", false), std::vector<std::string>{"other"});
  EXPECT_EQ(ListIds("alpha", true),
            (std::vector<std::string>{"buyer", "other"}));
  auto again = Revoke("alpha", "buyer");  // idempotent
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->revoked_at().seconds(), revoked->revoked_at().seconds());
  EXPECT_EQ(Rotate("alpha", "buyer").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::IsNotFound(Revoke("alpha", "nobody").status()));
  EXPECT_TRUE(
      absl::IsNotFound(Revoke("bravo", "other").status()));  // another tenant's
}

TEST_F(AuthServiceTest, ACachedTokenCostsNoDatabaseRoundTrip) {
  auto issued = suite_->CreatePrincipal("alpha", "buyer");
  ASSERT_TRUE(issued.ok());
  const PrincipalCache& cache = suite_->auth_server().principals();
  // ResolvePrincipal answers another service's cache on its misses, so it
  // reads the database: with replicas, the asking cache may just have heard
  // of a change this replica's memory has not (tests/replicas_test.cc).
  const uint64_t before = cache.database_reads();
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(Resolve("alpha", issued->access_token()).ok());
  EXPECT_EQ(cache.database_reads() - before, 20u);
  // The guard's own resolution of bearer tokens comes from memory.
  auto admin = suite_->CreatePrincipal("alpha", "alpha_admin");
  ASSERT_TRUE(admin.ok());
  const uint64_t before_admin = cache.database_reads();
  for (int i = 0; i < 50; ++i) {
    pb::ListPrincipalsResponse list;
    ASSERT_TRUE(
        suite_->auth()
            .ListPrincipals(
                Suite::Context("alpha", admin->access_token(), "").get(),
                pb::ListPrincipalsRequest(), &list)
            .ok());
  }
  EXPECT_EQ(cache.database_reads() - before_admin, 1u);
}

TEST_F(AuthServiceTest, CreateValidatesEachFieldByName) {
  struct Bad {
    const char* principal_id;
    const char* name;
    const char* message;
  } cases[] = {
      {"Bad Id", "n",
       "principal_id: expected 1 to 100 of a-z, 0-9, '_' and '-'"},
      {"_leading", "n", "principal_id: expected"},
      {"ok", "", "name: required"},
      {"ok", "tab\there", "name: must not contain control characters"},
  };
  for (const Bad& bad : cases) {
    pb::CreatePrincipalRequest request;
    request.set_principal_id(bad.principal_id);
    request.set_name(bad.name);
    pb::PrincipalWithToken issued;
    const grpc::Status status = suite_->auth().CreatePrincipal(
        suite_->AdminContext("alpha").get(), request, &issued);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << bad.principal_id;
    EXPECT_TRUE(status.error_message().starts_with(bad.message))
        << status.error_message();
  }
  ASSERT_TRUE(suite_->CreatePrincipal("alpha", "buyer").ok());
  const auto duplicate = suite_->CreatePrincipal("alpha", "buyer");
  EXPECT_EQ(duplicate.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(duplicate.status().message(),
            "principal_id: 'buyer' already exists");
  EXPECT_TRUE(
      suite_->CreatePrincipal("bravo", "buyer").ok());  // ids are per tenant

  pb::CreatePrincipalRequest generated;
  generated.set_name("No id given");
  (void)google::protobuf::util::JsonStringToMessage(
      R"({"google_ad_manager":{"advertiser_id":"123"}})",
      generated.mutable_platform_mappings());
  pb::PrincipalWithToken issued;
  ASSERT_TRUE(suite_->auth()
                  .CreatePrincipal(suite_->AdminContext("alpha").get(),
                                   generated, &issued)
                  .ok());
  EXPECT_TRUE(issued.principal().principal_id().starts_with("p_"));
  EXPECT_EQ(issued.principal()
                .platform_mappings()
                .fields()
                .at("google_ad_manager")
                .struct_value()
                .fields()
                .at("advertiser_id")
                .string_value(),
            "123");
}

TEST_F(AuthServiceTest, TheTenantAdminManagesPrincipalsOtherPrincipalsCannot) {
  auto admin = suite_->CreatePrincipal("alpha", "alpha_admin");
  auto buyer = suite_->CreatePrincipal("alpha", "buyer");
  ASSERT_TRUE(admin.ok() && buyer.ok());
  pb::CreatePrincipalRequest request;
  request.set_principal_id("made-by-admin");
  request.set_name("Made by the tenant admin");
  pb::PrincipalWithToken issued;
  EXPECT_TRUE(suite_->auth()
                  .CreatePrincipal(
                      Suite::Context("alpha", admin->access_token(), "").get(),
                      request, &issued)
                  .ok());
  request.set_principal_id("made-by-buyer");
  const grpc::Status refused = suite_->auth().CreatePrincipal(
      Suite::Context("alpha", buyer->access_token(), "").get(), request,
      &issued);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      ListIds("alpha", true),
      (std::vector<std::string>{"alpha_admin", "buyer", "made-by-admin"}));
}

TEST_F(
    AuthServiceTest,
    DeactivationStopsTenantCallsButNotTheSystemAdminsAndReactivationRestoresTokens) {
  auto alpha = suite_->CreatePrincipal("alpha", "alpha_admin");
  auto kept = suite_->CreatePrincipal("alpha", "kept");
  auto bravo = suite_->CreatePrincipal("bravo", "bravo_admin");
  ASSERT_TRUE(alpha.ok() && kept.ok() && bravo.ok());
  const absl::Time deactivated = absl::Now();
  ASSERT_TRUE(suite_->SetTenantActive("alpha", false).ok());
  ASSERT_TRUE(suite_->AwaitTenantState("alpha", false, absl::Seconds(1)));
  EXPECT_LT(absl::Now() - deactivated, absl::Seconds(1));
  pb::ListPrincipalsResponse list;
  const grpc::Status status = suite_->auth().ListPrincipals(
      Suite::Context("alpha", alpha->access_token(), "").get(),
      pb::ListPrincipalsRequest(), &list);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "tenant is inactive");
  EXPECT_EQ(Resolve("alpha", alpha->access_token()).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(
      Resolve("bravo", bravo->access_token()).ok());  // others untouched
  // The system admin can still manage a suspended tenant's principals, e.g.
  // revoke a leaked token before reactivating it.
  auto leaked = Revoke("alpha", "alpha_admin");
  ASSERT_TRUE(leaked.ok()) << leaked.status();

  ASSERT_TRUE(suite_->SetTenantActive("alpha", true).ok());
  ASSERT_TRUE(suite_->AwaitTenantState("alpha", true, absl::Seconds(1)));
  EXPECT_TRUE(absl::IsUnauthenticated(
      Resolve("alpha", alpha->access_token()).status()));
  EXPECT_TRUE(
      Resolve("alpha", kept->access_token()).ok());  // the same token as before
}

TEST_F(AuthServiceTest, RateLimitsComeFromTenantConfigWithARetryHint) {
  auto first = suite_->CreatePrincipal("alpha", "alpha_admin");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(suite_
                  ->PatchTenantConfig("alpha", R"({"rate_limits":{
                      "principal_requests_per_second":0.5,"principal_burst":2}})")
                  .ok());
  // Wait for the config to reach auth's tenant cache: the third call in a row
  // is refused once it has.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  grpc::Status status;
  grpc::ClientContext* last = nullptr;
  std::unique_ptr<grpc::ClientContext> context;
  while (absl::Now() < deadline) {
    context = Suite::Context("alpha", first->access_token(), "");
    pb::ListPrincipalsResponse list;
    status = suite_->auth().ListPrincipals(context.get(),
                                           pb::ListPrincipalsRequest(), &list);
    last = context.get();
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) break;
  }
  ASSERT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  EXPECT_TRUE(status.error_message().starts_with(
      "rate limit of this principal exceeded"));
  const auto& trailers = last->GetServerTrailingMetadata();
  auto hint = trailers.find(kRetryAfterKey);
  ASSERT_NE(hint, trailers.end());
  const int retry_ms =
      std::stoi(std::string(hint->second.data(), hint->second.size()));
  EXPECT_GT(retry_ms, 0);
  EXPECT_LE(retry_ms, 2000);
  // Another tenant keeps the deployment's (generous) default.
  auto bravo = suite_->CreatePrincipal("bravo", "bravo_admin");
  ASSERT_TRUE(bravo.ok());
  for (int i = 0; i < 5; ++i) {
    pb::ListPrincipalsResponse list;
    EXPECT_TRUE(
        suite_->auth()
            .ListPrincipals(
                Suite::Context("bravo", bravo->access_token(), "").get(),
                pb::ListPrincipalsRequest(), &list)
            .ok());
  }
}

TEST_F(AuthServiceTest, AuditsPrincipalChangesAndFailedAuthentication) {
  suite_->auth_server().audit().Flush();
  pqxx::connection connection(suite_->db().SuperuserUrl());
  // Set-up (the suite probes tenants with an empty token) is not under test.
  const int64_t start = [&] {
    pqxx::work txn(connection);
    return txn.exec1("SELECT COALESCE(max(audit_id), 0) FROM audit_log")[0]
        .as<int64_t>();
  }();
  auto issued = suite_->CreatePrincipal("alpha", "buyer");
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(Rotate("alpha", "buyer").ok());
  ASSERT_TRUE(Revoke("alpha", "buyer").ok());
  EXPECT_FALSE(Resolve("alpha", "adcp_wrong").ok());
  pb::ListPrincipalsResponse list;
  EXPECT_FALSE(
      suite_->auth()
          .ListPrincipals(Suite::Context("alpha", "adcp_forged", "").get(),
                          pb::ListPrincipalsRequest(), &list)
          .ok());
  suite_->auth_server().audit().Flush();

  pqxx::work txn(connection);
  std::vector<std::string> rows;
  for (const auto& row :
       txn.exec("SELECT operation, principal_id, success, details::text FROM "
                "audit_log "
                "WHERE tenant_id = 'alpha' AND audit_id > " +
                std::to_string(start) + " ORDER BY audit_id")) {
    rows.push_back(absl::StrCat(row[0].as<std::string>(), " by ",
                                row[1].as<std::string>(), " ",
                                row[2].as<bool>() ? "ok" : "failed"));
    EXPECT_EQ(row[3].as<std::string>().find("adcp_"), std::string::npos)
        << "a token in audit";
  }
  EXPECT_EQ(rows, (std::vector<std::string>{
                      "principal_created by admin:suite-admin ok",
                      "principal_token_rotated by admin:suite-admin ok",
                      "principal_revoked by admin:suite-admin ok",
                      "auth_failed by anonymous failed",
                      "auth_failed by anonymous failed"}));
}

TEST_F(AuthServiceTest, RecordsWhenATokenWasLastUsed) {
  auto issued = suite_->CreatePrincipal("alpha", "buyer");
  ASSERT_TRUE(issued.ok());
  EXPECT_FALSE(issued->principal().has_last_used_at());
  const absl::Time before = absl::Now() - absl::Seconds(1);
  ASSERT_TRUE(Resolve("alpha", issued->access_token()).ok());
  suite_->auth_server().principals().FlushUses();
  pb::ListPrincipalsResponse list;
  ASSERT_TRUE(suite_->auth()
                  .ListPrincipals(suite_->AdminContext("alpha").get(),
                                  pb::ListPrincipalsRequest(), &list)
                  .ok());
  ASSERT_EQ(list.principals_size(), 1);
  ASSERT_TRUE(list.principals(0).has_last_used_at());
  EXPECT_GE(list.principals(0).last_used_at().seconds(),
            absl::ToUnixSeconds(before));
}

}  // namespace
}  // namespace adcp::auth

namespace adcp::auth {
namespace {

TEST_F(AuthServiceTest, DownstreamCallsCarryTheCallersTenantAndToken) {
  auto admin = suite_->CreatePrincipal("alpha", "alpha_admin");
  ASSERT_TRUE(admin.ok());
  // As a handler serving alpha's admin would: the call context is installed,
  // and a call through a service channel adds no metadata by hand.
  CallContext call{.tenant_id = "alpha",
                   .principal_id = "alpha_admin",
                   .principal_token = admin->access_token()};
  ScopedCallContext installed(call);
  auto stub = pb::Auth::NewStub(
      MakeServiceChannel(suite_->auth_address(), suite_->internal_token()));
  grpc::ClientContext context;
  pb::ListPrincipalsResponse list;
  const grpc::Status status =
      stub->ListPrincipals(&context, pb::ListPrincipalsRequest(), &list);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(list.principals_size(), 1);
  EXPECT_EQ(list.principals(0).tenant_id(), "alpha");
}

}  // namespace
}  // namespace adcp::auth
