// Who may call the registry (the service token for every method, the system
// admin token for changes), and the audit log of its changes.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "services/tenant-registry/tenant_registry_test_fixture.h"

namespace adcp::tenant_registry {
namespace {

TEST_F(TenantRegistryTest, EveryMethodRefusesCallsWithoutTheServiceToken) {
  for (const std::string& token :
       {std::string(), std::string("wrong-token-0123456789")}) {
    auto channel =
        token.empty()
            ? grpc::CreateChannel(address_, grpc::InsecureChannelCredentials())
            : MakeServiceChannel(address_, token);
    auto stub = pb::TenantRegistry::NewStub(channel);
    auto expect_refused = [&](auto method, auto request, auto response) {
      grpc::ClientContext context;
      const grpc::Status status =
          ((*stub).*method)(&context, request, &response);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
      EXPECT_FALSE(Contains(status.error_message(), token_));
    };
    pb::CreateTenantRequest create;
    create.set_tenant_id("intruder");
    create.set_name("Intruder");
    create.set_subdomain("intruder");
    expect_refused(&pb::TenantRegistry::Stub::CreateTenant, create,
                   pb::Tenant());
    expect_refused(&pb::TenantRegistry::Stub::GetTenant, pb::GetTenantRequest(),
                   pb::Tenant());
    expect_refused(&pb::TenantRegistry::Stub::ListTenants,
                   pb::ListTenantsRequest(), pb::ListTenantsResponse());
    expect_refused(&pb::TenantRegistry::Stub::ResolveBySubdomain,
                   pb::ResolveBySubdomainRequest(), pb::Tenant());
    expect_refused(&pb::TenantRegistry::Stub::UpdateTenantConfig,
                   pb::UpdateTenantConfigRequest(), pb::Tenant());
    expect_refused(&pb::TenantRegistry::Stub::SetTenantActive,
                   pb::SetTenantActiveRequest(), pb::Tenant());
    expect_refused(&pb::TenantRegistry::Stub::UpdateTenant,
                   pb::UpdateTenantRequest(), pb::Tenant());
    grpc::ClientContext context;
    auto reader = stub->WatchTenants(&context, pb::WatchTenantsRequest());
    pb::TenantEvent event;
    EXPECT_FALSE(reader->Read(&event));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_TRUE(absl::IsNotFound(Get("intruder").status()));
}

TEST_F(TenantRegistryTest, ChangesNeedTheSystemAdminTokenReadsDoNot) {
  ASSERT_TRUE(Create("owned").ok());
  pb::SetTenantActiveRequest deactivate;
  deactivate.set_tenant_id("owned");
  for (const std::string& presented :
       {std::string(), token_, std::string("x" + system_token_)}) {
    grpc::ClientContext context;
    ASSERT_TRUE(ForwardTenant(&context, {.system_token = presented}).ok());
    pb::Tenant tenant;
    const grpc::Status status =
        stub_->SetTenantActive(&context, deactivate, &tenant);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << presented;
  }
  EXPECT_TRUE(Get("owned")->is_active());
  grpc::ClientContext context;  // a read with the internal token only
  pb::GetTenantRequest get;
  get.set_tenant_id("owned");
  pb::Tenant tenant;
  EXPECT_TRUE(stub_->GetTenant(&context, get, &tenant).ok());
}

TEST_F(TenantRegistryTest, EveryChangeIsAudited) {
  ASSERT_TRUE(Create("audited").ok());
  ASSERT_TRUE(
      PatchConfig("audited", R"({"features":{"enable_aee_signals":true}})")
          .ok());
  pb::SetTenantActiveRequest deactivate;
  deactivate.set_tenant_id("audited");
  pb::Tenant ignored;
  ASSERT_TRUE(
      Call(&pb::TenantRegistry::Stub::SetTenantActive, deactivate, &ignored)
          .ok());
  ASSERT_FALSE(
      PatchConfig("audited", R"({"features":{"x":1}})").ok());  // not audited

  pqxx::connection connection(db_->RegistryUrl());
  pqxx::work txn(connection);
  txn.exec_params("SELECT set_config('app.tenant_id', $1, true)", "audited");
  std::vector<std::string> operations;
  for (const auto& row : txn.exec(
           "SELECT operation, principal_id FROM audit_log ORDER BY audit_id")) {
    operations.push_back(row[0].as<std::string>());
    EXPECT_EQ(row[1].as<std::string>(),
              absl::StrCat("admin:", testing::kSuiteAdminId));
  }
  EXPECT_EQ(operations,
            (std::vector<std::string>{"tenant_created", "tenant_config_updated",
                                      "tenant_deactivated"}));
}

TEST_F(TenantRegistryTest, ListsATenantsAuditLogNewestFirstInPages) {
  ASSERT_TRUE(Create("audited").ok());
  ASSERT_TRUE(Create("other").ok());
  for (int i = 1; i <= 4; ++i) {
    ASSERT_TRUE(PatchConfig("audited",
                            absl::StrCat(R"({"features":{"max_daily_budget":)",
                                         i, "}}"))
                    .ok());
  }
  std::vector<int64_t> ids;
  std::vector<std::string> operations;
  pb::ListAuditEventsRequest request;
  request.set_tenant_id("audited");
  request.set_page_size(2);
  int pages = 0;
  do {
    pb::ListAuditEventsResponse response;
    ASSERT_TRUE(
        Call(&pb::TenantRegistry::Stub::ListAuditEvents, request, &response)
            .ok());
    for (const auto& event : response.events()) {
      EXPECT_EQ(event.tenant_id(), "audited");
      ids.push_back(event.audit_id());
      operations.push_back(event.operation());
    }
    request.set_page_token(response.next_page_token());
    ++pages;
  } while (!request.page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(operations, (std::vector<std::string>{
                            "tenant_config_updated", "tenant_config_updated",
                            "tenant_config_updated", "tenant_config_updated",
                            "tenant_created"}));
  EXPECT_TRUE(std::is_sorted(ids.rbegin(), ids.rend()));
  pb::ListAuditEventsRequest ghost;
  ghost.set_tenant_id("ghost");
  pb::ListAuditEventsResponse response;
  EXPECT_EQ(Call(&pb::TenantRegistry::Stub::ListAuditEvents, ghost, &response)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  request.set_page_token("bm90LWFuLWlk");  // "not-an-id"
  EXPECT_EQ(Call(&pb::TenantRegistry::Stub::ListAuditEvents, request, &response)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace adcp::tenant_registry
