#include "services/media-buy/tasks/media_buy_reads.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/base/status.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/buy_status.h"
#include "services/media-buy/domain/paging.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/placement/adapter_buy.h"
#include "services/media-buy/placement/pending_update.h"
#include "services/media-buy/store/account_store.h"
#include "services/media-buy/store/buy_store.h"
#include "services/media-buy/store/creative_store.h"
#include "services/media-buy/tasks/accounts.h"

namespace adcp::media_buy::tasks {

namespace pb = ::adcp::media_buy::v1;

namespace {

// Ids one get_media_buys / get_media_buy_delivery may name (AdCP states no
// maxItems; each id costs a query and, for delivery, ad-server reports).
constexpr int kMaxMediaBuyIds = 100;

// A status_filter: AdCP media-buy statuses.
absl::StatusOr<std::set<std::string>> StatusFilter(
    const google::protobuf::RepeatedPtrField<std::string>& values) {
  static const std::set<std::string> kStatuses = {
      "pending_creatives", "pending_start", "active",  "paused",
      "completed",         "rejected",      "canceled"};
  std::set<std::string> out;
  for (int i = 0; i < values.size(); ++i) {
    if (!kStatuses.count(values[i])) {
      return InvalidField(
          absl::StrCat("status_filter[", i, "]"),
          absl::StrCat("must be one of ", absl::StrJoin(kStatuses, ", ")));
    }
    out.insert(values[i]);
  }
  return out;
}

// The buys a request names by id, in the order named (each once);
// MEDIA_BUY_NOT_FOUND naming "media_buy_ids[i]" of the first unknown one.
template <typename Request>
absl::Status BuysNamed(TenantTxn& txn, const Call& call, const Request& request,
                       const std::vector<std::string>& ids,
                       std::vector<BuyRow>& buys) {
  for (const std::string& id : ids) {
    auto buy = BuyStore::Find(txn, id, call.reader(), false);
    if (!buy) {
      int i = 0;
      while (i < request.media_buy_ids_size() && request.media_buy_ids(i) != id)
        ++i;
      return MediaBuyNotFound(i < request.media_buy_ids_size()
                                  ? absl::StrCat("media_buy_ids[", i, "]")
                                  : std::string("media_buy_ids"));
    }
    buys.push_back(*std::move(buy));
  }
  return absl::OkStatus();
}

void SetAdServerError(const BuyRow& buy, pb::MediaBuy& out) {
  if (buy.adapter_state.contains("failed_step")) {
    out.set_ad_server_error(
        absl::StrCat(buy.adapter_state.value("failed_step", ""), ": ",
                     buy.adapter_state.value("error", "")));
  } else if (const nlohmann::json* pending = PendingUpdate(buy)) {
    out.set_ad_server_error(absl::StrCat(
        "update_media_buy:revision_", pending->value("revision", 0), ": ",
        pending->value("error",
                       std::string("sent to the ad server, not confirmed "
                                   "yet"))));
  }
}

// The buy's packages with the review state of their creatives.
void AddPackages(const BuyRow& buy,
                 const std::vector<AssignmentRow>& assignments,
                 pb::MediaBuy& out) {
  std::map<std::string, std::vector<const AssignmentRow*>> by_package;
  for (const AssignmentRow& assignment : assignments)
    by_package[assignment.package_id].push_back(&assignment);
  for (const PackageRow& row : buy.packages) {
    pb::Package* package = out.add_packages();
    *package = PackageToProto(row, buy.currency);
    for (const AssignmentRow* assignment : by_package[row.package_id]) {
      if (assignment->creative_status == "archived" ||
          assignment->creative_status == "processing")
        continue;
      pb::CreativeApproval* approval = package->add_creative_approvals();
      approval->set_creative_id(assignment->creative_id);
      approval->set_approval_status(assignment->creative_status);
      if (!assignment->rejection_reason.empty())
        approval->set_rejection_reason(assignment->rejection_reason);
    }
  }
}

// The buy as get_media_buys shows it.
pb::MediaBuy BuyToProto(TenantTxn& txn, const BuyRow& buy, absl::Time now) {
  pb::MediaBuy out;
  out.set_media_buy_id(buy.media_buy_id);
  const std::vector<AssignmentRow> assignments =
      CreativeStore::AssignmentsOfBuy(txn, buy.media_buy_id);
  const std::string status = AdcpStatus(buy, AnyApproved(assignments), now);
  out.set_status(status);
  out.set_currency(buy.currency);
  out.set_total_budget(NumberFromMicros(buy.total_budget));
  out.set_start_time(Rfc3339(buy.start_time));
  out.set_end_time(Rfc3339(buy.end_time));
  out.set_revision(buy.revision);
  out.set_created_at(Rfc3339(buy.created_at));
  out.set_updated_at(Rfc3339(buy.updated_at));
  if (!buy.order_id.empty()) out.set_confirmed_at(Rfc3339(buy.created_at));
  SetAdServerError(buy, out);
  for (const std::string& action : ValidActionsFor(buy, status))
    out.add_valid_actions(action);
  if (!buy.po_number.empty()) out.set_po_number(buy.po_number);
  if (!buy.account_id.empty()) {
    if (auto account = AccountStore::ById(txn, buy.account_id))
      *out.mutable_account() = AccountToProto(*account);
  }
  AddPackages(buy, assignments, out);
  return out;
}

// Sandbox: delivery simulated by the compliance test controller, on top of
// the ad server's, shared among the packages by budget.
void AddSimulatedDelivery(
    const BuyRow& buy, std::map<std::string, PackageDeliveryReport>& reports) {
  if (!buy.simulated_delivery.is_object() || buy.packages.empty() ||
      buy.total_budget <= 0)
    return;
  const nlohmann::json& simulated = buy.simulated_delivery;
  const int64_t impressions = simulated.value("impressions", int64_t{0});
  const int64_t clicks = simulated.value("clicks", int64_t{0});
  const Micros spend =
      MicrosFromDecimal(simulated.value("spend", std::string("0"))).value_or(0);
  int64_t given_impressions = 0, given_clicks = 0;
  Micros given_spend = 0;
  for (size_t i = 0; i < buy.packages.size(); ++i) {
    const PackageRow& package = buy.packages[i];
    PackageDeliveryReport& report = reports[package.package_id];
    const bool last = i + 1 == buy.packages.size();
    const double share = static_cast<double>(package.budget) /
                         static_cast<double>(buy.total_budget);
    auto part = [&](int64_t total, int64_t given) {
      return last ? total - given
                  : static_cast<int64_t>(static_cast<double>(total) * share);
    };
    const int64_t i_part = part(impressions, given_impressions);
    const int64_t c_part = part(clicks, given_clicks);
    const Micros s_part = part(spend, given_spend);
    report.package_id = package.package_id;
    report.impressions += i_part;
    report.clicks += c_part;
    report.spend += s_part;
    given_impressions += i_part;
    given_clicks += c_part;
    given_spend += s_part;
  }
}

// The period a delivery request asks for: [from, until), each optional.
struct DeliveryPeriod {
  std::optional<absl::Time> from, until;
};

absl::StatusOr<DeliveryPeriod> PeriodOf(
    const pb::GetMediaBuyDeliveryRequest& request) {
  DeliveryPeriod period;
  if (!request.start_date().empty()) {
    ASSIGN_OR_RETURN(period.from,
                     ParseDate("start_date", request.start_date()));
  }
  if (!request.end_date().empty()) {
    ASSIGN_OR_RETURN(absl::Time end, ParseDate("end_date", request.end_date()));
    period.until = end + absl::Hours(24);  // end_date is inclusive
  }
  if (period.from && period.until && *period.until <= *period.from)
    return InvalidField("end_date", "must not be before start_date");
  return period;
}

// Every buy of the caller, a page at a time.
std::vector<BuyRow> AllBuys(TenantTxn& txn, const Call& call) {
  std::vector<BuyRow> buys;
  std::string after;
  while (true) {
    std::vector<BuyRow> page =
        BuyStore::List(txn, call.buyer(), kMaxPageSize, after);
    for (BuyRow& buy : page) buys.push_back(std::move(buy));
    if (static_cast<int>(page.size()) < kMaxPageSize) break;
    after = buys.back().media_buy_id;
  }
  return buys;
}

// What the delivery of the buys adds up to.
struct DeliveryTotals {
  std::string currency;
  int64_t impressions = 0, clicks = 0;
  Micros spend = 0;
  int count = 0;
};

// One buy's lines and totals from its reports.
void AnswerDelivery(const BuyRow& buy,
                    std::map<std::string, PackageDeliveryReport>& reports,
                    pb::MediaBuyDelivery* delivery, DeliveryTotals& all) {
  int64_t impressions = 0, clicks = 0;
  Micros spend = 0;
  for (const PackageRow& package : buy.packages) {
    const PackageDeliveryReport& report = reports[package.package_id];
    pb::PackageDelivery* line = delivery->add_by_package();
    line->set_package_id(package.package_id);
    line->set_impressions(static_cast<double>(report.impressions));
    line->set_spend(NumberFromMicros(report.spend));
    line->set_clicks(static_cast<double>(report.clicks));
    line->set_pacing_index(report.pacing_index);
    line->set_pricing_model(package.pricing_model);
    line->set_rate(NumberFromMicros(package.rate.value_or(0)));
    line->set_currency(buy.currency);
    if (!report.delivery_status.empty())
      line->set_delivery_status(report.delivery_status);
    line->set_paused(package.paused || buy.status == "paused");
    impressions += report.impressions;
    clicks += report.clicks;
    spend += report.spend;
  }
  pb::DeliveryTotals* totals = delivery->mutable_totals();
  totals->set_impressions(static_cast<double>(impressions));
  totals->set_spend(NumberFromMicros(spend));
  totals->set_clicks(static_cast<double>(clicks));
  if (impressions > 0)
    totals->set_ctr(static_cast<double>(clicks) /
                    static_cast<double>(impressions));
  all.impressions += impressions;
  all.clicks += clicks;
  if (buy.currency == all.currency) all.spend += spend;
  ++all.count;
}

}  // namespace

bool HasLiveCreatives(TenantTxn& txn, const BuyRow& buy) {
  return AnyApproved(CreativeStore::AssignmentsOfBuy(txn, buy.media_buy_id));
}

absl::Status GetMediaBuys(const TaskContext& context, const Call& call,
                          const pb::GetMediaBuysRequest& request,
                          pb::GetMediaBuysResponse* response) {
  RETURN_IF_ERROR(CheckMajorVersion(request));
  ASSIGN_OR_RETURN(const int limit, PageSize(request.pagination()));
  ASSIGN_OR_RETURN(
      const std::vector<std::string> ids,
      DistinctIds("media_buy_ids", request.media_buy_ids(), kMaxMediaBuyIds));
  ASSIGN_OR_RETURN(const std::set<std::string> statuses,
                   StatusFilter(request.status_filter()));
  const absl::Time now = context.options.clock();
  return context.pool.WithTenantTransaction(
      call.ctx.tenant_id, [&](TenantTxn& txn) -> absl::Status {
        std::vector<BuyRow> buys;
        bool more = false;
        if (!ids.empty()) {
          RETURN_IF_ERROR(BuysNamed(txn, call, request, ids, buys));
        } else {
          buys = BuyStore::List(txn, call.buyer(), limit + 1,
                                request.pagination().cursor());
          more = static_cast<int>(buys.size()) > limit;
          if (more) buys.resize(static_cast<size_t>(limit));
        }
        for (const BuyRow& buy : buys) {
          pb::MediaBuy out = BuyToProto(txn, buy, now);
          if (!statuses.empty() && !statuses.count(out.status())) continue;
          *response->add_media_buys() = std::move(out);
        }
        response->mutable_pagination()->set_has_more(more);
        if (more)
          response->mutable_pagination()->set_cursor(buys.back().media_buy_id);
        *response->mutable_context() = request.context();
        return absl::OkStatus();
      });
}

absl::Status GetMediaBuyDelivery(const TaskContext& context, const Call& call,
                                 const pb::GetMediaBuyDeliveryRequest& request,
                                 pb::GetMediaBuyDeliveryResponse* response) {
  RETURN_IF_ERROR(CheckMajorVersion(request));
  const absl::Time now = context.options.clock();
  ASSIGN_OR_RETURN(const DeliveryPeriod period, PeriodOf(request));
  ASSIGN_OR_RETURN(const std::set<std::string> statuses,
                   StatusFilter(request.status_filter()));
  ASSIGN_OR_RETURN(
      const std::vector<std::string> ids,
      DistinctIds("media_buy_ids", request.media_buy_ids(), kMaxMediaBuyIds));
  std::vector<BuyRow> buys;
  std::map<std::string, std::string> status_of;
  RETURN_IF_ERROR(context.pool.WithTenantTransaction(
      call.ctx.tenant_id, [&](TenantTxn& txn) -> absl::Status {
        if (!ids.empty()) {
          RETURN_IF_ERROR(BuysNamed(txn, call, request, ids, buys));
        } else {
          buys = AllBuys(txn, call);
        }
        for (const BuyRow& buy : buys) {
          status_of[buy.media_buy_id] =
              AdcpStatus(buy, HasLiveCreatives(txn, buy), now);
        }
        return absl::OkStatus();
      }));
  const Placement placement = context.PlacementOf(call);
  const absl::Time period_end = std::min(now, period.until.value_or(now));
  absl::Time period_start = period.from.value_or(absl::InfiniteFuture());
  DeliveryTotals all;
  for (const BuyRow& buy : buys) {
    std::string status = status_of[buy.media_buy_id];
    if (!statuses.empty() && !statuses.count(status)) continue;
    if (!period.from) period_start = std::min(period_start, buy.start_time);
    if (all.currency.empty()) all.currency = buy.currency;
    pb::MediaBuyDelivery* delivery = response->add_media_buy_deliveries();
    delivery->set_media_buy_id(buy.media_buy_id);
    if (buy.status == "pending_approval") status = "pending";
    delivery->set_status(status);
    std::map<std::string, PackageDeliveryReport> reports;
    if (Placed(buy))
      RETURN_IF_ERROR(
          placement.ReadDelivery(buy, period_end, period.from, reports));
    if (call.tenant->config().sandbox()) AddSimulatedDelivery(buy, reports);
    AnswerDelivery(buy, reports, delivery, all);
  }
  if (period_start == absl::InfiniteFuture()) period_start = period_end;
  response->mutable_reporting_period()->set_start(Rfc3339(period_start));
  response->mutable_reporting_period()->set_end(Rfc3339(period_end));
  response->set_currency(all.currency.empty() ? "USD" : all.currency);
  *response->mutable_aggregated_totals() =
      JsonToStruct({{"impressions", all.impressions},
                    {"spend", NumberFromMicros(all.spend)},
                    {"clicks", all.clicks},
                    {"media_buy_count", all.count}});
  *response->mutable_context() = request.context();
  return absl::OkStatus();
}

}  // namespace adcp::media_buy::tasks
