// adcpctl: the operator's client of the suite's gRPC services.
//   adcpctl seed-examples FILE      create and initialize the tenants in FILE
//                                   (a JSON array of CreateTenantRequest
//                                   documents), printing each admin token
//                                   once; existing ones are left as they are
//   adcpctl list-tenants
//   adcpctl get-tenant TENANT
//   adcpctl create-principal TENANT NAME [PRINCIPAL_ID]   prints the token once
//   adcpctl list-principals TENANT
//   adcpctl rotate-token TENANT PRINCIPAL_ID               prints the new token
//   adcpctl revoke-principal TENANT PRINCIPAL_ID
//   adcpctl approve-human-task TENANT TASK_ID  as the system admin (a buy
//                                              then goes to the ad server);
//                                              prints the task
//   adcpctl verify-audit TENANT      the audit hash chain and tombstones,
//                                    read from DATABASE_URL (verify_audit.h)
//   adcpctl admins ... | admin-tokens ...   named system admins (admins.h)
// Env: TENANT_REGISTRY_ADDR (127.0.0.1:50051), AUTH_ADDR (127.0.0.1:50052),
// MEDIA_BUY_ADDR (127.0.0.1:50053), ADCP_INTERNAL_TOKEN, SYSTEM_ADMIN_TOKEN
// (a named admin's API token, for every change; audit rows name the admin).
#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "adcp/auth/v1/auth.grpc.pb.h"
#include "adcp/media_buy/v1/media_buy.grpc.pb.h"
#include "adcp/tenant/v1/tenant_registry.grpc.pb.h"
#include "libs/base/env.h"
#include "libs/tenancy/call_context.h"
#include "libs/tenancy/guard.h"
#include "libs/tenancy/metadata.h"
#include "libs/tenancy/service_channel.h"
#include "services/admin-gateway/backends.h"
#include "services/admin-gateway/tenant_initializer.h"
#include "tools/adcpctl/admins.h"
#include "tools/adcpctl/verify_audit.h"

namespace {

namespace tenant_pb = adcp::tenant::v1;
namespace auth_pb = adcp::auth::v1;
namespace media_buy_pb = adcp::media_buy::v1;

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = true;
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(message, &text, options);
  return text;
}

int Fail(const std::string& what, const grpc::Status& status) {
  std::cerr << what << ": " << status.error_message() << " (code "
            << status.error_code() << ")\n";
  return 1;
}

class Client {
 public:
  Client(const std::string& internal_token, std::string system_token)
      : system_token_(std::move(system_token)),
        registry_(tenant_pb::TenantRegistry::NewStub(adcp::MakeServiceChannel(
            adcp::env::String("TENANT_REGISTRY_ADDR", "127.0.0.1:50051"),
            internal_token))),
        auth_(auth_pb::Auth::NewStub(adcp::MakeServiceChannel(
            adcp::env::String("AUTH_ADDR", "127.0.0.1:50052"),
            internal_token))),
        media_buy_(
            media_buy_pb::MediaBuyService::NewStub(adcp::MakeServiceChannel(
                adcp::env::String("MEDIA_BUY_ADDR", "127.0.0.1:50053"),
                internal_token))) {}

  // A context with a deadline, the system admin token, and the tenant.
  std::unique_ptr<grpc::ClientContext> Context(
      const std::string& tenant_id = "") const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(10));
    const absl::Status forwarded = adcp::ForwardTenant(
        context.get(), adcp::ForwardedCall{.tenant_id = tenant_id,
                                           .system_token = system_token_});
    if (!forwarded.ok()) {
      std::cerr << "adcpctl: " << forwarded.message() << "\n";
      std::exit(2);
    }
    return context;
  }

  tenant_pb::TenantRegistry::Stub& registry() { return *registry_; }
  auth_pb::Auth::Stub& auth() { return *auth_; }
  media_buy_pb::MediaBuyService::Stub& media_buy() { return *media_buy_; }

 private:
  const std::string system_token_;
  std::unique_ptr<tenant_pb::TenantRegistry::Stub> registry_;
  std::unique_ptr<auth_pb::Auth::Stub> auth_;
  std::unique_ptr<media_buy_pb::MediaBuyService::Stub> media_buy_;
};

int SeedExamples(adcp::admin_gateway::Backends& backends,
                 const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    std::cerr << "cannot read " << path << "\n";
    return 2;
  }
  const nlohmann::json tenants = nlohmann::json::parse(file, nullptr, false);
  if (!tenants.is_array()) {
    std::cerr << path << ": expected a JSON array of tenants\n";
    return 2;
  }
  for (const auto& document : tenants) {
    tenant_pb::CreateTenantRequest request;
    const auto parsed =
        google::protobuf::util::JsonStringToMessage(document.dump(), &request);
    if (!parsed.ok()) {
      std::cerr << path << ": " << parsed.ToString() << "\n";
      return 2;
    }
    // The same initialization as POST /system/tenants (seed section 8).
    auto initialized =
        adcp::admin_gateway::TenantInitializer(backends).Initialize(request);
    if (initialized.ok()) {
      std::cout << "created tenant " << initialized->tenant_id
                << (initialized->resumed ? " (initialization resumed)" : "")
                << "\n  admin principal: " << initialized->tenant_id
                << "_admin\n  admin token:     " << initialized->admin_token
                << "   <- shown once\n  products:        "
                << initialized->product_ids.size() << "\n";
    } else if (absl::IsAlreadyExists(initialized.status()) &&
               adcp::admin_gateway::FailedStep(initialized.status()).empty()) {
      std::cout << "tenant " << request.tenant_id() << " exists; left as is\n";
    } else {
      std::cerr << "create " << request.tenant_id() << ": "
                << initialized.status().message() << "\n";
      return 1;
    }
  }
  return 0;
}

int ListTenants(Client& client) {
  tenant_pb::ListTenantsRequest request;
  do {
    tenant_pb::ListTenantsResponse response;
    const grpc::Status status = client.registry().ListTenants(
        client.Context().get(), request, &response);
    if (!status.ok()) return Fail("list-tenants", status);
    for (const auto& tenant : response.tenants()) {
      std::cout << tenant.tenant_id() << "\t" << tenant.subdomain() << "\t"
                << (tenant.is_active() ? "active" : "inactive") << "\t"
                << tenant.billing_plan() << "\t" << tenant.name() << "\n";
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return 0;
}

int ListPrincipals(Client& client, const std::string& tenant_id) {
  auth_pb::ListPrincipalsRequest request;
  request.set_include_revoked(true);
  do {
    auth_pb::ListPrincipalsResponse response;
    const grpc::Status status = client.auth().ListPrincipals(
        client.Context(tenant_id).get(), request, &response);
    if (!status.ok()) return Fail("list-principals", status);
    for (const auto& principal : response.principals()) {
      std::cout << principal.principal_id() << "\t" << principal.token_prefix()
                << "...\t" << (principal.has_revoked_at() ? "revoked" : "live")
                << "\t" << principal.name() << "\n";
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return 0;
}

int ApproveHumanTask(Client& client, const std::string& tenant_id,
                     const std::string& task_id) {
  media_buy_pb::ResolveHumanTaskRequest request;
  request.set_task_id(task_id);
  media_buy_pb::HumanTask task;
  const grpc::Status rpc = client.media_buy().ApproveHumanTask(
      client.Context(tenant_id).get(), request, &task);
  if (!rpc.ok()) return Fail("approve-human-task", rpc);
  std::cout << ToJson(task) << "\n";
  return 0;
}

void PrintIssued(const auth_pb::PrincipalWithToken& issued) {
  std::cout << "principal_id: " << issued.principal().principal_id() << "\n"
            << "access_token: " << issued.access_token() << "\n"
            << "(shown once; agents send it as x-adcp-auth or Authorization: "
               "Bearer)\n";
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "verify-audit")
    return adcp::adcpctl::VerifyAudit(args[1], std::cout, std::cerr);
  auto token = adcp::env::Required("ADCP_INTERNAL_TOKEN");
  if (args.empty() || !token.ok()) {
    std::cerr
        << (token.ok() ? "" : std::string(token.status().message()) + "\n")
        << "usage: adcpctl seed-examples FILE | list-tenants | "
           "get-tenant TENANT |\n"
           "       create-principal TENANT NAME [PRINCIPAL_ID] | "
           "list-principals TENANT |\n"
           "       rotate-token TENANT PRINCIPAL_ID | revoke-principal "
           "TENANT PRINCIPAL_ID |\n"
           "       approve-human-task TENANT TASK_ID | verify-audit TENANT |\n"
           "       admins create ADMIN_ID NAME | admins list | admins disable "
           "ADMIN_ID |\n"
           "       admin-tokens create [ADMIN_ID] | admin-tokens list "
           "ADMIN_ID |\n"
           "       admin-tokens revoke ADMIN_ID TOKEN_ID   (passwords on "
           "stdin)\n";
    return 2;
  }
  const std::string system_token = adcp::env::String("SYSTEM_ADMIN_TOKEN", "");
  if (const std::optional<int> status = adcp::adcpctl::RunAdminCommand(
          args,
          adcp::MakeServiceChannel(
              adcp::env::String("AUTH_ADDR", "127.0.0.1:50052"), *token),
          system_token, std::cin, std::cout, std::cerr))
    return *status;
  Client client(*token, system_token);
  const std::string& command = args[0];

  if (command == "seed-examples" && args.size() == 2) {
    adcp::admin_gateway::Backends backends(
        {.registry_address =
             adcp::env::String("TENANT_REGISTRY_ADDR", "127.0.0.1:50051"),
         .auth_address = adcp::env::String("AUTH_ADDR", "127.0.0.1:50052"),
         .media_buy_address =
             adcp::env::String("MEDIA_BUY_ADDR", "127.0.0.1:50053"),
         .internal_token = *token});
    adcp::admin_gateway::ActingAdmin acting(system_token);
    return SeedExamples(backends, args[1]);
  }
  if (command == "list-tenants" && args.size() == 1) return ListTenants(client);
  if (command == "get-tenant" && args.size() == 2) {
    tenant_pb::GetTenantRequest request;
    request.set_tenant_id(args[1]);
    tenant_pb::Tenant tenant;
    const grpc::Status status =
        client.registry().GetTenant(client.Context().get(), request, &tenant);
    if (!status.ok()) return Fail("get-tenant", status);
    std::cout << ToJson(tenant) << "\n";
    return 0;
  }
  if (command == "create-principal" && (args.size() == 3 || args.size() == 4)) {
    auth_pb::CreatePrincipalRequest request;
    request.set_name(args[2]);
    if (args.size() == 4) request.set_principal_id(args[3]);
    auth_pb::PrincipalWithToken issued;
    const grpc::Status status = client.auth().CreatePrincipal(
        client.Context(args[1]).get(), request, &issued);
    if (!status.ok()) return Fail("create-principal", status);
    PrintIssued(issued);
    return 0;
  }
  if (command == "list-principals" && args.size() == 2)
    return ListPrincipals(client, args[1]);
  if (command == "rotate-token" && args.size() == 3) {
    auth_pb::RotateTokenRequest request;
    request.set_principal_id(args[2]);
    auth_pb::PrincipalWithToken issued;
    const grpc::Status status = client.auth().RotateToken(
        client.Context(args[1]).get(), request, &issued);
    if (!status.ok()) return Fail("rotate-token", status);
    PrintIssued(issued);
    return 0;
  }
  if (command == "revoke-principal" && args.size() == 3) {
    auth_pb::RevokePrincipalRequest request;
    request.set_principal_id(args[2]);
    auth_pb::Principal principal;
    const grpc::Status status = client.auth().RevokePrincipal(
        client.Context(args[1]).get(), request, &principal);
    if (!status.ok()) return Fail("revoke-principal", status);
    std::cout << "revoked " << principal.principal_id() << "\n";
    return 0;
  }
  if (command == "approve-human-task" && args.size() == 3)
    return ApproveHumanTask(client, args[1], args[2]);
  std::cerr << "unknown command or wrong arguments: " << command << "\n";
  return 2;
}
