// adcpctl: a small operator client of the suite's gRPC services.
//   adcpctl seed-examples FILE   create the tenants in FILE (a JSON array of
//                                CreateTenantRequest documents); existing
//                                ones are left as they are
//   adcpctl list-tenants
//   adcpctl get-tenant ID
// Env: TENANT_REGISTRY_ADDR (127.0.0.1:50051), ADCP_INTERNAL_TOKEN.
#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adcp/common/env.h"
#include "adcp/common/interceptors.h"
#include "adcp/tenant/v1/tenant_registry.grpc.pb.h"

namespace {

namespace pb = adcp::tenant::v1;

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

int SeedExamples(pb::TenantRegistry::Stub& stub, const std::string& path) {
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
    pb::CreateTenantRequest request;
    const auto parsed =
        google::protobuf::util::JsonStringToMessage(document.dump(), &request);
    if (!parsed.ok()) {
      std::cerr << path << ": " << parsed.ToString() << "\n";
      return 2;
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    pb::Tenant tenant;
    const grpc::Status status = stub.CreateTenant(&context, request, &tenant);
    if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      std::cout << "tenant " << request.tenant_id() << " exists; left as is\n";
    } else if (!status.ok()) {
      return Fail("create " + request.tenant_id(), status);
    } else {
      std::cout << "created tenant " << tenant.tenant_id() << " ("
                << tenant.name() << ")\n";
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr
        << "usage: adcpctl seed-examples FILE | list-tenants | get-tenant ID\n";
    return 2;
  }
  const std::string command = argv[1];
  auto token = adcp::env::Required("ADCP_INTERNAL_TOKEN");
  if (!token.ok()) {
    std::cerr << token.status().message() << "\n";
    return 2;
  }
  auto channel = adcp::MakeServiceChannel(
      adcp::env::String("TENANT_REGISTRY_ADDR", "127.0.0.1:50051"), *token);
  auto stub = pb::TenantRegistry::NewStub(channel);

  if (command == "seed-examples" && argc == 3)
    return SeedExamples(*stub, argv[2]);
  if (command == "list-tenants" && argc == 2) {
    pb::ListTenantsRequest request;
    do {
      grpc::ClientContext context;
      pb::ListTenantsResponse response;
      const grpc::Status status =
          stub->ListTenants(&context, request, &response);
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
  if (command == "get-tenant" && argc == 3) {
    pb::GetTenantRequest request;
    request.set_tenant_id(argv[2]);
    grpc::ClientContext context;
    pb::Tenant tenant;
    const grpc::Status status = stub->GetTenant(&context, request, &tenant);
    if (!status.ok()) return Fail("get-tenant", status);
    std::cout << ToJson(tenant) << "\n";
    return 0;
  }
  std::cerr << "unknown command or wrong arguments: " << command << "\n";
  return 2;
}
