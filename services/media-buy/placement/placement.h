// The only door from the tasks to the ad servers. A Placement is made per
// request (TaskContext::PlacementOf) and holds what an ad-server call needs
// of it: the tenant, the caller, dry_run, and the request's session (its
// slot of the tenant's bulkhead and its fan-out count, ad_server_limits.h).
// Every adapter it opens is guarded by that session.
#pragma once

#include <functional>
#include <map>
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
#include "services/media-buy/domain/records.h"
#include "services/media-buy/placement/ad_server_limits.h"

namespace adcp::media_buy {

class Placement {
 public:
  // The tenant's config as a document, made when an adapter is first
  // opened (most placements open none).
  using ConfigSource = std::function<const TenantConfigView&()>;

  // Everything given outlives the placement.
  Placement(const AdapterRegistry& adapters, const Clock& clock,
            const CallContext& ctx, const tenant::v1::Tenant& tenant,
            ConfigSource config, bool dry_run, AdServerSession* session);

  // Takes the request's bulkhead slot now, before a transaction is opened
  // (a request waiting for a slot then holds no database connection).
  absl::Status Reserve() const;

  // Sends the buy to its ad server, resuming from what earlier attempts
  // created, and records in `buy` what the ad server created whatever
  // happens (order, lines, adapter_state); writes nothing. On failure the
  // buy's adapter_state says which step failed and the returned AdCP error
  // what the ad server refused; the caller stores the buy and decides
  // whether to commit.
  absl::Status PlaceOrder(BuyRow& buy) const;
  // PlaceOrder for a buy already stored: saves what the ad server created.
  absl::Status PlaceStoredOrder(TenantTxn& txn, BuyRow& buy) const;

  // Hands the approved creatives assigned to a live buy's packages to its ad
  // server and records their platform ids.
  absl::Status PushCreatives(TenantTxn& txn,
                             const std::string& media_buy_id) const;
  // PushCreatives, logging a failure instead of failing the task (a later
  // sync_creatives sends them again).
  void PushCreativesBestEffort(TenantTxn& txn,
                               const std::string& media_buy_id) const;

  // Sends `change` of the buy to its ad server. Returns the adapter's own
  // failure (AdServerFailure makes the buyer's error of it); a buy whose ad
  // server cannot be opened is SERVICE_UNAVAILABLE.
  absl::Status SendUpdate(const BuyRow& buy, const AdapterUpdate& change) const;

  // The ad server's delivery of the buy's lines up to `until`, less what
  // they had delivered at `from` when given, into `reports` (by package).
  absl::Status ReadDelivery(
      const BuyRow& buy, absl::Time until, std::optional<absl::Time> from,
      std::map<std::string, PackageDeliveryReport>& reports) const;

 private:
  // The adapter of the buy's ad server, with the buyer's platform_mappings;
  // each of its operations takes the request's slot of the tenant's
  // bulkhead and counts against the request's fan-out limit.
  absl::StatusOr<std::unique_ptr<AdServerAdapter>> Adapter(
      const BuyRow& buy) const;

  const AdapterRegistry& adapters_;
  const Clock& clock_;
  const CallContext& ctx_;
  const tenant::v1::Tenant& tenant_;
  const ConfigSource config_;
  const bool dry_run_;
  AdServerSession* const session_;
};

}  // namespace adcp::media_buy
