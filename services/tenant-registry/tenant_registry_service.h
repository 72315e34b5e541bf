// The TenantRegistry gRPC service: validates each request, then calls the
// repository. Every handler body runs through the CallGuard under Policy().
#pragma once

#include "adcp/tenant/v1/tenant_registry.grpc.pb.h"
#include "libs/tenancy/guard.h"
#include "services/tenant-registry/tenant_change_feed.h"
#include "services/tenant-registry/tenant_repository.h"

namespace adcp::tenant_registry {

namespace pb = ::adcp::tenant::v1;

class TenantRegistryService final : public pb::TenantRegistry::Service {
 public:
  TenantRegistryService(const CallGuard& guard, TenantRepository& repository,
                        TenantChangeFeed& feed)
      : guard_(guard), repository_(repository), feed_(feed) {}

  // Who may call what: reads are platform-scoped (the suite's services),
  // changes need the system admin token.
  static const ServicePolicy& Policy();

  grpc::Status CreateTenant(grpc::ServerContext* context,
                            const pb::CreateTenantRequest* request,
                            pb::Tenant* response) override;
  grpc::Status GetTenant(grpc::ServerContext* context,
                         const pb::GetTenantRequest* request,
                         pb::Tenant* response) override;
  grpc::Status ListTenants(grpc::ServerContext* context,
                           const pb::ListTenantsRequest* request,
                           pb::ListTenantsResponse* response) override;
  grpc::Status ResolveBySubdomain(grpc::ServerContext* context,
                                  const pb::ResolveBySubdomainRequest* request,
                                  pb::Tenant* response) override;
  grpc::Status UpdateTenantConfig(grpc::ServerContext* context,
                                  const pb::UpdateTenantConfigRequest* request,
                                  pb::Tenant* response) override;
  grpc::Status SetTenantActive(grpc::ServerContext* context,
                               const pb::SetTenantActiveRequest* request,
                               pb::Tenant* response) override;
  grpc::Status UpdateTenant(grpc::ServerContext* context,
                            const pb::UpdateTenantRequest* request,
                            pb::Tenant* response) override;
  grpc::Status CompleteInitialization(
      grpc::ServerContext* context,
      const pb::CompleteInitializationRequest* request,
      pb::Tenant* response) override;
  grpc::Status DeleteTenant(grpc::ServerContext* context,
                            const pb::DeleteTenantRequest* request,
                            pb::DeleteTenantResponse* response) override;
  grpc::Status ListAuditEvents(grpc::ServerContext* context,
                               const pb::ListAuditEventsRequest* request,
                               pb::ListAuditEventsResponse* response) override;
  grpc::Status WatchTenants(
      grpc::ServerContext* context, const pb::WatchTenantsRequest* request,
      grpc::ServerWriter<pb::TenantEvent>* writer) override;

 private:
  const CallGuard& guard_;
  TenantRepository& repository_;
  TenantChangeFeed& feed_;
};

}  // namespace adcp::tenant_registry
