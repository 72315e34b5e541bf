// The registry's tenants over a real gRPC channel against a throwaway
// PostgreSQL: create, get, list, resolve, config updates, activation.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "services/tenant-registry/tenant_registry_test_fixture.h"

namespace adcp::tenant_registry {
namespace {

TEST_F(TenantRegistryTest, CreateThenGetRoundTripsEveryField) {
  pb::CreateTenantRequest request;
  request.set_tenant_id("nytimes");
  request.set_name("The New York Times");
  request.set_subdomain("nytimes");
  request.set_virtual_host("ads.nytimes.com");
  request.set_billing_plan("enterprise");
  request.set_billing_contact("billing@nytimes.com");
  *request.mutable_config() = JsonToStruct(R"({"adapters":{"google_ad_manager":{
      "enabled":true,"network_code":"123456","manual_approval_required":false}},
      "features":{"max_daily_budget":1000000,"enable_aee_signals":true}})");
  pb::Tenant created;
  ASSERT_TRUE(
      Call(&pb::TenantRegistry::Stub::CreateTenant, request, &created).ok());
  EXPECT_TRUE(created.is_active());
  EXPECT_GT(created.created_at().seconds(), 0);
  EXPECT_EQ(created.created_at().seconds(), created.updated_at().seconds());

  auto fetched = Get("nytimes");
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_EQ(fetched->name(), "The New York Times");
  EXPECT_EQ(fetched->subdomain(), "nytimes");
  EXPECT_EQ(fetched->virtual_host(), "ads.nytimes.com");
  EXPECT_EQ(fetched->billing_plan(), "enterprise");
  EXPECT_EQ(fetched->billing_contact(), "billing@nytimes.com");
  EXPECT_TRUE(fetched->config().adapters().google_ad_manager().enabled());
  EXPECT_EQ(fetched->config().adapters().google_ad_manager().network_code(),
            "123456");
  EXPECT_FALSE(fetched->config()
                   .adapters()
                   .google_ad_manager()
                   .manual_approval_required());
  EXPECT_TRUE(fetched->config()
                  .adapters()
                  .google_ad_manager()
                  .has_manual_approval_required());
  EXPECT_DOUBLE_EQ(fetched->config().features().max_daily_budget(), 1000000);
  EXPECT_EQ(fetched->created_at().seconds(), created.created_at().seconds());
}

TEST_F(TenantRegistryTest, CreateDefaultsToStandardPlan) {
  pb::Tenant tenant;
  ASSERT_TRUE(Create("localnews", "{}", &tenant).ok());
  EXPECT_EQ(tenant.billing_plan(), "standard");
  EXPECT_EQ(tenant.billing_contact(), "");
}

TEST_F(TenantRegistryTest, CreateRejectsEachBadFieldByNameAndCreatesNothing) {
  struct Bad {
    std::function<void(pb::CreateTenantRequest&)> mutate;
    std::string message_prefix;
  };
  const std::vector<Bad> cases = {
      {[](auto& r) { r.set_tenant_id(""); }, "tenant_id: required"},
      {[](auto& r) { r.set_tenant_id("Bad_Id"); },
       "tenant_id: expected a lowercase DNS label"},
      {[](auto& r) { r.set_name(" "); }, "name: required"},
      {[](auto& r) { r.set_subdomain("www"); },
       "subdomain: 'www' is a reserved name"},
      {[](auto& r) { r.set_subdomain("-x"); },
       "subdomain: expected a lowercase DNS label"},
      {[](auto& r) { r.set_virtual_host("nodots"); },
       "virtual_host: expected a lowercase host"},
      {[](auto& r) { r.set_billing_plan("gold"); },
       "billing_plan: expected one of standard"},
      {[](auto& r) {
         *r.mutable_config() =
             JsonToStruct(R"({"features":{"max_daily_budget":"x"}})");
       },
       "features.max_daily_budget: expected a number, got a string"},
      {[](auto& r) { *r.mutable_config() = JsonToStruct(R"({"unknown":{}})"); },
       "unknown: unknown key"},
  };
  for (const Bad& bad : cases) {
    pb::CreateTenantRequest request;
    request.set_tenant_id("valid");
    request.set_name("Valid");
    request.set_subdomain("valid");
    bad.mutate(request);
    pb::Tenant ignored;
    const grpc::Status status =
        Call(&pb::TenantRegistry::Stub::CreateTenant, request, &ignored);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << bad.message_prefix;
    EXPECT_TRUE(status.error_message().starts_with(bad.message_prefix))
        << "want " << bad.message_prefix << ", got " << status.error_message();
  }
  pb::ListTenantsResponse list;
  ASSERT_TRUE(Call(&pb::TenantRegistry::Stub::ListTenants,
                   pb::ListTenantsRequest(), &list)
                  .ok());
  EXPECT_EQ(list.tenants_size(), 0);
}

TEST_F(TenantRegistryTest,
       TakenIdSubdomainOrVirtualHostIsAlreadyExistsNamingTheField) {
  ASSERT_TRUE(Create("alpha").ok());
  grpc::Status same_id = Create("alpha", "{}", nullptr, "other");
  EXPECT_EQ(same_id.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(same_id.error_message(), "tenant_id: 'alpha' already exists");

  grpc::Status same_subdomain = Create("beta", "{}", nullptr, "alpha");
  EXPECT_EQ(same_subdomain.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(same_subdomain.error_message(),
            "subdomain: 'alpha' is already taken");

  pb::UpdateTenantRequest host;
  host.set_tenant_id("alpha");
  host.set_virtual_host("ads.alpha.com");
  pb::Tenant ignored;
  ASSERT_TRUE(
      Call(&pb::TenantRegistry::Stub::UpdateTenant, host, &ignored).ok());
  pb::CreateTenantRequest gamma;
  gamma.set_tenant_id("gamma");
  gamma.set_name("Gamma");
  gamma.set_subdomain("gamma");
  gamma.set_virtual_host("ads.alpha.com");
  const grpc::Status same_host =
      Call(&pb::TenantRegistry::Stub::CreateTenant, gamma, &ignored);
  EXPECT_EQ(same_host.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(same_host.error_message(), "virtual_host: already in use");
  EXPECT_TRUE(absl::IsNotFound(Get("beta").status()));
  EXPECT_TRUE(absl::IsNotFound(Get("gamma").status()));
}

TEST_F(TenantRegistryTest,
       ConcurrentCreatesOfOneSubdomainHaveExactlyOneWinner) {
  constexpr int kRacers = 8;
  std::atomic<int> created{0}, conflicts{0}, other{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < kRacers; ++i) {
    racers.emplace_back([&, i] {
      const grpc::Status status =
          Create(absl::StrCat("racer", i), "{}", nullptr, "contested");
      if (status.ok()) {
        ++created;
      } else if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        ++conflicts;
      } else {
        ++other;
      }
    });
  }
  for (auto& racer : racers) racer.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(conflicts.load(), kRacers - 1);
  EXPECT_EQ(other.load(), 0);
}

TEST_F(TenantRegistryTest, GetUnknownIsNotFoundAndEmptyIdIsInvalid) {
  const auto missing = Get("nobody");
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_EQ(missing.status().message(), "tenant not found");
  EXPECT_TRUE(absl::IsInvalidArgument(Get("").status()));
}

TEST_F(TenantRegistryTest, ListPagesThroughEveryTenantInOrder) {
  const std::vector<std::string> ids = {"echo", "alpha", "delta", "bravo",
                                        "charlie"};
  for (const auto& id : ids) ASSERT_TRUE(Create(id).ok());
  std::vector<std::string> seen;
  pb::ListTenantsRequest request;
  request.set_page_size(2);
  int pages = 0;
  do {
    pb::ListTenantsResponse response;
    ASSERT_TRUE(
        Call(&pb::TenantRegistry::Stub::ListTenants, request, &response).ok());
    EXPECT_LE(response.tenants_size(), 2);
    for (const auto& tenant : response.tenants())
      seen.push_back(tenant.tenant_id());
    request.set_page_token(response.next_page_token());
    ++pages;
  } while (!request.page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"alpha", "bravo", "charlie",
                                            "delta", "echo"}));
}

TEST_F(TenantRegistryTest, ListRejectsBadPageArguments) {
  pb::ListTenantsRequest request;
  pb::ListTenantsResponse response;
  request.set_page_size(1001);
  grpc::Status status =
      Call(&pb::TenantRegistry::Stub::ListTenants, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(status.error_message().starts_with("page_size:"));
  request.set_page_size(10);
  request.set_page_token("!!not-a-token");
  status = Call(&pb::TenantRegistry::Stub::ListTenants, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(status.error_message().starts_with("page_token:"));
}

TEST_F(TenantRegistryTest, ResolvesBySubdomainOrVirtualHost) {
  ASSERT_TRUE(Create("nyt", "{}", nullptr, "nytimes").ok());
  pb::UpdateTenantRequest host;
  host.set_tenant_id("nyt");
  host.set_virtual_host("ads.nytimes.com");
  pb::Tenant tenant;
  ASSERT_TRUE(
      Call(&pb::TenantRegistry::Stub::UpdateTenant, host, &tenant).ok());

  pb::ResolveBySubdomainRequest by_subdomain;
  by_subdomain.set_subdomain("nytimes");
  ASSERT_TRUE(
      Call(&pb::TenantRegistry::Stub::ResolveBySubdomain, by_subdomain, &tenant)
          .ok());
  EXPECT_EQ(tenant.tenant_id(), "nyt");

  pb::ResolveBySubdomainRequest by_host;
  by_host.set_virtual_host("ads.nytimes.com");
  ASSERT_TRUE(
      Call(&pb::TenantRegistry::Stub::ResolveBySubdomain, by_host, &tenant)
          .ok());
  EXPECT_EQ(tenant.tenant_id(), "nyt");

  pb::ResolveBySubdomainRequest unknown;
  unknown.set_subdomain("nyt");  // a tenant id, not a subdomain
  EXPECT_EQ(
      Call(&pb::TenantRegistry::Stub::ResolveBySubdomain, unknown, &tenant)
          .error_code(),
      grpc::StatusCode::NOT_FOUND);
  pb::ResolveBySubdomainRequest both = by_subdomain;
  both.set_virtual_host("ads.nytimes.com");
  EXPECT_EQ(Call(&pb::TenantRegistry::Stub::ResolveBySubdomain, both, &tenant)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Call(&pb::TenantRegistry::Stub::ResolveBySubdomain,
                 pb::ResolveBySubdomainRequest(), &tenant)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(TenantRegistryTest, UpdateConfigDeepMergesAndNullRemoves) {
  ASSERT_TRUE(Create("merge",
                     R"({"adapters":{"kevel":{"enabled":true,"network_id":"789",
      "manual_approval_required":true}},"features":{"max_daily_budget":10000,
      "enable_aee_signals":false},"branding":{"primary_color":"#000000"}})")
                  .ok());
  const auto before = Get("merge");
  ASSERT_TRUE(before.ok());
  std::this_thread::sleep_for(
      std::chrono::milliseconds(5));  // updated_at has µs resolution
  pb::Tenant updated;
  ASSERT_TRUE(PatchConfig("merge",
                          R"({"features":{"max_daily_budget":25000},
                              "adapters":{"kevel":{"manual_approval_required":false}},
                              "branding":{"primary_color":null,"logo_url":"https://x.test/l.png"}})",
                          &updated)
                  .ok());
  EXPECT_EQ(nlohmann::json::parse(ConfigJson(updated)),
            nlohmann::json::parse(R"({
      "adapters":{"kevel":{"enabled":true,"network_id":"789","manual_approval_required":false}},
      "features":{"max_daily_budget":25000,"enable_aee_signals":false},
      "branding":{"logo_url":"https://x.test/l.png"}})"));
  EXPECT_GT(google::protobuf::util::TimeUtil::TimestampToMicroseconds(
                updated.updated_at()),
            google::protobuf::util::TimeUtil::TimestampToMicroseconds(
                before->updated_at()));
  EXPECT_EQ(ConfigJson(*Get("merge")), ConfigJson(updated));
}

TEST_F(TenantRegistryTest, InvalidConfigUpdateNamesTheKeyAndChangesNothing) {
  ASSERT_TRUE(
      Create("strict", R"({"features":{"max_daily_budget":100}})").ok());
  const auto before = Get("strict");
  struct Bad {
    const char* patch;
    const char* message;
  } cases[] = {
      {R"({"features":{"max_daily_budget":"lots"}})",
       "features.max_daily_budget: expected a number, got a string"},
      {R"({"features":{"max_daily_budget":-5}})",
       "features.max_daily_budget: must be a number >= 0"},
      {R"({"branding":{"primary_color":"red"}})",
       "branding.primary_color: expected a colour"},
      {R"({"adapters":{"kevel":{"enabled":true}}})",
       "adapters.kevel.network_id: required when the adapter is enabled"},
      {R"({"features":{"turbo":true}})", "features.turbo: unknown key"},
  };
  for (const Bad& bad : cases) {
    const grpc::Status status = PatchConfig("strict", bad.patch);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << bad.patch;
    EXPECT_TRUE(Contains(status.error_message(), bad.message))
        << status.error_message();
  }
  const auto after = Get("strict");
  EXPECT_EQ(ConfigJson(*after), ConfigJson(*before));
  EXPECT_EQ(after->updated_at().seconds(), before->updated_at().seconds());
  EXPECT_EQ(after->updated_at().nanos(), before->updated_at().nanos());
  EXPECT_EQ(PatchConfig("ghost", R"({"features":{}})").error_code(),
            grpc::StatusCode::NOT_FOUND);
  pb::UpdateTenantConfigRequest no_patch;
  no_patch.set_tenant_id("strict");
  pb::Tenant ignored;
  EXPECT_EQ(
      Call(&pb::TenantRegistry::Stub::UpdateTenantConfig, no_patch, &ignored)
          .error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(TenantRegistryTest, SetActiveAndUpdateFields) {
  ASSERT_TRUE(Create("fields").ok());
  pb::SetTenantActiveRequest deactivate;
  deactivate.set_tenant_id("fields");
  deactivate.set_is_active(false);
  pb::Tenant tenant;
  ASSERT_TRUE(
      Call(&pb::TenantRegistry::Stub::SetTenantActive, deactivate, &tenant)
          .ok());
  EXPECT_FALSE(tenant.is_active());
  EXPECT_FALSE(Get("fields")->is_active());

  pb::UpdateTenantRequest update;
  update.set_tenant_id("fields");
  update.set_name("Renamed");
  update.set_billing_plan("premium");
  update.set_billing_contact("ops@fields.test");
  ASSERT_TRUE(
      Call(&pb::TenantRegistry::Stub::UpdateTenant, update, &tenant).ok());
  EXPECT_EQ(tenant.name(), "Renamed");
  EXPECT_EQ(tenant.billing_plan(), "premium");
  EXPECT_EQ(tenant.billing_contact(), "ops@fields.test");

  pb::UpdateTenantRequest clear;
  clear.set_tenant_id("fields");
  clear.set_billing_contact("");
  ASSERT_TRUE(
      Call(&pb::TenantRegistry::Stub::UpdateTenant, clear, &tenant).ok());
  EXPECT_EQ(tenant.billing_contact(), "");
  EXPECT_EQ(tenant.name(), "Renamed");  // untouched

  pb::UpdateTenantRequest nothing;
  nothing.set_tenant_id("fields");
  EXPECT_EQ(Call(&pb::TenantRegistry::Stub::UpdateTenant, nothing, &tenant)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  pb::UpdateTenantRequest bad_plan;
  bad_plan.set_tenant_id("fields");
  bad_plan.set_billing_plan("platinum");
  const grpc::Status status =
      Call(&pb::TenantRegistry::Stub::UpdateTenant, bad_plan, &tenant);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(status.error_message().starts_with("billing_plan:"));
  EXPECT_EQ(Get("fields")->billing_plan(), "premium");
  pb::SetTenantActiveRequest ghost;
  ghost.set_tenant_id("ghost");
  EXPECT_EQ(Call(&pb::TenantRegistry::Stub::SetTenantActive, ghost, &tenant)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace adcp::tenant_registry
