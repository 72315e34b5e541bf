// What every media-buy task is handed: the admitted request (Call) and the
// service's shared parts (TaskContext), made once by MediaBuyService.
// Tasks are free functions in adcp::media_buy::tasks, one file per task or
// family, each a Task<Request, Response>.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adcp/tenant/v1/tenant_registry.pb.h"
#include "libs/db/pg_pool.h"
#include "libs/tenancy/call_context.h"
#include "libs/tenancy/tenant_config.h"
#include "services/media-buy/adapters/adapter.h"
#include "services/media-buy/cache/account_cache.h"
#include "services/media-buy/cache/product_cache.h"
#include "services/media-buy/domain/formats.h"
#include "services/media-buy/domain/records.h"
#include "services/media-buy/placement/ad_server_limits.h"
#include "services/media-buy/placement/placement.h"

namespace adcp::media_buy {

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
  // The tenant's published webhook-signing keys ({"keys": [...]}): wired by
  // MediaBuyServer to WebhookKeys::Published (tasks/ do not include
  // webhooks/). Unset: nothing is published.
  std::function<absl::StatusOr<nlohmann::json>(const std::string& tenant_id)>
      webhook_jwks;
  // Seals a buyer's webhook secret (a Bearer token or HMAC secret) for the
  // tenant and the URL it is given for: wired by MediaBuyServer to
  // webhooks/push_secrets.h (the deployment's KEK). Unset (no KEK): the
  // legacy schemes are refused, as their secrets cannot be stored.
  std::function<absl::StatusOr<std::string>(const std::string& tenant_id,
                                            const std::string& url,
                                            const std::string& secret)>
      seal_push_secret;
};

// One admitted request: who calls, for which tenant, dry run or not.
struct Call {
  CallContext ctx;
  std::shared_ptr<const tenant::v1::Tenant> tenant;
  bool dry_run = false;
  // The request's use of its tenant's ad server (bulkhead slot, fan-out
  // count); shared by the copies of a Call.
  std::shared_ptr<AdServerSession> ad_server;
  // The tenant's config as a document, made once per call when asked for.
  const TenantConfigView& config() const {
    if (!config_view) config_view.emplace(tenant->config());
    return *config_view;
  }
  mutable std::optional<TenantConfigView> config_view;
  Reader reader() const { return {ctx.principal_id, ctx.is_admin}; }
  Reader buyer() const { return {ctx.principal_id, false}; }
  // This call, a dry run also when the request asks for one (its dry_run).
  Call DryRunIf(bool requested) const {
    Call out = *this;
    out.dry_run = dry_run || requested;
    return out;
  }
};

struct TaskContext {
  PgPool& pool;
  ProductCache& products;
  AccountCache& accounts;
  const AdapterRegistry& adapters;
  const MediaBuyOptions& options;
  const FormatCatalog& formats;

  // The call's door to its tenant's ad server (placement/placement.h); it
  // must not outlive `call`.
  Placement PlacementOf(const Call& call) const;

  // Runs `fn` in the call's tenant transaction; in a dry run the writes are
  // rolled back and the answer kept.
  absl::Status InTransaction(
      const Call& call,
      const std::function<absl::Status(TenantTxn&)>& fn) const;
};

namespace tasks {

// The signature of every task: it reads `request` for the admitted `call`,
// fills `response`, and returns the AdCP error of a failure. A header
// declares a task as `Task<Request, Response> Name;`.
template <typename Request, typename Response>
using Task = absl::Status(const TaskContext& context, const Call& call,
                          const Request& request, Response* response);

// One run of a task that keeps its request, answer and placement at hand
// while it goes through its steps (the classes of create_media_buy,
// update_media_buy, sync_creatives).
template <typename Request, typename Response>
class TaskRun {
 public:
  TaskRun(const TaskContext& context, const Call& call, const Request& request,
          Response* response)
      : context_(context),
        call_(call),
        placement_(context.PlacementOf(call)),
        request_(request),
        response_(response) {}

 protected:
  const TaskContext& context_;
  const Call& call_;
  const Placement placement_;
  const Request& request_;
  Response* response_;
};

}  // namespace tasks

}  // namespace adcp::media_buy
