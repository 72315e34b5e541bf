// The registry over a real gRPC channel against a throwaway PostgreSQL.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <atomic>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "libs/grpc/grpc_status.h"
#include "libs/tenancy/service_channel.h"
#include "services/tenant-registry/tenant_registry_server.h"
#include "tests/support/probes.h"
#include "tests/support/test_database.h"

namespace adcp::tenant_registry {
namespace {

using ::adcp::testing::TestDatabase;

google::protobuf::Struct JsonToStruct(const std::string& json) {
  google::protobuf::Struct value;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &value);
  EXPECT_TRUE(status.ok()) << json;
  return value;
}

std::string ConfigJson(const pb::Tenant& tenant) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(tenant.config(), &text,
                                                    options);
  return text;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class TenantRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ServiceConfig config;
    config.database_url = db_->AppUrl();
    config.pool_size = 4;
    config.internal_token = token_;
    config.system_admin_token = system_token_;
    config.database_wait = absl::Seconds(5);
    config.host.service_name = "tenant-registry";
    config.host.bind_host = "127.0.0.1";
    config.host.port = 0;
    config.host.metrics_port = 0;
    config.host.shutdown_grace = absl::Seconds(1);
    auto server = TenantRegistryServer::Start(
        {.service = config, .audit_signing_key = std::string(32, 'k')});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    address_ = absl::StrCat("127.0.0.1:", server_->port());
    channel_ = MakeServiceChannel(address_, token_);
    stub_ = pb::TenantRegistry::NewStub(channel_);
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    server_.reset();
    db_.reset();
  }

  grpc::Status Create(const std::string& tenant_id,
                      const std::string& config_json = "{}",
                      pb::Tenant* out = nullptr,
                      const std::string& subdomain = "") {
    pb::CreateTenantRequest request;
    request.set_tenant_id(tenant_id);
    request.set_name("Publisher " + tenant_id);
    request.set_subdomain(subdomain.empty() ? tenant_id : subdomain);
    *request.mutable_config() = JsonToStruct(config_json);
    pb::Tenant ignored;
    return Call(&pb::TenantRegistry::Stub::CreateTenant, request,
                out ? out : &ignored);
  }

  template <typename Method, typename Request, typename Response>
  grpc::Status Call(Method method, const Request& request, Response* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    context.AddMetadata(kSystemTokenKey, system_token_);
    return ((*stub_).*method)(&context, request, response);
  }

  absl::StatusOr<pb::Tenant> Get(const std::string& tenant_id) {
    pb::GetTenantRequest request;
    request.set_tenant_id(tenant_id);
    pb::Tenant tenant;
    const grpc::Status status =
        Call(&pb::TenantRegistry::Stub::GetTenant, request, &tenant);
    if (!status.ok()) return FromGrpcStatus(status);
    return tenant;
  }

  grpc::Status PatchConfig(const std::string& tenant_id,
                           const std::string& patch,
                           pb::Tenant* out = nullptr) {
    pb::UpdateTenantConfigRequest request;
    request.set_tenant_id(tenant_id);
    *request.mutable_config_patch() = JsonToStruct(patch);
    pb::Tenant ignored;
    return Call(&pb::TenantRegistry::Stub::UpdateTenantConfig, request,
                out ? out : &ignored);
  }

  const std::string token_ = "test-internal-token-" + testing::RandomHex(8);
  const std::string system_token_ =
      "test-system-token-" + testing::RandomHex(8);
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<TenantRegistryServer> server_;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::TenantRegistry::Stub> stub_;
};

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
    if (!presented.empty()) context.AddMetadata(kSystemTokenKey, presented);
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

  pqxx::connection connection(db_->AppUrl());
  pqxx::work txn(connection);
  txn.exec_params("SELECT set_config('app.tenant_id', $1, true)", "audited");
  std::vector<std::string> operations;
  for (const auto& row : txn.exec(
           "SELECT operation, principal_id FROM audit_log ORDER BY audit_id")) {
    operations.push_back(row[0].as<std::string>());
    EXPECT_EQ(row[1].as<std::string>(), "system");
  }
  EXPECT_EQ(operations,
            (std::vector<std::string>{"tenant_created", "tenant_config_updated",
                                      "tenant_deactivated"}));
}

TEST_F(TenantRegistryTest, WatchSendsSnapshotThenEachChangeWithinOneSecond) {
  ASSERT_TRUE(Create("first").ok());
  grpc::ClientContext context;
  auto reader = stub_->WatchTenants(&context, pb::WatchTenantsRequest());
  pb::TenantEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), pb::TenantEvent::SNAPSHOT_BEGIN);
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), pb::TenantEvent::UPSERT);
  EXPECT_EQ(event.tenant().tenant_id(), "first");
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), pb::TenantEvent::SNAPSHOT_END);

  // Reads until an UPSERT satisfying `want` arrives; returns the wait.
  auto await_upsert = [&](auto want) -> absl::Duration {
    const absl::Time start = absl::Now();
    while (reader->Read(&event)) {
      if (event.kind() == pb::TenantEvent::UPSERT && want(event.tenant()))
        break;
    }
    return absl::Now() - start;
  };
  const absl::Time changed = absl::Now();
  ASSERT_TRUE(
      PatchConfig("first", R"({"features":{"max_daily_budget":42}})").ok());
  const absl::Duration config_latency = await_upsert([](const pb::Tenant& t) {
    return t.tenant_id() == "first" &&
           t.config().features().max_daily_budget() == 42;
  });
  EXPECT_LT(absl::Now() - changed, absl::Seconds(1)) << config_latency;

  const absl::Time created = absl::Now();
  ASSERT_TRUE(Create("second").ok());
  await_upsert([](const pb::Tenant& t) { return t.tenant_id() == "second"; });
  EXPECT_LT(absl::Now() - created, absl::Seconds(1));

  const absl::Time deactivated = absl::Now();
  pb::SetTenantActiveRequest request;
  request.set_tenant_id("second");
  pb::Tenant ignored;
  ASSERT_TRUE(
      Call(&pb::TenantRegistry::Stub::SetTenantActive, request, &ignored).ok());
  await_upsert([](const pb::Tenant& t) {
    return t.tenant_id() == "second" && !t.is_active();
  });
  EXPECT_LT(absl::Now() - deactivated, absl::Seconds(1));
  context.TryCancel();
}

TEST_F(TenantRegistryTest, DatabaseOutageIsUnavailableAndTheServiceRecovers) {
  ASSERT_TRUE(Create("steady").ok());
  // Cut the service off its database: refuse new connections, end the open
  // ones.
  ASSERT_TRUE(
      db_->ExecOnMaintenance(absl::StrCat("ALTER DATABASE ", db_->name(),
                                          " ALLOW_CONNECTIONS false"))
          .ok());
  ASSERT_TRUE(db_
                  ->ExecOnMaintenance(absl::StrCat(
                      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = '",
                      db_->name(), "' AND pid <> pg_backend_pid()"))
                  .ok());
  for (int i = 0; i < 3; ++i) {
    const auto down = Get("steady");
    EXPECT_TRUE(absl::IsUnavailable(down.status())) << down.status();
  }
  ASSERT_TRUE(
      db_->ExecOnMaintenance(absl::StrCat("ALTER DATABASE ", db_->name(),
                                          " ALLOW_CONNECTIONS true"))
          .ok());
  const auto back = Get("steady");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->tenant_id(), "steady");
  // The change feed reconnects too: a watcher sees a change made afterwards.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(20));
  auto reader = stub_->WatchTenants(&context, pb::WatchTenantsRequest());
  pb::TenantEvent event;
  bool seen = false;
  std::thread changer([&] {
    // Changes keep coming until the watcher has seen one after reconnect.
    for (int i = 1; i <= 60 && !seen; ++i) {
      (void)PatchConfig(
          "steady",
          absl::StrCat(R"({"features":{"max_daily_budget":)", i, "}}"));
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  });
  while (!seen && reader->Read(&event)) {
    seen = event.kind() == pb::TenantEvent::UPSERT &&
           event.tenant().config().features().max_daily_budget() > 0;
  }
  changer.join();
  EXPECT_TRUE(seen);
  context.TryCancel();
}

TEST_F(TenantRegistryTest, ServesHealthReflectionAndMetrics) {
  auto health = testing::HealthStatus(channel_, "");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, "SERVING");
  auto service_health =
      testing::HealthStatus(channel_, "adcp.tenant.v1.TenantRegistry");
  ASSERT_TRUE(service_health.ok()) << service_health.status();
  EXPECT_EQ(*service_health, "SERVING");

  auto services = testing::ReflectedServices(channel_);
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_NE(std::find(services->begin(), services->end(),
                      "adcp.tenant.v1.TenantRegistry"),
            services->end());

  ASSERT_TRUE(absl::IsNotFound(Get("nobody").status()));
  auto metrics = testing::HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_TRUE(metrics->starts_with("HTTP/1.1 200")) << metrics->substr(0, 100);
  EXPECT_TRUE(Contains(
      *metrics,
      "grpc_server_handled_total{grpc_code=\"NOT_FOUND\",grpc_method=\"/"
      "adcp.tenant.v1.TenantRegistry/GetTenant\"} 1"))
      << *metrics;
}

TEST_F(TenantRegistryTest, ShutdownMarksNotServingAndEndsWatchStreams) {
  grpc::ClientContext context;
  auto reader = stub_->WatchTenants(&context, pb::WatchTenantsRequest());
  pb::TenantEvent event;
  ASSERT_TRUE(reader->Read(&event));  // stream is up
  std::thread stopper([&] { server_->Shutdown(); });
  while (reader->Read(&event)) {
  }
  const grpc::Status status = reader->Finish();
  stopper.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
}

}  // namespace
}  // namespace adcp::tenant_registry

namespace adcp::tenant_registry {
namespace {

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
