#include "services/media-buy/placement/placement.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/base/log.h"
#include "libs/base/status.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/placement/ad_server_errors.h"
#include "services/media-buy/placement/adapter_buy.h"
#include "services/media-buy/store/buy_store.h"
#include "services/media-buy/store/creative_store.h"

namespace adcp::media_buy {

Placement::Placement(const AdapterRegistry& adapters, const Clock& clock,
                     const CallContext& ctx, const tenant::v1::Tenant& tenant,
                     ConfigSource config, bool dry_run,
                     AdServerSession* session)
    : adapters_(adapters),
      clock_(clock),
      ctx_(ctx),
      tenant_(tenant),
      config_(std::move(config)),
      dry_run_(dry_run),
      session_(session) {}

absl::Status Placement::Reserve() const {
  return session_ ? session_->Reserve() : absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AdServerAdapter>> Placement::Adapter(
    const BuyRow& buy) const {
  nlohmann::json mappings =
      buy.adapter_state.value("principal_mappings", nlohmann::json::object());
  if (mappings.empty() && buy.principal_id == ctx_.principal_id)
    mappings = ctx_.platform_mappings;
  auto adapter = adapters_.GetAdapter(tenant_, config_(), buy.adapter,
                                      buy.principal_id, mappings, dry_run_);
  if (!adapter.ok()) {
    return AdcpError("SERVICE_UNAVAILABLE", "",
                     std::string(adapter.status().message()),
                     "the publisher must enable its ad server");
  }
  return GuardAdapter(*std::move(adapter), session_);
}

absl::Status Placement::PlaceOrder(BuyRow& buy) const {
  const AdapterBuy adapter_buy = ToAdapterBuy(ctx_.tenant_id, buy);
  CreatedOrder order{.order_id = buy.order_id,
                     .upstream = adapter_buy.upstream};
  for (const PackageRow& package : buy.packages) {
    if (!package.line_id.empty())
      order.line_ids[package.package_id] = package.line_id;
  }
  absl::Status placed;
  if (auto adapter = Adapter(buy); !adapter.ok()) {
    placed = adapter.status();
    order.failed_step = "open_adapter";
  } else {
    placed = (*adapter)->CreateMediaBuy(adapter_buy, order);
  }
  // What the ad server created is kept whatever happened, so that a retry
  // resumes from there.
  ApplyOrder(order, buy);
  for (const char* key : {"failed_step", "error", "failed_at"})
    buy.adapter_state.erase(key);
  if (placed.ok()) return absl::OkStatus();
  // Shown to the buyer (get_media_buys' ad_server_error): no ad-server
  // text, the request id under which it is logged.
  buy.adapter_state["failed_step"] = order.failed_step;
  buy.adapter_state["error"] = FailureNote(placed, ctx_.request_id);
  buy.adapter_state["failed_at"] = Rfc3339(clock_());
  log::Warn("the ad server does not have the whole media buy",
            {{"tenant_id", ctx_.tenant_id},
             {"media_buy_id", buy.media_buy_id},
             {"adapter", buy.adapter},
             {"failed_step", order.failed_step}});
  return AdServerError(placed, order.failed_step, buy.media_buy_id);
}

absl::Status Placement::PlaceStoredOrder(TenantTxn& txn, BuyRow& buy) const {
  const absl::Status result = PlaceOrder(buy);
  BuyStore::Update(txn, buy);
  buy.forced_status.clear();
  BuyStore::UpdatePackages(txn, buy.media_buy_id, buy.packages);
  return result;
}

void Placement::PushCreativesBestEffort(TenantTxn& txn,
                                        const std::string& media_buy_id) const {
  const absl::Status pushed = PushCreatives(txn, media_buy_id);
  if (!pushed.ok()) {
    log::Warn("creatives not sent to the ad server; the next sync retries",
              {{"tenant_id", ctx_.tenant_id},
               {"media_buy_id", media_buy_id},
               {"error", std::string(pushed.message())}});
  }
}

absl::Status Placement::PushCreatives(TenantTxn& txn,
                                      const std::string& media_buy_id) const {
  std::optional<BuyRow> buy =
      BuyStore::Find(txn, media_buy_id, {"", true}, false);
  // Only live orders take creatives.
  if (!buy || !Placed(*buy) || buy->status == "canceled" ||
      buy->status == "rejected" || clock_() >= buy->end_time)
    return absl::OkStatus();
  std::map<std::string, AdapterCreative> pending;
  std::map<std::string, CreativeRow> rows;
  for (const AssignmentRow& assignment :
       CreativeStore::AssignmentsOfBuy(txn, media_buy_id)) {
    auto creative =
        CreativeStore::Find(txn, buy->principal_id, assignment.creative_id);
    if (!creative || creative->status != "approved") continue;
    // Stored before URLs were checked, or seeded: never sent as it is.
    if (absl::Status urls = ValidateCreativeUrls("assets", creative->assets,
                                                 tenant_.config().sandbox());
        !urls.ok()) {
      log::Warn("creative not sent to the ad server: a URL is refused",
                {{"media_buy_id", media_buy_id},
                 {"creative_id", creative->creative_id},
                 {"error", std::string(urls.message())}});
      continue;
    }
    AdapterCreative& out = pending[creative->creative_id];
    out.creative_id = creative->creative_id;
    out.name = creative->name;
    out.format_id = creative->format_id;
    out.assets = creative->assets;
    out.platform_id = creative->platform_id;
    out.package_ids.push_back(assignment.package_id);
    rows[creative->creative_id] = *creative;
  }
  if (pending.empty()) return absl::OkStatus();
  std::vector<AdapterCreative> creatives;
  for (auto& [id, creative] : pending) creatives.push_back(std::move(creative));
  ASSIGN_OR_RETURN(auto adapter, Adapter(*buy));
  std::map<std::string, std::string> uploaded;
  const absl::Status pushed = adapter->AddCreatives(
      ToAdapterBuy(ctx_.tenant_id, *buy), creatives, uploaded);
  // The ids of what the ad server has are kept even when a later creative
  // failed (in the callers that commit anyway), so none is uploaded twice.
  for (const auto& [creative_id, platform_id] : uploaded) {
    auto row = rows.find(creative_id);
    if (row == rows.end() || row->second.platform_id == platform_id) continue;
    row->second.platform_id = platform_id;
    CreativeStore::Upsert(txn, row->second);
  }
  if (!pushed.ok()) {
    return AdServerFailure(
        pushed,
        absl::StrCat("media buy ", media_buy_id,
                     ": the ad server did not take the creatives"),
        "send sync_creatives again to retry");
  }
  return absl::OkStatus();
}

absl::Status Placement::SendUpdate(const BuyRow& buy,
                                   const AdapterUpdate& change) const {
  auto adapter = Adapter(buy);
  if (!adapter.ok()) return adapter.status();
  return (*adapter)->UpdateMediaBuy(ToAdapterBuy(ctx_.tenant_id, buy), change);
}

absl::Status Placement::ReadDelivery(
    const BuyRow& buy, absl::Time until, std::optional<absl::Time> from,
    std::map<std::string, PackageDeliveryReport>& reports) const {
  ASSIGN_OR_RETURN(auto adapter, Adapter(buy));
  const AdapterBuy adapter_buy = ToAdapterBuy(ctx_.tenant_id, buy);
  auto at_end = adapter->GetDelivery(adapter_buy, until);
  if (!at_end.ok())
    return AdServerFailure(at_end.status(),
                           absl::StrCat("media buy ", buy.media_buy_id,
                                        ": the ad server's report failed"),
                           "retry later");
  for (auto& line : at_end->packages) reports[line.package_id] = line;
  if (!from) return absl::OkStatus();
  auto at_start = adapter->GetDelivery(adapter_buy, *from);
  // Over the fan-out limit: an error, not lifetime numbers passed off as
  // the period's.
  if (!at_start.ok() && HasAdcpError(at_start.status()))
    return at_start.status();
  if (at_start.ok()) {
    for (const auto& line : at_start->packages) {
      auto& report = reports[line.package_id];
      report.impressions -= std::min(report.impressions, line.impressions);
      report.spend -= std::min(report.spend, line.spend);
      report.clicks -= std::min(report.clicks, line.clicks);
    }
  }
  return absl::OkStatus();
}

}  // namespace adcp::media_buy
