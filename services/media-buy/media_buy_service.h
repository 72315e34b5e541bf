// The MediaBuy gRPC service: the AdCP media-buy tasks for the tenant in
// x-tenant-id and the principal of the bearer token, plus human tasks and
// catalogue management. Every handler body runs through the CallGuard under
// Policy(); a failed task answers its AdCP error in "adcp-error-bin".
#pragma once

#include <functional>
#include <memory>

#include "adcp/media_buy/v1/media_buy.grpc.pb.h"
#include "adcp/tenant/v1/tenant_registry.pb.h"
#include "libs/db/pg_pool.h"
#include "libs/tenancy/audit_log.h"
#include "libs/tenancy/call_context.h"
#include "libs/tenancy/guard.h"
#include "services/media-buy/adapters/adapter.h"
#include "services/media-buy/cache/account_cache.h"
#include "services/media-buy/cache/product_cache.h"
#include "services/media-buy/domain/formats.h"
#include "services/media-buy/placement/ad_server_limits.h"
#include "services/media-buy/store/store.h"

namespace adcp::media_buy {

// Metadata that asks for a dry run: the adapter records what it would do and
// the task's writes are rolled back.
inline constexpr char kDryRunKey[] = "x-adcp-dry-run";

using TenantLookup = std::function<std::shared_ptr<const tenant::v1::Tenant>(
    const std::string& tenant_id)>;

struct MediaBuyOptions {
  Clock clock = [] { return absl::Now(); };
  std::string format_agent_url = kStandardFormatAgent;
  // Publisher domain of a tenant with neither publisher_domains nor a
  // virtual host: "<subdomain>.<publisher_base_domain>".
  std::string publisher_base_domain = "sales-agent.example.com";
  absl::Duration idempotency_ttl = absl::Hours(24);
  bool dry_run = false;  // every call, as if x-adcp-dry-run were sent
  // Start times this far in the past are still accepted (clock skew).
  absl::Duration start_grace = absl::Minutes(5);
  // The per-tenant bulkhead and the fan-out limit (ad_server_limits.h).
  AdServerLimits ad_server_limits;
};

class MediaBuyService final : public v1::MediaBuyService::Service {
 public:
  MediaBuyService(const CallGuard& guard, PgPool& pool, TenantLookup tenants,
                  const AdapterRegistry& adapters, AuditLog& audit,
                  ProductCache& products, AccountCache& accounts,
                  MediaBuyOptions options);

  static const ServicePolicy& Policy();

#define ADCP_RPC(Method, Request, Response)                               \
  grpc::Status Method(grpc::ServerContext* context,                       \
                      const v1::Request* request, v1::Response* response) \
      override;
  ADCP_RPC(GetAdcpCapabilities, GetAdcpCapabilitiesRequest,
           GetAdcpCapabilitiesResponse)
  ADCP_RPC(GetProducts, GetProductsRequest, GetProductsResponse)
  ADCP_RPC(ListCreativeFormats, ListCreativeFormatsRequest,
           ListCreativeFormatsResponse)
  ADCP_RPC(CreateMediaBuy, CreateMediaBuyRequest, CreateMediaBuyResponse)
  ADCP_RPC(UpdateMediaBuy, UpdateMediaBuyRequest, UpdateMediaBuyResponse)
  ADCP_RPC(GetMediaBuys, GetMediaBuysRequest, GetMediaBuysResponse)
  ADCP_RPC(GetMediaBuyDelivery, GetMediaBuyDeliveryRequest,
           GetMediaBuyDeliveryResponse)
  ADCP_RPC(SyncCreatives, SyncCreativesRequest, SyncCreativesResponse)
  ADCP_RPC(ListCreatives, ListCreativesRequest, ListCreativesResponse)
  ADCP_RPC(ProvidePerformanceFeedback, ProvidePerformanceFeedbackRequest,
           ProvidePerformanceFeedbackResponse)
  ADCP_RPC(SyncAccounts, SyncAccountsRequest, SyncAccountsResponse)
  ADCP_RPC(ListAccounts, ListAccountsRequest, ListAccountsResponse)
  ADCP_RPC(ComplyTestController, ComplyTestControllerRequest,
           ComplyTestControllerResponse)
  ADCP_RPC(ListHumanTasks, ListHumanTasksRequest, ListHumanTasksResponse)
  ADCP_RPC(GetHumanTask, GetHumanTaskRequest, HumanTask)
  ADCP_RPC(ApproveHumanTask, ResolveHumanTaskRequest, HumanTask)
  ADCP_RPC(RejectHumanTask, ResolveHumanTaskRequest, HumanTask)
  ADCP_RPC(UpsertProduct, UpsertProductRequest, ProductDefinition)
#undef ADCP_RPC

 private:
  struct Call;
  template <typename Body>
  grpc::Status Serve(grpc::ServerContext* context, const char* method,
                     bool mutating, Body&& body);
  // Runs `fn` in the call's tenant transaction; in a dry run the writes are
  // rolled back and the answer kept.
  absl::Status InTransaction(
      const Call& call, const std::function<absl::Status(pqxx::work&)>& fn);
  // InTransaction for a task with an idempotency_key: claims the key, replays
  // the stored answer of the same request, refuses a different one under the
  // same key (IDEMPOTENCY_CONFLICT), else runs `body` and stores its answer.
  // The request's context is echoed either way.
  // `on_replay`, when given, runs in the transaction of a replayed answer
  // before it is returned (create_media_buy resumes a placement there).
  // `audit`, when `body` fills it, is written with the stored answer in one
  // statement.
  template <typename Request, typename Response>
  absl::Status Idempotently(
      const Call& call, const char* operation, const Request& request,
      Response* response, const std::function<absl::Status(pqxx::work&)>& body,
      const std::function<absl::Status(pqxx::work&)>& on_replay = nullptr,
      std::optional<AuditEntry>* audit = nullptr);
  // The adapter of the buy's ad server, with the buyer's platform_mappings;
  // each of its operations takes the request's slot of the tenant's
  // bulkhead and counts against the request's fan-out limit.
  absl::StatusOr<std::unique_ptr<AdServerAdapter>> Adapter(
      const Call& call, const BuyRow& buy) const;
  // Takes the request's bulkhead slot now, before a transaction is opened
  // (a request waiting for a slot then holds no database connection).
  absl::Status ReserveAdServer(const Call& call) const;
  // update_media_buy's second half: sends the change recorded in the buy's
  // adapter_state.pending_update under `idempotency_key` to the ad server
  // and, once it took it, clears the record (see UpdateMediaBuy).
  absl::Status CompleteUpdate(const Call& call, const std::string& media_buy_id,
                              const std::string& idempotency_key);
  // account_id of an account reference (a new natural key opens one).
  // `known`: the tenant's cached accounts, read before the transaction; an
  // account not among them is read in the transaction.
  absl::StatusOr<std::string> ResolveAccount(
      pqxx::work& txn, const Call& call, const v1::AccountRef& ref,
      const TenantAccounts* known = nullptr);
  // Sends the buy to its ad server, resuming from what earlier attempts
  // created, and records in `buy` what the ad server created whatever
  // happens (order, lines, adapter_state); writes nothing. On failure the
  // buy's adapter_state says which step failed and the returned AdCP error
  // what the ad server refused; the caller stores the buy and decides
  // whether to commit.
  absl::Status PlaceOrder(const Call& call, BuyRow& buy);
  // PlaceOrder for a buy already stored: saves what the ad server created.
  absl::Status PlaceStoredOrder(pqxx::work& txn, const Call& call, BuyRow& buy);
  // PushCreatives, logging a failure instead of failing the task (a later
  // sync_creatives sends them again).
  void PushCreativesBestEffort(pqxx::work& txn, const Call& call,
                               const std::string& media_buy_id);
  // Hands the approved creatives assigned to a live buy's packages to its ad
  // server and records their platform ids.
  absl::Status PushCreatives(pqxx::work& txn, const Call& call,
                             const std::string& media_buy_id);
  // An account reference valid for the caller (an account_id of its own,
  // or a well-formed brand + operator), opening nothing. Returns the account
  // an account_id names (read once), nullopt for a natural key.
  absl::StatusOr<std::optional<AccountRow>> CheckAccountRef(
      pqxx::work& txn, const Call& call, const v1::AccountRef& ref);
  absl::Status ResolveTask(const Call& call,
                           const v1::ResolveHumanTaskRequest& request,
                           bool approve, v1::HumanTask* response);

  const CallGuard& guard_;
  PgPool& pool_;
  ProductCache& products_;
  AccountCache& accounts_;
  TenantLookup tenants_;
  const AdapterRegistry& adapters_;
  AuditLog& audit_;
  const MediaBuyOptions options_;
  const FormatCatalog formats_;
  mutable TenantBulkhead bulkhead_;
};

}  // namespace adcp::media_buy
