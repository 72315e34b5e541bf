// The MediaBuy gRPC service: the AdCP media-buy tasks for the tenant in
// x-tenant-id and the principal of the bearer token, plus human tasks and
// catalogue management. Policy and guarded dispatch only: every handler
// body runs through the CallGuard under Policy() and hands the request to
// its task (tasks/); a failed task answers its AdCP error in
// "adcp-error-bin", and a failed mutating task is audited.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "adcp/media_buy/v1/media_buy.grpc.pb.h"
#include "adcp/tenant/v1/tenant_registry.pb.h"
#include "libs/base/bulkhead.h"
#include "libs/db/pg_pool.h"
#include "libs/tenancy/audit_log.h"
#include "libs/tenancy/guard.h"
#include "services/media-buy/adapters/adapter.h"
#include "services/media-buy/cache/account_cache.h"
#include "services/media-buy/cache/product_cache.h"
#include "services/media-buy/domain/formats.h"
#include "services/media-buy/tasks/task_context.h"

namespace adcp::media_buy {

// Metadata that asks for a dry run: the adapter records what it would do and
// the task's writes are rolled back.
inline constexpr char kDryRunKey[] = "x-adcp-dry-run";

using TenantLookup = std::function<std::shared_ptr<const tenant::v1::Tenant>(
    const std::string& tenant_id)>;

// Every RPC of the service: its method, messages, who may call it (the
// guard's CallScope) and whether a failure is audited (the mutating ones).
// GetProducts and ListCreativeFormats are anonymous where the tenant allows
// it (features.anonymous_discovery).
// clang-format off
#define ADCP_MEDIA_BUY_RPCS(X)                                                                                           \
  X(GetAdcpCapabilities, GetAdcpCapabilitiesRequest, GetAdcpCapabilitiesResponse, kPrincipalOptional, false)             \
  X(GetProducts, GetProductsRequest, GetProductsResponse, kDiscovery, false)                                             \
  X(ListCreativeFormats, ListCreativeFormatsRequest, ListCreativeFormatsResponse, kDiscovery, false)                     \
  X(CreateMediaBuy, CreateMediaBuyRequest, CreateMediaBuyResponse, kPrincipal, true)                                     \
  X(UpdateMediaBuy, UpdateMediaBuyRequest, UpdateMediaBuyResponse, kPrincipal, true)                                     \
  X(GetMediaBuys, GetMediaBuysRequest, GetMediaBuysResponse, kPrincipal, false)                                          \
  X(GetMediaBuyDelivery, GetMediaBuyDeliveryRequest, GetMediaBuyDeliveryResponse, kPrincipal, false)                     \
  X(SyncCreatives, SyncCreativesRequest, SyncCreativesResponse, kPrincipal, true)                                        \
  X(ListCreatives, ListCreativesRequest, ListCreativesResponse, kPrincipal, false)                                       \
  X(ProvidePerformanceFeedback, ProvidePerformanceFeedbackRequest, ProvidePerformanceFeedbackResponse, kPrincipal, true) \
  X(SyncAccounts, SyncAccountsRequest, SyncAccountsResponse, kPrincipal, true)                                           \
  X(ListAccounts, ListAccountsRequest, ListAccountsResponse, kPrincipal, false)                                          \
  X(ComplyTestController, ComplyTestControllerRequest, ComplyTestControllerResponse, kPrincipal, true)                   \
  X(ListHumanTasks, ListHumanTasksRequest, ListHumanTasksResponse, kPrincipal, false)                                    \
  X(GetHumanTask, GetHumanTaskRequest, HumanTask, kPrincipal, false)                                                     \
  X(GetTask, GetTaskRequest, GetTaskResponse, kPrincipal, false)                                                         \
  X(ApproveHumanTask, ResolveHumanTaskRequest, HumanTask, kTenantAdmin, true)                                            \
  X(RejectHumanTask, ResolveHumanTaskRequest, HumanTask, kTenantAdmin, true)                                             \
  X(UpsertProduct, UpsertProductRequest, ProductDefinition, kTenantAdmin, true)                                          \
  X(ListWebhookDeliveries, ListWebhookDeliveriesRequest, ListWebhookDeliveriesResponse, kTenantAdmin, false)             \
  X(GetWebhookSigningKeys, GetWebhookSigningKeysRequest, GetWebhookSigningKeysResponse, kPrincipalOptional, false)
// clang-format on

class MediaBuyService final : public v1::MediaBuyService::Service {
 public:
  MediaBuyService(const CallGuard& guard, PgPool& pool, TenantLookup tenants,
                  const AdapterRegistry& adapters, AuditLog& audit,
                  ProductCache& products, AccountCache& accounts,
                  MediaBuyOptions options);

  static const ServicePolicy& Policy();

#define ADCP_RPC(Method, Request, Response, scope, audited)               \
  grpc::Status Method(grpc::ServerContext* context,                       \
                      const v1::Request* request, v1::Response* response) \
      override;
  ADCP_MEDIA_BUY_RPCS(ADCP_RPC)
#undef ADCP_RPC

 private:
  // Admits the call (CallGuard), makes its Call (tenant, request id, dry
  // run, ad-server session) and runs `task` with it; a failure is attached
  // as the AdCP error and, for a `mutating` method, audited.
  template <typename Task>
  grpc::Status Serve(grpc::ServerContext* context, const char* method,
                     bool mutating, Task&& task);

  const CallGuard& guard_;
  TenantLookup tenants_;
  AuditLog& audit_;
  const MediaBuyOptions options_;
  const FormatCatalog formats_;
  mutable TenantBulkhead bulkhead_;
  const TaskContext tasks_;
};

}  // namespace adcp::media_buy
