// The tenant registry's test fixture: the service on a free port over a
// real gRPC channel against a throwaway PostgreSQL, with auth beside it
// (where system admin tokens resolve), called with a named system admin's
// API token. Test-only.
#pragma once

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "libs/grpc/grpc_status.h"
#include "libs/tenancy/metadata.h"
#include "libs/tenancy/service_channel.h"
#include "services/auth/auth_server.h"
#include "services/tenant-registry/tenant_registry_server.h"
#include "tests/support/suite.h"
#include "tests/support/test_database.h"

namespace adcp::tenant_registry {

using ::adcp::testing::TestDatabase;

inline google::protobuf::Struct JsonToStruct(const std::string& json) {
  google::protobuf::Struct value;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &value);
  EXPECT_TRUE(status.ok()) << json;
  return value;
}

inline std::string ConfigJson(const pb::Tenant& tenant) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(tenant.config(), &text,
                                                    options);
  return text;
}

inline bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class TenantRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    const int auth_port = testing::FreeLoopbackPort();
    const std::string auth_address = absl::StrCat("127.0.0.1:", auth_port);
    ServiceConfig config;
    config.database_url = db_->RegistryUrl();
    config.pool_size = 4;
    config.internal_token = token_;
    config.auth_address = auth_address;
    config.database_wait = absl::Seconds(5);
    config.host.service_name = "tenant-registry";
    config.host.bind_host = "127.0.0.1";
    config.host.port = 0;
    config.host.metrics_port = 0;
    config.host.shutdown_grace = absl::Seconds(1);
    auto server =
        TenantRegistryServer::Start({.service = config,
                                     .audit_signing_key = std::string(32, 'k'),
                                     .purge_database_url = db_->PurgeUrl()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    address_ = absl::StrCat("127.0.0.1:", server_->port());
    channel_ = MakeServiceChannel(address_, token_);
    stub_ = pb::TenantRegistry::NewStub(channel_);
    auth::AuthConfig auth_config;
    auth_config.service = testing::TestServiceConfig("auth", db_->AuthUrl(),
                                                     token_, auth_address);
    auth_config.service.host.port = auth_port;
    auth_config.registry_address = address_;
    const std::string bootstrap = "test-bootstrap-" + testing::RandomHex(8);
    auth_config.bootstrap_sha256_hex =
        absl::BytesToHexString(Sha256(bootstrap));
    auto auth = auth::AuthServer::Start(auth_config);
    ASSERT_TRUE(auth.ok()) << auth.status();
    auth_ = *std::move(auth);
    auto system_token = testing::BootstrapSystemAdmin(
        MakeServiceChannel(auth_address, token_), bootstrap);
    ASSERT_TRUE(system_token.ok()) << system_token.status();
    system_token_ = *system_token;
  }

  void TearDown() override {
    if (auth_) auth_->Shutdown();
    if (server_) server_->Shutdown();
    auth_.reset();
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
    const absl::Status forwarded =
        ForwardTenant(&context, {.system_token = system_token_});
    if (!forwarded.ok()) return ToGrpcStatus(forwarded);
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
  // A named admin's API token, made in SetUp.
  std::string system_token_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<TenantRegistryServer> server_;
  std::unique_ptr<auth::AuthServer> auth_;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::TenantRegistry::Stub> stub_;
};

}  // namespace adcp::tenant_registry
