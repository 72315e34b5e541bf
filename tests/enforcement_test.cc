// Tenant enforcement, driven by the service descriptors: every method of
// every service is called with each kind of wrong credential its policy must
// refuse, and a probe of the data shows that nothing ran. Services join by
// adding their descriptor, policy and a valid sample request below.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/codegen/rpc_method.h>
#include <grpcpp/impl/codegen/sync_stream.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "libs/tenancy/service_channel.h"
#include "services/media-buy/media_buy_server.h"
#include "tests/support/suite.h"

namespace adcp {
namespace {

using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;
using testing::Suite;

enum class Where { kRegistry, kAuth, kMediaBuy };

struct ServiceUnderTest {
  const ServiceDescriptor* descriptor;
  const ServicePolicy* policy;
  // method -> a request that would succeed with the right credentials, in
  // JSON; "$BRAVO_AGENT_TOKEN" is replaced by that token, and $MEDIA_BUY,
  // $TASK_1 and $TASK_2 by objects of alpha's admin made in SetUp.
  std::map<std::string, std::string> samples;
  Where where;
};

constexpr char kFormat[] =
    R"({"agent_url":"https://creative.adcontextprotocol.org","id":"display_300x250"})";

const ServiceDescriptor* Descriptor(const char* full_name) {
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      full_name);
}

std::string ProductJson(const std::string& product_id) {
  return absl::StrCat(
      R"({"definition":{"product":{"product_id":")", product_id,
      R"(","name":"Display","delivery_type":"guaranteed","format_ids":[)",
      kFormat,
      R"(],"pricing_options":[{"pricing_option_id":"cpm","pricing_model":"cpm",
          "currency":"USD","fixed_price":10}]}}})");
}

std::vector<ServiceUnderTest> Services() {
  return {
      {Descriptor(tenant::v1::TenantRegistry::service_full_name()),
       &tenant_registry::TenantRegistryService::Policy(),
       {{"CreateTenant",
         R"({"tenant_id":"intruder","name":"Intruder","subdomain":"intruder"})"},
        {"GetTenant", R"({"tenant_id":"alpha"})"},
        {"ListTenants", "{}"},
        {"ResolveBySubdomain", R"({"subdomain":"alpha"})"},
        {"UpdateTenantConfig",
         R"({"tenant_id":"alpha","config_patch":{"features":{"max_daily_budget":1}}})"},
        {"SetTenantActive", R"({"tenant_id":"bravo","is_active":false})"},
        {"UpdateTenant", R"({"tenant_id":"alpha","name":"Hijacked"})"},
        {"CompleteInitialization", R"({"tenant_id":"echo"})"},
        {"DeleteTenant",
         R"({"tenant_id":"delta","confirm_tenant_id":"delta"})"},
        {"WatchTenants", "{}"},
        {"ListAuditEvents", R"({"tenant_id":"alpha"})"}},
       Where::kRegistry},
      {Descriptor(auth::v1::Auth::service_full_name()),
       &auth::AuthService::Policy(),
       {{"ResolvePrincipal", R"({"token":"$BRAVO_AGENT_TOKEN"})"},
        {"CreatePrincipal", R"({"principal_id":"intruder","name":"Intruder"})"},
        {"ListPrincipals", "{}"},
        {"RotateToken", R"({"principal_id":"agent"})"},
        {"RevokePrincipal", R"({"principal_id":"agent"})"},
        {"WatchPrincipalChanges", "{}"},
        {"RecordSignatureNonce",
         R"({"key_id":"buyer-key","check_cap_only":true,"per_key_cap":10})"}},
       Where::kAuth},
      // $SPARE_TOKEN_ID and $SPARE_SESSION: a token and a session of the
      // suite's admin made in SetUp; $SYSTEM_TOKEN: its API token.
      {Descriptor(auth::v1::SystemAdmins::service_full_name()),
       &auth::SystemAdminService::Policy(),
       {{"CreateSystemAdmin",
         R"({"admin_id":"intruder","name":"Intruder","password":"intruder-password"})"},
        {"ListSystemAdmins", "{}"},
        {"DisableSystemAdmin", R"({"admin_id":"intruder"})"},
        {"CreateSystemAdminToken", "{}"},
        {"ListSystemAdminTokens", R"({"admin_id":"suite-admin"})"},
        {"RevokeSystemAdminToken",
         R"({"admin_id":"suite-admin","token_id":"$SPARE_TOKEN_ID"})"},
        {"SignInSystemAdmin",
         R"({"admin_id":"suite-admin","password":"suite-admin-password"})"},
        {"SignOutSystemAdmin", R"({"token":"$SPARE_SESSION"})"},
        {"ResolveSystemToken", R"({"token":"$SYSTEM_TOKEN"})"},
        {"WatchSystemAdminChanges", "{}"}},
       Where::kAuth},
      {Descriptor(media_buy::v1::MediaBuyService::service_full_name()),
       &media_buy::MediaBuyService::Policy(),
       {{"GetAdcpCapabilities", "{}"},
        {"GetProducts", R"({"buying_mode":"wholesale"})"},
        {"ListCreativeFormats", "{}"},
        {"CreateMediaBuy",
         R"({"idempotency_key":"enforcement-create-0001","start_time":"asap",
             "account":{"brand":{"domain":"acme.example"},"operator":"acme.example"},
             "brand":{"domain":"acme.example"},
             "end_time":"$END_TIME","packages":[{"product_id":"p1",
             "pricing_option_id":"cpm","budget":100}]})"},
        {"UpdateMediaBuy",
         R"({"idempotency_key":"enforcement-update-0001",
             "account":{"brand":{"domain":"acme.example"},"operator":"acme.example"},
             "media_buy_id":"$MEDIA_BUY","end_time":"$NEW_END_TIME"})"},
        {"GetMediaBuys", R"({"media_buy_ids":["$MEDIA_BUY"]})"},
        {"GetMediaBuyDelivery", R"({"media_buy_ids":["$MEDIA_BUY"]})"},
        {"SyncCreatives",
         absl::StrCat(
             R"({"idempotency_key":"enforcement-sync-00001","account":{
                 "brand":{"domain":"acme.example"},"operator":"acme.example"},
                 "creatives":[{"creative_id":"c1","name":"C1","format_id":)",
             kFormat,
             R"(,"assets":{"image":{"url":"https://cdn.acme.example/a.png"}}}]})")},
        {"ListCreatives", "{}"},
        {"ProvidePerformanceFeedback",
         R"({"idempotency_key":"enforcement-feedback-1",
             "media_buy_id":"$MEDIA_BUY","performance_index":1,
             "measurement_period":{"start":"2027-01-01T00:00:00Z",
                                   "end":"2027-01-02T00:00:00Z"}})"},
        {"SyncAccounts",
         R"({"idempotency_key":"enforcement-accounts-1","accounts":[{
             "brand":{"domain":"acme.example"},"operator":"acme.example",
             "billing":"operator"}]})"},
        {"ListAccounts", "{}"},
        {"ComplyTestController",
         R"({"scenario":"seed_product","params":{"product_id":"seeded"}})"},
        {"ListHumanTasks", "{}"},
        {"GetHumanTask", R"({"task_id":"$TASK_1"})"},
        {"GetTask", R"({"task_id":"$TASK_1"})"},
        {"ApproveHumanTask", R"({"task_id":"$TASK_1"})"},
        {"RejectHumanTask", R"({"task_id":"$TASK_2","reason":"not now"})"},
        {"UpsertProduct", ProductJson("p2")},
        {"ListWebhookDeliveries", R"({"status":"pending"})"},
        {"GetWebhookSigningKeys", "{}"}},
       Where::kMediaBuy},
  };
}

struct Credentials {
  bool internal = true;
  std::string tenant;
  std::string bearer;
  std::string system;
};

class EnforcementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto suite = Suite::Start();
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = *std::move(suite);
    for (const char* tenant : {"alpha", "bravo", "charlie"}) {
      // alpha, where the samples run, is a sandbox (comply_test_controller).
      ASSERT_TRUE(suite_
                      ->CreateTenant(
                          tenant, std::string(tenant) == "alpha"
                                      ? R"({"sandbox":true,
                                         "adapters":{"mock":{"enabled":true,
                                         "manual_approval_required":true}}})"
                                      : R"({"adapters":{"mock":{"enabled":true,
                                         "manual_approval_required":true}}})")
                      .ok())
          << tenant;
      auto admin =
          suite_->CreatePrincipal(tenant, absl::StrCat(tenant, "_admin"));
      ASSERT_TRUE(admin.ok()) << admin.status();
      admin_tokens_[tenant] = admin->access_token();
      auto agent = suite_->CreatePrincipal(tenant, "agent");
      ASSERT_TRUE(agent.ok()) << agent.status();
      agent_tokens_[tenant] = agent->access_token();
    }
    // delta is deleted and echo's initialization completed by the samples.
    ASSERT_TRUE(suite_->CreateTenant("delta").ok());
    tenant::v1::CreateTenantRequest pending;
    pending.set_tenant_id("echo");
    pending.set_name("Echo");
    pending.set_subdomain("echo");
    pending.set_pending_initialization(true);
    tenant::v1::Tenant echo;
    ASSERT_TRUE(suite_->registry()
                    .CreateTenant(suite_->AdminContext().get(), pending, &echo)
                    .ok());
    // Flights a year ahead of the real clock (the services use it).
    const absl::Time now = absl::Now();
    placeholders_["$END_TIME"] = absl::FormatTime(
        "%Y-%m-%dT%H:%M:%SZ", now + absl::Hours(24 * 365), absl::UTCTimeZone());
    placeholders_["$NEW_END_TIME"] = absl::FormatTime(
        "%Y-%m-%dT%H:%M:%SZ", now + absl::Hours(24 * 300), absl::UTCTimeZone());
    StartMediaBuy();
    SpareAdminCredentials();
    ASSERT_TRUE(suite_->SetTenantActive("charlie", false).ok());
    ASSERT_TRUE(suite_->AwaitTenantState("charlie", false, absl::Seconds(5)));
  }

  // A session and an API token of the suite's admin for the SystemAdmins
  // samples to sign out and revoke.
  void SpareAdminCredentials() {
    auto stub = auth::v1::SystemAdmins::NewStub(suite_->auth_channel());
    auth::v1::SignInSystemAdminRequest sign_in;
    sign_in.set_admin_id(testing::kSuiteAdminId);
    sign_in.set_password(testing::kSuiteAdminPassword);
    auth::v1::SystemAdminTokenWithSecret session, spare;
    ASSERT_TRUE(stub->SignInSystemAdmin(Suite::Context("", "", "").get(),
                                        sign_in, &session)
                    .ok());
    ASSERT_TRUE(stub->CreateSystemAdminToken(
                        suite_->AdminContext().get(),
                        auth::v1::CreateSystemAdminTokenRequest(), &spare)
                    .ok());
    placeholders_["$SPARE_SESSION"] = session.secret();
    placeholders_["$SPARE_TOKEN_ID"] = spare.token().token_id();
    placeholders_["$SYSTEM_TOKEN"] = suite_->system_token();
  }

  // Alpha's admin's product, two buys awaiting
  // approval (alpha approves by hand) and their tasks, for the samples.
  void StartMediaBuy() {
    auto stub = media_buy::v1::MediaBuyService::NewStub(MakeServiceChannel(
        suite_->media_buy_address(), suite_->internal_token()));
    const std::string admin = admin_tokens_["alpha"];
    media_buy::v1::UpsertProductRequest product;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(ProductJson("p1"), &product)
            .ok());
    media_buy::v1::ProductDefinition upserted;
    ASSERT_TRUE(stub->UpsertProduct(Suite::Context("alpha", admin, "").get(),
                                    product, &upserted)
                    .ok());
    for (const char* placeholder : {"$TASK_1", "$TASK_2"}) {
      media_buy::v1::CreateMediaBuyRequest request;
      std::string json =
          R"({"start_time":"asap","end_time":"$END_TIME",
              "account":{"brand":{"domain":"acme.example"},
                         "operator":"acme.example"},
              "brand":{"domain":"acme.example"},
              "packages":[{"product_id":"p1",
              "pricing_option_id":"cpm","budget":100}]})";
      absl::StrReplaceAll(placeholders_, &json);
      ASSERT_TRUE(
          google::protobuf::util::JsonStringToMessage(json, &request).ok());
      request.set_idempotency_key(
          absl::StrCat("enforcement-setup-", placeholder + 1));
      media_buy::v1::CreateMediaBuyResponse created;
      const grpc::Status status = stub->CreateMediaBuy(
          Suite::Context("alpha", admin, "").get(), request, &created);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ASSERT_EQ(created.status(), "submitted");
      placeholders_[placeholder] = created.task_id();
      media_buy::v1::GetHumanTaskRequest get;
      get.set_task_id(created.task_id());
      media_buy::v1::HumanTask task;
      ASSERT_TRUE(stub->GetHumanTask(Suite::Context("alpha", admin, "").get(),
                                     get, &task)
                      .ok());
      if (placeholders_.count("$MEDIA_BUY") == 0)
        placeholders_["$MEDIA_BUY"] = task.media_buy_id();
    }
  }

  // md5 of every row of the tenant data tables and the system admin tables
  // (read as superuser, which row-level security does not filter).
  std::string Probe() {
    pqxx::connection connection(suite_->db().SuperuserUrl());
    pqxx::work txn(connection);
    std::string sql = "SELECT md5(''";
    for (const char* table :
         {"tenants", "principals", "products", "accounts", "media_buys",
          "packages", "creatives", "creative_assignments", "human_tasks",
          "idempotency_keys", "performance_feedback", "system_admins",
          "system_admin_tokens", "webhook_outbox", "webhook_signing_keys"}) {
      absl::StrAppend(&sql,
                      " || '#' || COALESCE((SELECT string_agg(t::text, '|' "
                      "ORDER BY t::text) FROM ",
                      table, " t), '')");
    }
    return txn.exec1(sql + ")")[0].as<std::string>();
  }

  std::string RequestBytes(const MethodDescriptor* method, std::string json) {
    absl::StrReplaceAll({{"$BRAVO_AGENT_TOKEN", agent_tokens_["bravo"]}},
                        &json);
    absl::StrReplaceAll(placeholders_, &json);
    std::unique_ptr<google::protobuf::Message> request(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(method->input_type())
            ->New());
    const auto parsed =
        google::protobuf::util::JsonStringToMessage(json, request.get());
    EXPECT_TRUE(parsed.ok())
        << method->full_name() << ": " << parsed.ToString();
    return request->SerializeAsString();
  }

  // Calls `method` with raw bytes; for a server stream, reads one message.
  grpc::Status Call(const ServiceUnderTest& service,
                    const MethodDescriptor* method,
                    const std::string& request_bytes,
                    const Credentials& credentials) {
    const std::string address =
        service.where == Where::kAuth       ? suite_->auth_address()
        : service.where == Where::kRegistry ? suite_->registry_address()
                                            : suite_->media_buy_address();
    auto channel =
        credentials.internal
            ? MakeServiceChannel(address, suite_->internal_token())
            : grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    auto context = Suite::Context(credentials.tenant, credentials.bearer,
                                  credentials.system);
    const std::string path =
        absl::StrCat("/", service.descriptor->full_name(), "/", method->name());
    grpc::Slice slice(request_bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    if (!method->server_streaming()) {
      return grpc::internal::BlockingUnaryCall<grpc::ByteBuffer,
                                               grpc::ByteBuffer>(
          channel.get(),
          grpc::internal::RpcMethod(path.c_str(),
                                    grpc::internal::RpcMethod::NORMAL_RPC),
          context.get(), request, &response);
    }
    std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
        grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
            channel.get(),
            grpc::internal::RpcMethod(
                path.c_str(), grpc::internal::RpcMethod::SERVER_STREAMING),
            context.get(), request));
    if (reader->Read(&response)) {
      context->TryCancel();  // admitted: the stream is live
      reader->Finish();
      return grpc::Status::OK;
    }
    return reader->Finish();
  }

  std::unique_ptr<Suite> suite_;
  std::map<std::string, std::string> admin_tokens_, agent_tokens_,
      placeholders_;
};

struct Refusal {
  const char* what;
  Credentials credentials;
  grpc::StatusCode expected;
};

TEST_F(EnforcementTest, EveryMethodHasAPolicyAndASample) {
  for (const ServiceUnderTest& service : Services()) {
    for (int i = 0; i < service.descriptor->method_count(); ++i) {
      const std::string name = service.descriptor->method(i)->name();
      EXPECT_TRUE(service.policy->contains(name))
          << service.descriptor->full_name() << "/" << name
          << " has no admission policy";
      EXPECT_TRUE(service.samples.contains(name))
          << service.descriptor->full_name() << "/" << name
          << " has no sample request here";
    }
    EXPECT_EQ(service.policy->size(),
              static_cast<size_t>(service.descriptor->method_count()))
        << service.descriptor->full_name()
        << ": policy names a method the service lacks";
  }
}

TEST_F(EnforcementTest, NoMethodRunsWithoutItsCredentials) {
  const std::string before = Probe();
  const std::string alpha_admin = admin_tokens_["alpha"];
  int checked = 0;
  for (const ServiceUnderTest& service : Services()) {
    for (int i = 0; i < service.descriptor->method_count(); ++i) {
      const MethodDescriptor* method = service.descriptor->method(i);
      const auto policy = service.policy->find(method->name());
      ASSERT_NE(policy, service.policy->end());
      const std::string bytes =
          RequestBytes(method, service.samples.at(method->name()));
      std::vector<Refusal> refusals = {{"no service token",
                                        {.internal = false,
                                         .tenant = "alpha",
                                         .bearer = alpha_admin,
                                         .system = suite_->system_token()},
                                        grpc::StatusCode::UNAUTHENTICATED}};
      switch (policy->second) {
        case CallScope::kPlatform:
          break;
        case CallScope::kSystemAdmin:
        case CallScope::kSystemAdminOrBootstrap:
          refusals.push_back({"no system token",
                              {.tenant = "alpha"},
                              grpc::StatusCode::PERMISSION_DENIED});
          refusals.push_back({"a tenant admin's bearer token instead",
                              {.tenant = "alpha", .bearer = alpha_admin},
                              grpc::StatusCode::PERMISSION_DENIED});
          refusals.push_back({"a tenant admin's token as the system token",
                              {.tenant = "alpha", .system = alpha_admin},
                              grpc::StatusCode::PERMISSION_DENIED});
          break;
        case CallScope::kTenant:
        case CallScope::kTenantAdmin:
        case CallScope::kPrincipal:
        case CallScope::kPrincipalOptional:
        case CallScope::kDiscovery: {
          const bool checks_bearer = policy->second != CallScope::kTenant;
          const bool needs_bearer =
              checks_bearer && policy->second != CallScope::kPrincipalOptional;
          refusals.push_back({"no tenant",
                              {.bearer = alpha_admin},
                              grpc::StatusCode::UNAUTHENTICATED});
          refusals.push_back({"an unknown tenant",
                              {.tenant = "zulu", .bearer = alpha_admin},
                              grpc::StatusCode::NOT_FOUND});
          refusals.push_back(
              {"an inactive tenant",
               {.tenant = "charlie", .bearer = admin_tokens_["charlie"]},
               grpc::StatusCode::PERMISSION_DENIED});
          // For ResolvePrincipal the sample request itself carries bravo's
          // token (RecordSignatureNonce, also kTenant, takes none).
          if (method->name() != "RecordSignatureNonce")
            refusals.push_back(
                {"another tenant's token",
                 {.tenant = "alpha", .bearer = admin_tokens_["bravo"]},
                 grpc::StatusCode::UNAUTHENTICATED});
          if (checks_bearer) {
            refusals.push_back(
                {"the system token as a bearer token",
                 {.tenant = "alpha", .bearer = suite_->system_token()},
                 grpc::StatusCode::UNAUTHENTICATED});
          }
          if (needs_bearer) {
            refusals.push_back({"no principal token",
                                {.tenant = "alpha"},
                                grpc::StatusCode::UNAUTHENTICATED});
          }
          if (policy->second == CallScope::kTenantAdmin) {
            refusals.push_back(
                {"a non-admin principal of the tenant",
                 {.tenant = "alpha", .bearer = agent_tokens_["alpha"]},
                 grpc::StatusCode::PERMISSION_DENIED});
          }
          break;
        }
      }
      for (const Refusal& refusal : refusals) {
        const grpc::Status status =
            Call(service, method, bytes, refusal.credentials);
        EXPECT_EQ(status.error_code(), refusal.expected)
            << method->full_name() << " with " << refusal.what << ": "
            << status.error_message();
        for (const char* tenant : {"bravo", "charlie", "zulu"}) {
          EXPECT_EQ(status.error_message().find(tenant), std::string::npos)
              << method->full_name() << " with " << refusal.what
              << " names a tenant: " << status.error_message();
        }
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 100);
  EXPECT_EQ(Probe(), before) << "a refused call changed data";

  // The control: with the right credentials every sample runs, and the
  // changing ones change the data, so the probe above could have noticed.
  for (const ServiceUnderTest& service : Services()) {
    for (int i = 0; i < service.descriptor->method_count(); ++i) {
      const MethodDescriptor* method = service.descriptor->method(i);
      const CallScope scope = service.policy->at(method->name());
      Credentials right{.tenant = "alpha"};
      if (scope == CallScope::kSystemAdmin ||
          scope == CallScope::kSystemAdminOrBootstrap)
        right.system = suite_->system_token();
      if (scope == CallScope::kTenantAdmin || scope == CallScope::kPrincipal ||
          scope == CallScope::kPrincipalOptional ||
          scope == CallScope::kDiscovery)
        right.bearer = alpha_admin;
      std::string json = service.samples.at(method->name());
      if (method->name() == "ResolvePrincipal") json = R"({"token":"$ALPHA"})";
      absl::StrReplaceAll({{"$ALPHA", agent_tokens_["alpha"]}}, &json);
      // Rotating then revoking alpha's agent must come after resolving it.
      const grpc::Status status =
          Call(service, method, RequestBytes(method, json), right);
      EXPECT_TRUE(status.ok())
          << method->full_name() << ": " << status.error_message();
    }
  }
  EXPECT_NE(Probe(), before);
}

TEST_F(EnforcementTest, TheBootstrapTokenOnlyCreatesTheFirstAdmin) {
  // With no enabled admin, auth admits the bootstrap token; the guard still
  // refuses it for every system admin method of every service but the ones
  // in kSystemAdminOrBootstrap, and for every tenant admin method.
  auth::v1::DisableSystemAdminRequest disable;
  disable.set_admin_id(testing::kSuiteAdminId);
  auth::v1::SystemAdmin disabled;
  ASSERT_TRUE(
      auth::v1::SystemAdmins::NewStub(suite_->auth_channel())
          ->DisableSystemAdmin(suite_->AdminContext().get(), disable, &disabled)
          .ok());
  const Credentials bootstrap{.tenant = "alpha",
                              .system = suite_->bootstrap_token()};
  std::vector<std::pair<const ServiceUnderTest*, const MethodDescriptor*>>
      first_admin;
  int refused = 0;
  const std::vector<ServiceUnderTest> services = Services();
  for (const ServiceUnderTest& service : services) {
    for (int i = 0; i < service.descriptor->method_count(); ++i) {
      const MethodDescriptor* method = service.descriptor->method(i);
      const CallScope scope = service.policy->at(method->name());
      if (scope == CallScope::kSystemAdminOrBootstrap) {
        first_admin.emplace_back(&service, method);
        continue;
      }
      if (scope != CallScope::kSystemAdmin && scope != CallScope::kTenantAdmin)
        continue;
      const grpc::Status status = Call(
          service, method,
          RequestBytes(method, service.samples.at(method->name())), bootstrap);
      if (scope == CallScope::kSystemAdmin) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << method->full_name() << ": " << status.error_message();
      } else {
        EXPECT_FALSE(status.ok()) << method->full_name();
      }
      ++refused;
    }
  }
  EXPECT_GE(refused, 15);
  // The control: the bootstrap token was live all along.
  ASSERT_EQ(first_admin.size(), 1u);
  const auto [service, method] = first_admin[0];
  EXPECT_EQ(method->name(), "CreateSystemAdmin");
  const grpc::Status created = Call(
      *service, method,
      RequestBytes(method, service->samples.at(method->name())), bootstrap);
  EXPECT_TRUE(created.ok()) << created.error_message();
}

TEST_F(EnforcementTest, ConcurrentCallsNeverSeeAnotherTenantsData) {
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 500;
  std::atomic<int> leaks{0}, failures{0}, calls{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        const std::string tenant = (i + t) % 2 == 0 ? "alpha" : "bravo";
        auto context = Suite::Context(tenant, admin_tokens_[tenant], "");
        auth::v1::ListPrincipalsResponse response;
        const grpc::Status status = suite_->auth().ListPrincipals(
            context.get(), auth::v1::ListPrincipalsRequest(), &response);
        ++calls;
        if (!status.ok() || response.principals_size() != 2) {
          ++failures;
          continue;
        }
        for (const auto& principal : response.principals()) {
          if (principal.tenant_id() != tenant) ++leaks;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(calls.load(), kThreads * kCallsPerThread);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(leaks.load(), 0);
}

}  // namespace
}  // namespace adcp
