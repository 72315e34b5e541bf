#include "services/media-buy/tasks/update_media_buy.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/base/status.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/buy_status.h"
#include "services/media-buy/domain/buy_terms.h"
#include "services/media-buy/domain/product_view.h"
#include "services/media-buy/domain/push_notification.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/placement/ad_server_errors.h"
#include "services/media-buy/placement/adapter_buy.h"
#include "services/media-buy/placement/pending_update.h"
#include "services/media-buy/store/audit_store.h"
#include "services/media-buy/store/buy_store.h"
#include "services/media-buy/store/creative_store.h"
#include "services/media-buy/store/human_task_store.h"
#include "services/media-buy/store/product_store.h"
#include "services/media-buy/tasks/accounts.h"
#include "services/media-buy/tasks/idempotency.h"
#include "services/media-buy/tasks/media_buy_reads.h"

namespace adcp::media_buy::tasks {

namespace pb = ::adcp::media_buy::v1;

namespace {

// An amount of a pricing option (fixed_price, floor_price, ...), if set.
absl::StatusOr<std::optional<Micros>> OptionAmount(const nlohmann::json& option,
                                                   const char* key) {
  if (!option.contains(key) || !option[key].is_number()) return std::nullopt;
  ASSIGN_OR_RETURN(Micros amount,
                   MicrosFromNumber(key, option[key].get<double>()));
  return std::optional<Micros>(amount);
}

// A package update keeps to its pricing option's floor price and minimum
// spend, as create_media_buy does.
absl::Status CheckPricingFloor(TenantTxn& txn, const std::string& field,
                               const PackageRow& package,
                               const pb::PackageUpdate& update) {
  if (!update.has_budget() && !update.has_bid_price()) return absl::OkStatus();
  for (const ProductRow& product : ProductStore::List(txn, Reader{"", true})) {
    if (product.product_id != package.product_id) continue;
    const nlohmann::json* option =
        FindPricingOption(product, package.pricing_option_id);
    if (option == nullptr) break;
    const std::string currency = option->value("currency", "");
    ASSIGN_OR_RETURN(auto min_spend,
                     OptionAmount(*option, "min_spend_per_package"));
    if (update.has_budget() && min_spend && package.budget < *min_spend)
      return BudgetTooLow(field, *min_spend, currency);
    ASSIGN_OR_RETURN(auto floor, OptionAmount(*option, "floor_price"));
    if (update.has_bid_price() && floor && package.bid_price &&
        *package.bid_price < *floor)
      return BelowFloorPrice(field, *floor, currency);
    break;
  }
  return absl::OkStatus();
}

absl::Status CheckPackageUpdate(const pb::PackageUpdate& update,
                                const std::string& field) {
  if (update.creative_assignments_size() > kMaxCreativeAssignmentsPerPackage)
    return InvalidField(
        field + ".creative_assignments",
        absl::StrCat("must contain at most ", kMaxCreativeAssignmentsPerPackage,
                     " creatives"));
  if (update.has_budget()) {
    ASSIGN_OR_RETURN(Micros budget,
                     MicrosFromNumber(field + ".budget", update.budget()));
    if (budget <= 0) return InvalidField(field + ".budget", "must be > 0");
  }
  RETURN_IF_ERROR(ValidatePacing(field + ".pacing", update.pacing()));
  if (update.has_bid_price()) {
    ASSIGN_OR_RETURN(
        Micros bid, MicrosFromNumber(field + ".bid_price", update.bid_price()));
    if (bid <= 0) return InvalidField(field + ".bid_price", "must be > 0");
  }
  if (update.has_impressions())
    RETURN_IF_ERROR(
        ValidateImpressions(field + ".impressions", update.impressions()));
  return absl::OkStatus();
}

absl::Status CheckPackageUpdates(const pb::UpdateMediaBuyRequest& request) {
  if (request.packages_size() > kMaxPackages)
    return InvalidField("packages",
                        absl::StrCat("must contain at most ", kMaxPackages,
                                     " package changes"));
  std::map<std::string, int> package_index;
  for (int i = 0; i < request.packages_size(); ++i) {
    const pb::PackageUpdate& update = request.packages(i);
    const std::string field = absl::StrCat("packages[", i, "]");
    RETURN_IF_ERROR(ValidateId(field + ".package_id", update.package_id()));
    if (auto [at, fresh] = package_index.emplace(update.package_id(), i);
        !fresh)
      return InvalidField(field + ".package_id",
                          absl::StrCat("repeats packages[", at->second,
                                       "]; change each package once"));
    RETURN_IF_ERROR(CheckPackageUpdate(update, field));
  }
  return absl::OkStatus();
}

bool Terminal(const std::string& status) {
  return status == "completed" || status == "rejected" || status == "canceled";
}

// The second half (see update_media_buy.h): sends the change recorded in
// the buy's adapter_state.pending_update under `idempotency_key` to the ad
// server and, once it took it, clears the record.
absl::Status CompleteUpdate(const TaskContext& context, const Call& call,
                            const Placement& placement,
                            const std::string& media_buy_id,
                            const std::string& idempotency_key) {
  const Reader any{"", true};
  std::optional<BuyRow> buy;
  RETURN_IF_ERROR(context.pool.WithTenantTransaction(
      call.ctx.tenant_id, [&](TenantTxn& txn) {
        buy = BuyStore::Find(txn, media_buy_id, any, false);
        return absl::OkStatus();
      }));
  // Completed meanwhile (a concurrent retry of the same request).
  if (!buy || PendingUpdateKey(*buy) != idempotency_key)
    return absl::OkStatus();
  // Outside any transaction: a slow ad server holds no database connection.
  // The change is absolute (flags, dates, budgets as stored), so sending it
  // again after a failure or a crash is harmless.
  const absl::Status applied = placement.SendUpdate(
      *buy, ChangeOfRecord(buy->adapter_state["pending_update"], *buy));
  const absl::Status failure =
      applied.ok()
          ? absl::OkStatus()
          : AdServerFailure(
                applied,
                absl::StrCat("media buy ", media_buy_id,
                             ": the ad server did not take the update"),
                "the update is recorded and the media buy shows it; send "
                "the same request again (same idempotency_key) to complete "
                "it on the ad server, or cancel the buy");
  RETURN_IF_ERROR(context.pool.WithTenantTransaction(
      call.ctx.tenant_id, [&](TenantTxn& txn) {
        auto locked = BuyStore::Find(txn, media_buy_id, any,
                                     /*for_update=*/true);
        if (!locked || PendingUpdateKey(*locked) != idempotency_key)
          return absl::OkStatus();
        if (applied.ok()) {
          locked->adapter_state.erase("pending_update");
        } else {
          nlohmann::json& record = locked->adapter_state["pending_update"];
          record["error"] = FailureNote(applied, call.ctx.request_id);
          record["failed_at"] = Rfc3339(context.options.clock());
        }
        BuyStore::SetAdapterState(txn, media_buy_id, locked->adapter_state);
        return absl::OkStatus();
      }));
  return failure;
}

// One update_media_buy request: checked (Check), then applied in the
// idempotent transaction (Update) and sent to the ad server after it.
class BuyUpdate
    : public TaskRun<pb::UpdateMediaBuyRequest, pb::UpdateMediaBuyResponse> {
 public:
  using TaskRun::TaskRun;

  absl::Status Run();

 private:
  // What can be checked before the transaction.
  absl::Status Check();
  absl::Status CheckFlight();
  absl::Status Update(TenantTxn& txn);
  absl::Status CheckRevisionAndState(TenantTxn& txn, BuyRow& buy);
  absl::Status Cancel(TenantTxn& txn, BuyRow& buy);
  absl::Status Pause(BuyRow& buy);
  absl::Status Reschedule(BuyRow& buy);
  absl::Status ChangePackages(TenantTxn& txn, BuyRow& buy);
  absl::Status ChangePackage(TenantTxn& txn, const BuyRow& buy, int i,
                             PackageRow& package);
  absl::Status SettleTotalBudget(BuyRow& buy) const;
  absl::Status CheckNothingPending(const BuyRow& buy) const;
  absl::Status TellAdServer(BuyRow& buy);
  void Answer(TenantTxn& txn, const BuyRow& buy);

  absl::Time now_;
  std::optional<absl::Time> new_start_, new_end_;
  // Whether a change recorded under this request's key still has to reach
  // the ad server once the transaction is committed.
  bool send_upstream_ = false;
  // What the update changes, as the ad server is told it, and as audited.
  AdapterUpdate change_;
  nlohmann::json details_;
  std::vector<PackageRow*> changed_;
  bool budget_changed_ = false;
  bool assigned_ = false;
};

absl::Status BuyUpdate::CheckFlight() {
  if (!request_.start_time().empty()) {
    if (request_.start_time() == "asap") {
      new_start_ = now_;
    } else {
      ASSIGN_OR_RETURN(new_start_,
                       ParseTime("start_time", request_.start_time()));
    }
  }
  if (!request_.end_time().empty()) {
    ASSIGN_OR_RETURN(new_end_, ParseTime("end_time", request_.end_time()));
    if (*new_end_ <= now_)
      return InvalidField("end_time", "must be in the future");
  }
  // The flight rules of create_media_buy (a longer flight would also thin
  // out max_daily_budget).
  if (new_end_ && *new_end_ > now_ + kMaxFlightAhead)
    return InvalidField("end_time", "must be within 5 years from now");
  if (new_start_ && *new_start_ > now_ + kMaxFlightAhead)
    return InvalidField("start_time", "must be within 5 years from now");
  return absl::OkStatus();
}

absl::Status BuyUpdate::Check() {
  RETURN_IF_ERROR(CheckMajorVersion(request_));
  RETURN_IF_ERROR(ValidateIdempotencyKey(request_.idempotency_key()));
  // Accepted and checked; an update is final in its answer (the ad server
  // takes it inline or it is refused), so nothing is pushed for it.
  RETURN_IF_ERROR(PushTargetOf(request_).status());
  RETURN_IF_ERROR(ValidateId("media_buy_id", request_.media_buy_id()));
  if (!request_.has_account()) return InvalidField("account", "is required");
  now_ = context_.options.clock();
  RETURN_IF_ERROR(CheckFlight());
  if (request_.has_paused() && request_.canceled())
    return InvalidField("paused", "cannot be combined with canceled");
  return CheckPackageUpdates(request_);
}

absl::Status BuyUpdate::Run() {
  RETURN_IF_ERROR(Check());
  // The ad server may be called: wait for the tenant's slot before the
  // transaction takes a database connection.
  RETURN_IF_ERROR(placement_.Reserve());
  auto replay = [&](TenantTxn& txn) -> absl::Status {
    auto buy =
        BuyStore::Find(txn, request_.media_buy_id(), call_.reader(), false);
    send_upstream_ =
        buy && PendingUpdateKey(*buy) == request_.idempotency_key();
    return absl::OkStatus();
  };
  const absl::Status updated = Idempotently(
      context_, call_, "update_media_buy", request_, response_,
      [&](TenantTxn& txn) { return Update(txn); }, replay);
  if (!updated.ok() || !send_upstream_) return updated;
  return CompleteUpdate(context_, call_, placement_, request_.media_buy_id(),
                        request_.idempotency_key());
}

// Marks a buy seen live as such (went_live): it stays out of the pending
// states from then on.
absl::Status BuyUpdate::CheckRevisionAndState(TenantTxn& txn, BuyRow& buy) {
  // The account reference must be valid for the caller (the buy itself is
  // the buyer's; AdCP sends the account for routing).
  RETURN_IF_ERROR(CheckAccountRef(txn, call_, request_.account()).status());
  if (request_.has_revision() && request_.revision() != buy.revision) {
    return AdcpError("CONFLICT", "revision",
                     absl::StrCat("revision: the media buy is at revision ",
                                  buy.revision, ", not ", request_.revision()),
                     "read it again with get_media_buys and retry");
  }
  const std::string before = AdcpStatus(buy, HasLiveCreatives(txn, buy), now_);
  if (request_.canceled() && Terminal(before)) {
    return AdcpError("NOT_CANCELLABLE", "canceled",
                     absl::StrCat("canceled: the media buy is ", before,
                                  " and cannot be canceled"));
  }
  if (Terminal(before)) {
    return AdcpError("INVALID_STATE", "media_buy_id",
                     absl::StrCat("media_buy_id: the media buy is ", before,
                                  " and cannot change"));
  }
  if (before == "active" || before == "paused") buy.went_live = true;
  return absl::OkStatus();
}

absl::Status BuyUpdate::Cancel(TenantTxn& txn, BuyRow& buy) {
  buy.status = "canceled";
  change_.paused = true;
  details_["canceled"] = true;
  if (request_.cancellation_reason().size() > 2000)
    return InvalidField("cancellation_reason",
                        "must be at most 2000 characters");
  if (!request_.cancellation_reason().empty())
    buy.rejection_reason = request_.cancellation_reason();
  // Nobody needs to approve a canceled buy any more.
  HumanTaskStore::FailOpenOfBuy(txn, buy.media_buy_id,
                                "the buyer canceled the media buy");
  return absl::OkStatus();
}

absl::Status BuyUpdate::Pause(BuyRow& buy) {
  if (buy.status == "pending_approval") {
    return AdcpError("INVALID_STATE", "paused",
                     "paused: the media buy awaits the publisher's approval "
                     "and is not running yet");
  }
  // A sandbox's forced status is what the buyer sees.
  const bool is_paused = buy.forced_status.empty()
                             ? buy.status == "paused"
                             : buy.forced_status == "paused";
  if (request_.paused() && is_paused)
    return AdcpError("INVALID_STATE", "paused",
                     "paused: the media buy is already paused");
  if (!request_.paused() && !is_paused)
    return AdcpError("INVALID_STATE", "paused",
                     "paused: the media buy is not paused");
  buy.status = request_.paused() ? "paused" : "active";
  buy.went_live = true;
  buy.paused_at =
      request_.paused() ? std::optional<absl::Time>(now_) : std::nullopt;
  change_.paused = request_.paused();
  details_["paused"] = request_.paused();
  return absl::OkStatus();
}

absl::Status BuyUpdate::Reschedule(BuyRow& buy) {
  const absl::Time start = new_start_.value_or(buy.start_time);
  const absl::Time end = new_end_.value_or(buy.end_time);
  if (new_start_ && *new_start_ != buy.start_time && buy.start_time <= now_ &&
      buy.status != "pending_approval")
    return InvalidField("start_time",
                        "cannot change once the flight has started");
  if (new_start_ && *new_start_ < now_ - context_.options.start_grace)
    return InvalidField("start_time", "must not be in the past");
  if (end <= start) return InvalidField("end_time", "must be after start_time");
  buy.start_time = start;
  buy.end_time = end;
  if (new_start_) change_.start_time = start;
  if (new_end_) change_.end_time = end;
  details_["start_time"] = Rfc3339(start);
  details_["end_time"] = Rfc3339(end);
  return absl::OkStatus();
}

absl::Status BuyUpdate::ChangePackage(TenantTxn& txn, const BuyRow& buy, int i,
                                      PackageRow& package) {
  const pb::PackageUpdate& update = request_.packages(i);
  const std::string field = absl::StrCat("packages[", i, "]");
  if (update.has_budget())
    package.budget = *MicrosFromNumber(field + ".budget", update.budget());
  budget_changed_ |= update.has_budget();
  if (update.has_paused()) package.paused = update.paused();
  if (update.canceled()) package.paused = true;
  if (!update.pacing().empty()) package.pacing = update.pacing();
  if (update.has_bid_price()) {
    if (!package.bid_price)
      return InvalidField(field + ".bid_price",
                          "applies only to auction-priced packages");
    package.bid_price =
        *MicrosFromNumber(field + ".bid_price", update.bid_price());
    package.rate = package.bid_price;
  }
  RETURN_IF_ERROR(CheckPricingFloor(txn, field, package, update));
  if (update.has_impressions())
    package.impressions = static_cast<int64_t>(update.impressions());
  if (update.has_targeting_overlay())
    package.targeting_overlay = StructToJson(update.targeting_overlay());
  for (int c = 0; c < update.creative_assignments_size(); ++c) {
    const std::string& creative_id =
        update.creative_assignments(c).creative_id();
    if (!CreativeStore::Find(txn, buy.principal_id, creative_id)) {
      const std::string cfield =
          absl::StrCat(field, ".creative_assignments[", c, "].creative_id");
      return AdcpError(
          "CREATIVE_NOT_FOUND", cfield,
          absl::StrCat(cfield, ": no creative '", creative_id, "'"));
    }
    CreativeStore::Assign(txn, buy.principal_id, creative_id,
                          package.package_id);
    assigned_ = true;
  }
  return absl::OkStatus();
}

absl::Status BuyUpdate::ChangePackages(TenantTxn& txn, BuyRow& buy) {
  for (int i = 0; i < request_.packages_size(); ++i) {
    const pb::PackageUpdate& update = request_.packages(i);
    auto it = std::find_if(buy.packages.begin(), buy.packages.end(),
                           [&](const PackageRow& p) {
                             return p.package_id == update.package_id();
                           });
    if (it == buy.packages.end()) {
      const std::string field = absl::StrCat("packages[", i, "]");
      return AdcpError(
          "PACKAGE_NOT_FOUND", field + ".package_id",
          absl::StrCat(field, ".package_id: no package '", update.package_id(),
                       "' in this media buy"));
    }
    RETURN_IF_ERROR(ChangePackage(txn, buy, i, *it));
    changed_.push_back(&*it);
  }
  return absl::OkStatus();
}

absl::Status BuyUpdate::SettleTotalBudget(BuyRow& buy) const {
  Micros sum = 0;
  for (const PackageRow& package : buy.packages) sum += package.budget;
  if (request_.has_total_budget()) {
    if (request_.total_budget().currency() != buy.currency)
      return InvalidField("total_budget.currency",
                          absl::StrCat("must be ", buy.currency));
    ASSIGN_OR_RETURN(buy.total_budget,
                     MicrosFromNumber("total_budget.amount",
                                      request_.total_budget().amount()));
    if (buy.total_budget <= 0)
      return InvalidField("total_budget.amount", "must be > 0");
  } else if (sum > buy.total_budget) {
    buy.total_budget = sum;
  }
  const char* field =
      request_.has_total_budget() ? "total_budget.amount" : "packages";
  if (buy.total_budget < sum) {
    return InvalidField(
        field, absl::StrCat("the package budgets (", DisplayAmount(sum),
                            ") exceed the total budget (",
                            DisplayAmount(buy.total_budget), ")"));
  }
  // The limit applies to what changes money or days: pausing or canceling
  // stays possible after the publisher lowers it.
  if (budget_changed_ || new_start_ || new_end_) {
    RETURN_IF_ERROR(CheckDailyBudget(
        *call_.tenant,
        request_.has_total_budget() ? "total_budget" : "packages",
        buy.total_budget, buy.currency, buy.start_time, buy.end_time));
  }
  return absl::OkStatus();
}

absl::Status BuyUpdate::CheckNothingPending(const BuyRow& buy) const {
  if (request_.canceled()) return absl::OkStatus();
  if (buy.adapter_state.contains("failed_step")) {
    // The ad server would be told half a change of half a buy.
    return AdcpError(
        "INVALID_STATE", "media_buy_id",
        absl::StrCat("media_buy_id: the ad server does not have the whole "
                     "media buy yet (step ",
                     buy.adapter_state.value("failed_step", ""), " failed)"),
        "send the create_media_buy request again (same idempotency_key) to "
        "resume, or cancel the buy");
  }
  const nlohmann::json* pending = PendingUpdate(buy);
  if (pending == nullptr) return absl::OkStatus();
  if (!pending->contains("error") &&
      now_ - ParseTime("recorded_at", pending->value("recorded_at", ""))
                  .value_or(absl::InfinitePast()) <
          kPendingUpdateInFlight) {
    // Another request is telling the ad server right now.
    return AdcpError("CONFLICT", "media_buy_id",
                     "media_buy_id: another update of this media buy is "
                     "being sent to the ad server",
                     "retry shortly");
  }
  // A change on top of one the ad server may have only half of would make
  // the two disagree for good.
  return AdcpError(
      "INVALID_STATE", "media_buy_id",
      absl::StrCat("media_buy_id: the ad server has not confirmed the update "
                   "to revision ",
                   pending->value("revision", 0), " yet"),
      "send that update_media_buy again (same idempotency_key) to complete "
      "it, or cancel the buy");
}

// A dry run sends the change now (the adapter logs what it would send;
// nothing is kept); otherwise the change is recorded with the new state and
// sent after the commit (update_media_buy.h).
absl::Status BuyUpdate::TellAdServer(BuyRow& buy) {
  if (!Placed(buy)) return absl::OkStatus();
  if (call_.dry_run) {
    const absl::Status applied = placement_.SendUpdate(buy, change_);
    if (!applied.ok())
      return AdServerFailure(
          applied,
          absl::StrCat("media buy ", buy.media_buy_id,
                       ": the ad server did not take the update"),
          "retry later");
    return absl::OkStatus();
  }
  nlohmann::json record = RecordOfChange(change_, PendingUpdate(buy));
  record["idempotency_key"] = request_.idempotency_key();
  record["revision"] = buy.revision + 1;
  record["recorded_at"] = Rfc3339(now_);
  buy.adapter_state["pending_update"] = std::move(record);
  send_upstream_ = true;
  return absl::OkStatus();
}

void BuyUpdate::Answer(TenantTxn& txn, const BuyRow& buy) {
  const std::string status = AdcpStatus(buy, HasLiveCreatives(txn, buy), now_);
  response_->set_media_buy_id(buy.media_buy_id);
  response_->set_status(status);
  response_->set_revision(buy.revision);
  response_->set_implementation_date(Rfc3339(now_));
  for (const std::string& action : ValidActionsFor(buy, status))
    response_->add_valid_actions(action);
  for (PackageRow* package : changed_)
    *response_->add_affected_packages() =
        PackageToProto(*package, buy.currency);
}

absl::Status BuyUpdate::Update(TenantTxn& txn) {
  std::optional<BuyRow> found = BuyStore::Find(
      txn, request_.media_buy_id(), call_.reader(), /*for_update=*/true);
  if (!found) return MediaBuyNotFound("media_buy_id");
  BuyRow buy = *std::move(found);
  RETURN_IF_ERROR(CheckRevisionAndState(txn, buy));
  details_ = {{"media_buy_id", buy.media_buy_id}};
  if (request_.canceled()) RETURN_IF_ERROR(Cancel(txn, buy));
  if (request_.has_paused()) RETURN_IF_ERROR(Pause(buy));
  if (new_start_ || new_end_) RETURN_IF_ERROR(Reschedule(buy));
  budget_changed_ = request_.has_total_budget();
  RETURN_IF_ERROR(ChangePackages(txn, buy));
  RETURN_IF_ERROR(SettleTotalBudget(buy));
  for (PackageRow* package : changed_)
    change_.packages.push_back(ToAdapterPackage(*package));
  RETURN_IF_ERROR(CheckNothingPending(buy));
  RETURN_IF_ERROR(TellAdServer(buy));
  buy.revision += 1;
  BuyStore::Update(txn, buy);
  buy.forced_status.clear();  // the update clears it
  for (PackageRow* package : changed_) BuyStore::UpdatePackage(txn, *package);
  if (assigned_ && Placed(buy))
    placement_.PushCreativesBestEffort(txn, buy.media_buy_id);
  details_["revision"] = buy.revision;
  details_["total_budget"] = DecimalFromMicros(buy.total_budget);
  AuditStore::Insert(txn, "update_media_buy", call_.ctx.principal_id,
                     buy.adapter, details_);
  Answer(txn, buy);
  return absl::OkStatus();
}

}  // namespace

absl::Status UpdateMediaBuy(const TaskContext& context, const Call& call,
                            const pb::UpdateMediaBuyRequest& request,
                            pb::UpdateMediaBuyResponse* response) {
  return BuyUpdate(context, call, request, response).Run();
}

}  // namespace adcp::media_buy::tasks
