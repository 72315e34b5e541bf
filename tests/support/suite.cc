#include "tests/support/suite.h"

#include <arpa/inet.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "libs/grpc/grpc_status.h"
#include "libs/tenancy/guard.h"
#include "libs/tenancy/service_channel.h"

namespace adcp::testing {

ServiceConfig TestServiceConfig(const std::string& name,
                                const std::string& database_url,
                                const std::string& internal_token,
                                const std::string& auth_address) {
  ServiceConfig config;
  config.database_url = database_url;
  config.pool_size = 4;
  config.internal_token = internal_token;
  config.auth_address = auth_address;
  config.database_wait = absl::Seconds(5);
  config.host.service_name = name;
  config.host.bind_host = "127.0.0.1";
  config.host.port = 0;
  config.host.metrics_port = -1;  // the exposer takes ~2 s to stop
  config.host.shutdown_grace = absl::Seconds(1);
  // Tests that exercise rate limits set them in the tenant's config.
  config.limits.tenant = {.per_second = 1e6, .burst = 1e6};
  config.limits.principal = {.per_second = 1e6, .burst = 1e6};
  config.limits.anonymous = {.per_second = 1e6, .burst = 1e6};
  config.limits.client = {.per_second = 1e6, .burst = 1e6};
  config.limits.auth_failures_client = {.per_second = 1e6, .burst = 1e6};
  config.limits.auth_failures_tenant = {.per_second = 1e6, .burst = 1e6};
  config.base_domains = {"sales.test"};  // tenants by x-adcp-tenant-host
  return config;
}

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  close(fd);
  return port;
}

absl::StatusOr<std::string> BootstrapSystemAdmin(
    std::shared_ptr<grpc::Channel> auth, const std::string& bootstrap_token) {
  auto stub = auth::v1::SystemAdmins::NewStub(std::move(auth));
  // The registry's channel to auth met refused connections before auth
  // started, and channels share connections: wait for auth, do not fail fast.
  auto context = [](const std::string& token) {
    std::unique_ptr<grpc::ClientContext> context =
        Suite::Context("", "", token);
    context->set_wait_for_ready(true);
    return context;
  };
  auth::v1::CreateSystemAdminRequest create;
  create.set_admin_id(kSuiteAdminId);
  create.set_name("Suite Admin");
  create.set_password(kSuiteAdminPassword);
  auth::v1::SystemAdmin admin;
  RETURN_IF_ERROR(FromGrpcStatus(
      stub->CreateSystemAdmin(context(bootstrap_token).get(), create, &admin)));
  auth::v1::SignInSystemAdminRequest sign_in;
  sign_in.set_admin_id(kSuiteAdminId);
  sign_in.set_password(kSuiteAdminPassword);
  auth::v1::SystemAdminTokenWithSecret session;
  RETURN_IF_ERROR(FromGrpcStatus(
      stub->SignInSystemAdmin(context("").get(), sign_in, &session)));
  auth::v1::SystemAdminTokenWithSecret api;
  RETURN_IF_ERROR(FromGrpcStatus(stub->CreateSystemAdminToken(
      context(session.secret()).get(),
      auth::v1::CreateSystemAdminTokenRequest(), &api)));
  return api.secret();
}

namespace {

// "127.0.0.1:port" of each port; one address as is, several as an ipv4:
// list (round_robin balances over it).
std::string TargetOf(const std::vector<int>& ports) {
  std::vector<std::string> addresses;
  for (int port : ports) addresses.push_back(absl::StrCat("127.0.0.1:", port));
  if (addresses.size() == 1) return addresses.front();
  return absl::StrCat("ipv4:", absl::StrJoin(addresses, ","));
}

template <typename Server>
std::string Target(const std::vector<std::unique_ptr<Server>>& servers) {
  std::vector<int> ports;
  for (const auto& server : servers) ports.push_back(server->port());
  return TargetOf(ports);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Suite>> Suite::Start(SuiteOptions options) {
  if (options.replicas < 1)
    return absl::InvalidArgumentError("replicas: at least 1");
  std::unique_ptr<Suite> suite(new Suite());
  ASSIGN_OR_RETURN(suite->db_, TestDatabase::Create());
  if (options.through_pgbouncer) {
    ASSIGN_OR_RETURN(suite->pgbouncer_, PgBouncer::Start(*suite->db_));
  }
  suite->internal_token_ = "suite-internal-" + RandomHex(12);
  suite->bootstrap_token_ = "suite-bootstrap-" + RandomHex(12);
  std::vector<int> auth_ports;
  for (int i = 0; i < options.replicas; ++i)
    auth_ports.push_back(FreeLoopbackPort());
  suite->auth_target_ = TargetOf(auth_ports);
  for (int i = 0; i < options.replicas; ++i) {
    ASSIGN_OR_RETURN(
        auto registry,
        tenant_registry::TenantRegistryServer::Start(
            {.service = suite->ServiceConfigFor("tenant-registry",
                                                ServiceRole::kRegistry),
             .audit_signing_key = kAuditSigningKey,
             .purge_database_url = suite->DatabaseUrl(ServiceRole::kPurge)}));
    suite->registry_servers_.push_back(std::move(registry));
  }
  for (int i = 0; i < options.replicas; ++i) {
    auth::AuthConfig auth_config;
    auth_config.service = suite->ServiceConfigFor("auth", ServiceRole::kAuth);
    auth_config.service.host.port = auth_ports[i];
    auth_config.registry_address = suite->registry_address();
    auth_config.bootstrap_sha256_hex =
        absl::BytesToHexString(Sha256(suite->bootstrap_token_));
    // The test machine is shared: a password check may wait for a slot
    // longer than production's second.
    auth_config.password_checks.wait = absl::Seconds(10);
    if (options.configure_auth) options.configure_auth(auth_config);
    ASSIGN_OR_RETURN(auto auth, auth::AuthServer::Start(auth_config));
    suite->auth_.push_back(std::move(auth));
  }
  ASSIGN_OR_RETURN(
      suite->system_token_,
      BootstrapSystemAdmin(
          MakeServiceChannel(suite->auth_target_, suite->internal_token_),
          suite->bootstrap_token_));
  for (int i = 0; i < options.replicas; ++i) {
    media_buy::MediaBuyConfig media_buy_config;
    media_buy_config.service =
        suite->ServiceConfigFor("media-buy", ServiceRole::kMediaBuy);
    media_buy_config.registry_address = suite->registry_address();
    media_buy_config.options.clock = options.media_buy_clock;
    // The example tenants' GAM and Kevel run on the mock, as in ./dev up.
    media_buy_config.adapter_stand_in = "mock";
    if (options.configure_media_buy)
      options.configure_media_buy(media_buy_config);
    ASSIGN_OR_RETURN(auto media_buy,
                     media_buy::MediaBuyServer::Start(media_buy_config));
    suite->media_buy_.push_back(std::move(media_buy));
  }
  const std::string& token = suite->internal_token_;
  suite->registry_channel_ =
      MakeServiceChannel(suite->registry_address(), token);
  suite->auth_channel_ = MakeServiceChannel(suite->auth_address(), token);
  suite->registry_ =
      tenant::v1::TenantRegistry::NewStub(suite->registry_channel_);
  suite->auth_stub_ = auth::v1::Auth::NewStub(suite->auth_channel_);
  suite->media_buy_stub_ = media_buy::v1::MediaBuyService::NewStub(
      MakeServiceChannel(suite->media_buy_address(), token));
  for (int i = 0; i < options.replicas; ++i) {
    suite->auth_replicas_.push_back(auth::v1::Auth::NewStub(
        MakeServiceChannel(suite->auth_address(i), token)));
    suite->media_buy_replicas_.push_back(
        media_buy::v1::MediaBuyService::NewStub(
            MakeServiceChannel(suite->media_buy_address(i), token)));
  }
  return suite;
}

std::string Suite::DatabaseUrl(ServiceRole role) const {
  return pgbouncer_ ? pgbouncer_->RoleUrl(role) : db_->RoleUrl(role);
}

ServiceConfig Suite::ServiceConfigFor(const std::string& name,
                                      ServiceRole role) const {
  ServiceConfig config =
      TestServiceConfig(name, DatabaseUrl(role), internal_token_, auth_target_);
  if (pgbouncer_) {
    config.listen_url = db_->RoleUrl(role);
    config.statement_mode = StatementMode::kUnprepared;
  }
  return config;
}

Suite::~Suite() {
  for (auto& server : media_buy_) server->Shutdown();
  for (auto& server : auth_) server->Shutdown();
  for (auto& server : registry_servers_) server->Shutdown();
  media_buy_.clear();
  auth_.clear();
  registry_servers_.clear();
}

std::string Suite::registry_address() const {
  return Target(registry_servers_);
}
std::string Suite::auth_address() const { return Target(auth_); }
std::string Suite::media_buy_address() const { return Target(media_buy_); }
std::string Suite::auth_address(int replica) const {
  return absl::StrCat("127.0.0.1:", auth_[replica]->port());
}
std::string Suite::media_buy_address(int replica) const {
  return absl::StrCat("127.0.0.1:", media_buy_[replica]->port());
}

std::unique_ptr<grpc::ClientContext> Suite::Context(
    const std::string& tenant_id, const std::string& bearer_token,
    const std::string& system_token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  if (!tenant_id.empty()) context->AddMetadata(kTenantIdKey, tenant_id);
  if (!bearer_token.empty())
    context->AddMetadata(kAuthorizationKey, "Bearer " + bearer_token);
  if (!system_token.empty())
    context->AddMetadata(kSystemTokenKey, system_token);
  return context;
}

absl::StatusOr<tenant::v1::Tenant> Suite::CreateTenant(
    const std::string& tenant_id, const std::string& config_json) {
  tenant::v1::CreateTenantRequest request;
  request.set_tenant_id(tenant_id);
  request.set_name("Publisher " + tenant_id);
  request.set_subdomain(tenant_id);
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      config_json, request.mutable_config());
  if (!parsed.ok()) return absl::InvalidArgumentError(parsed.ToString());
  tenant::v1::Tenant tenant;
  RETURN_IF_ERROR(FromGrpcStatus(
      registry_->CreateTenant(AdminContext().get(), request, &tenant)));
  // Tenant-scoped calls need the auth service to know the tenant.
  if (!AwaitTenantState(tenant_id, true, absl::Seconds(5))) {
    return absl::DeadlineExceededError("auth did not learn of the new tenant");
  }
  return tenant;
}

absl::Status Suite::SetTenantActive(const std::string& tenant_id, bool active) {
  tenant::v1::SetTenantActiveRequest request;
  request.set_tenant_id(tenant_id);
  request.set_is_active(active);
  tenant::v1::Tenant tenant;
  return FromGrpcStatus(
      registry_->SetTenantActive(AdminContext().get(), request, &tenant));
}

absl::Status Suite::PatchTenantConfig(const std::string& tenant_id,
                                      const std::string& patch_json) {
  tenant::v1::UpdateTenantConfigRequest request;
  request.set_tenant_id(tenant_id);
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      patch_json, request.mutable_config_patch());
  if (!parsed.ok()) return absl::InvalidArgumentError(parsed.ToString());
  tenant::v1::Tenant tenant;
  return FromGrpcStatus(
      registry_->UpdateTenantConfig(AdminContext().get(), request, &tenant));
}

absl::StatusOr<auth::v1::PrincipalWithToken> Suite::CreatePrincipal(
    const std::string& tenant_id, const std::string& principal_id) {
  auth::v1::CreatePrincipalRequest request;
  request.set_principal_id(principal_id);
  request.set_name("Principal " + principal_id);
  auth::v1::PrincipalWithToken issued;
  RETURN_IF_ERROR(FromGrpcStatus(auth_stub_->CreatePrincipal(
      AdminContext(tenant_id).get(), request, &issued)));
  return issued;
}

bool Suite::AwaitTenantState(const std::string& tenant_id, bool active,
                             absl::Duration timeout) {
  // A principal-scoped call without a token: refused as unauthenticated once
  // a replica knows the tenant active, as permission denied once inactive.
  const grpc::StatusCode wanted = active ? grpc::StatusCode::UNAUTHENTICATED
                                         : grpc::StatusCode::PERMISSION_DENIED;
  const auto all_agree = [&] {
    for (auto& auth : auth_replicas_) {
      auth::v1::ResolvePrincipalRequest probe;  // tenant checks come first
      auth::v1::Principal ignored;
      if (auth->ResolvePrincipal(Context(tenant_id, "", "").get(), probe,
                                 &ignored)
              .error_code() != wanted)
        return false;
    }
    for (auto& media_buy : media_buy_replicas_) {
      media_buy::v1::GetProductsRequest products;
      media_buy::v1::GetProductsResponse ignored;
      if (media_buy
              ->GetProducts(Context(tenant_id, "", "").get(), products,
                            &ignored)
              .error_code() != wanted)
        return false;
    }
    return true;
  };
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (all_agree()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace adcp::testing
