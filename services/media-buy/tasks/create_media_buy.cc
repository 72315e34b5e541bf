#include "services/media-buy/tasks/create_media_buy.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/base/log.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "libs/json/proto_json.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/buy_status.h"
#include "services/media-buy/domain/buy_terms.h"
#include "services/media-buy/domain/ids_and_hashes.h"
#include "services/media-buy/domain/product_view.h"
#include "services/media-buy/domain/push_notification.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/store/buy_store.h"
#include "services/media-buy/store/creative_store.h"
#include "services/media-buy/store/directive_store.h"
#include "services/media-buy/store/human_task_store.h"
#include "services/media-buy/tasks/accounts.h"
#include "services/media-buy/tasks/idempotency.h"
#include "services/media-buy/tasks/media_buy_reads.h"
#include "services/media-buy/tasks/task_webhooks.h"

namespace adcp::media_buy::tasks {

namespace pb = ::adcp::media_buy::v1;

namespace {

// A package request's own fields; returns its budget.
absl::StatusOr<Micros> CheckPackage(const pb::PackageRequest& package,
                                    const std::string& field) {
  RETURN_IF_ERROR(ValidateId(field + ".product_id", package.product_id()));
  RETURN_IF_ERROR(
      ValidateId(field + ".pricing_option_id", package.pricing_option_id()));
  ASSIGN_OR_RETURN(Micros budget,
                   MicrosFromNumber(field + ".budget", package.budget()));
  if (budget <= 0) return InvalidField(field + ".budget", "must be > 0");
  RETURN_IF_ERROR(ValidatePacing(field + ".pacing", package.pacing()));
  if (package.has_bid_price()) {
    ASSIGN_OR_RETURN(Micros bid, MicrosFromNumber(field + ".bid_price",
                                                  package.bid_price()));
    if (bid <= 0) return InvalidField(field + ".bid_price", "must be > 0");
  }
  if (package.has_impressions())
    RETURN_IF_ERROR(
        ValidateImpressions(field + ".impressions", package.impressions()));
  for (int f = 0; f < package.format_ids_size(); ++f) {
    RETURN_IF_ERROR(ValidateFormatId(
        absl::StrCat(field, ".format_ids[", f, "]"), package.format_ids(f)));
  }
  if (package.creative_assignments_size() > kMaxCreativeAssignmentsPerPackage)
    return InvalidField(
        field + ".creative_assignments",
        absl::StrCat("must contain at most ", kMaxCreativeAssignmentsPerPackage,
                     " creatives"));
  for (int c = 0; c < package.creative_assignments_size(); ++c) {
    RETURN_IF_ERROR(ValidateId(
        absl::StrCat(field, ".creative_assignments[", c, "].creative_id"),
        package.creative_assignments(c).creative_id()));
  }
  // Terms first: a buyer learns what the seller will not sign before
  // anything else about the request.
  if (package.has_measurement_terms())
    RETURN_IF_ERROR(
        CheckMeasurementTerms(field + ".measurement_terms",
                              StructToJson(package.measurement_terms())));
  return budget;
}

// The budget of each package, checked.
absl::StatusOr<std::vector<Micros>> CheckPackages(
    const pb::CreateMediaBuyRequest& request) {
  if (request.packages_size() == 0)
    return InvalidField("packages", "must contain at least one package");
  if (request.packages_size() > kMaxPackages)
    return InvalidField("packages", absl::StrCat("must contain at most ",
                                                 kMaxPackages, " packages"));
  std::vector<Micros> budgets;
  for (int i = 0; i < request.packages_size(); ++i) {
    ASSIGN_OR_RETURN(
        Micros budget,
        CheckPackage(request.packages(i), absl::StrCat("packages[", i, "]")));
    budgets.push_back(budget);
  }
  return budgets;
}

struct Flight {
  absl::Time start, end;
  bool asap = false;
  // A start in the past, reported after the products (in the transaction):
  // a buyer naming a product that does not exist hears that first.
  absl::Status in_past;
};

absl::StatusOr<Flight> CheckFlight(const pb::CreateMediaBuyRequest& request,
                                   absl::Time now, absl::Duration grace) {
  Flight flight{.start = now, .asap = request.start_time() == "asap"};
  if (!flight.asap) {
    ASSIGN_OR_RETURN(flight.start,
                     ParseTime("start_time", request.start_time()));
  }
  ASSIGN_OR_RETURN(flight.end, ParseTime("end_time", request.end_time()));
  if (flight.end <= flight.start)
    return InvalidField("end_time", "must be after start_time");
  if (flight.end > now + kMaxFlightAhead)
    return InvalidField("end_time", "must be within 5 years from now");
  if (!flight.asap && flight.start < now - grace)
    flight.in_past = InvalidField("start_time",
                                  "must not be in the past (send \"asap\" to "
                                  "start as soon as possible)");
  return flight;
}

absl::Status CheckBuyer(const pb::CreateMediaBuyRequest& request) {
  if (request.po_number().size() > 255)
    return InvalidField("po_number", "must be at most 255 characters");
  if (!request.has_account()) return InvalidField("account", "is required");
  if (!request.has_brand()) return InvalidField("brand", "is required");
  RETURN_IF_ERROR(ValidateDomain("brand.domain", request.brand().domain()));
  if (request.brand().brand_id().size() > 255)
    return InvalidField("brand.brand_id", "must be at most 255 characters");
  return absl::OkStatus();
}

// The price of a package under its pricing option: the fixed price, or the
// buyer's bid at or above the floor; the budget at or above the minimum
// spend.
absl::Status Price(const nlohmann::json& option, const pb::PackageRequest& in,
                   const std::string& field, const std::string& currency,
                   PackageRow& package) {
  if (option.contains("min_spend_per_package")) {
    ASSIGN_OR_RETURN(
        Micros min_spend,
        MicrosFromNumber("min_spend_per_package",
                         option["min_spend_per_package"].get<double>()));
    if (package.budget < min_spend)
      return BudgetTooLow(field, min_spend, currency);
  }
  if (option.contains("fixed_price")) {
    ASSIGN_OR_RETURN(
        package.rate,
        MicrosFromNumber("fixed_price", option["fixed_price"].get<double>()));
    return absl::OkStatus();
  }
  if (!in.has_bid_price())
    return InvalidField(field + ".bid_price",
                        "is required for an auction pricing option");
  ASSIGN_OR_RETURN(Micros bid,
                   MicrosFromNumber(field + ".bid_price", in.bid_price()));
  if (option.contains("floor_price")) {
    ASSIGN_OR_RETURN(
        Micros floor,
        MicrosFromNumber("floor_price", option["floor_price"].get<double>()));
    if (bid < floor) return BelowFloorPrice(field, floor, currency);
  }
  package.bid_price = bid;
  package.rate = bid;
  return absl::OkStatus();
}

// The formats a package asks for, each offered by its product; the
// product's formats when it names none.
absl::Status ChooseFormats(const pb::PackageRequest& in,
                           const ProductRow& product, const std::string& field,
                           PackageRow& package) {
  package.format_ids = nlohmann::json::array();
  for (int f = 0; f < in.format_ids_size(); ++f) {
    const pb::FormatId& id = in.format_ids(f);
    bool offered = false;
    for (const auto& have : product.format_ids)
      offered |= have.value("id", "") == id.id() &&
                 have.value("agent_url", "") == id.agent_url();
    if (!offered) {
      return InvalidField(
          absl::StrCat(field, ".format_ids[", f, "]"),
          absl::StrCat("format '", id.id(), "' is not offered by product '",
                       in.product_id(), "'"));
    }
    package.format_ids.push_back(
        {{"agent_url", id.agent_url()}, {"id", id.id()}});
  }
  if (package.format_ids.empty()) package.format_ids = product.format_ids;
  return absl::OkStatus();
}

// The buyer's package fields the seller only keeps.
void CopyPackageExtras(const pb::PackageRequest& in, const ProductRow& product,
                       PackageRow& package) {
  if (in.has_targeting_overlay())
    package.targeting_overlay = StructToJson(in.targeting_overlay());
  if (in.has_measurement_terms())
    package.extra["measurement_terms"] = StructToJson(in.measurement_terms());
  if (in.has_context()) package.extra["context"] = StructToJson(in.context());
  if (in.has_ext()) package.extra["ext"] = StructToJson(in.ext());
  // The ad server books guaranteed and auction lines apart.
  package.extra["delivery_type"] = product.delivery_type;
}

// create_media_buy's answer for a buy the ad server was asked to take.
// `may_have_creatives`: false for a buy just made without assignments,
// which saves reading them.
void AnswerCreated(TenantTxn& txn, const BuyRow& buy, bool may_have_creatives,
                   absl::Time now, pb::CreateMediaBuyResponse* response) {
  response->set_media_buy_id(buy.media_buy_id);
  const std::string status =
      AdcpStatus(buy, may_have_creatives && HasLiveCreatives(txn, buy), now);
  response->set_status(status);
  response->set_revision(buy.revision);
  response->set_confirmed_at(Rfc3339(now));
  response->clear_valid_actions();
  for (const std::string& action : ValidActionsFor(buy, status))
    response->add_valid_actions(action);
  response->clear_packages();
  for (const PackageRow& package : buy.packages)
    *response->add_packages() = PackageToProto(package, buy.currency);
  if (buy.adapter_state.contains("failed_step")) {
    response->set_message(absl::StrCat(
        "The ad server does not have the whole media buy yet: step ",
        buy.adapter_state.value("failed_step", ""), " failed (",
        buy.adapter_state.value("error", ""),
        "). Send the same request again (same idempotency_key) to resume."));
  }
}

// One create_media_buy request, checked (Check), its buy made in the
// idempotent transaction (Create) or its earlier placement resumed there
// (Resume).
class BuyCreation
    : public TaskRun<pb::CreateMediaBuyRequest, pb::CreateMediaBuyResponse> {
 public:
  using TaskRun::TaskRun;

  absl::Status Run();

 private:
  // What can be checked before the transaction.
  absl::Status Check();
  absl::Status Resume(TenantTxn& txn);
  absl::Status Create(TenantTxn& txn);
  BuyRow NewBuy(bool manual) const;
  absl::StatusOr<PackageRow> NewPackage(
      int i, const std::map<std::string, const ProductRow*>& products,
      BuyRow& buy) const;
  absl::Status AddPackages(BuyRow& buy) const;
  absl::Status SetTotalBudget(BuyRow& buy, Micros sum) const;
  int HoldUnknownCreatives(TenantTxn& txn, BuyRow& buy,
                           std::set<std::string>& known) const;
  void Persist(TenantTxn& txn, const BuyRow& buy,
               const std::set<std::string>& known, bool manual) const;
  void OpenApprovalTask(TenantTxn& txn, const BuyRow& buy,
                        const std::optional<Directive>& directive,
                        nlohmann::json& details) const;

  absl::Time now_;
  std::vector<Micros> budgets_;
  Flight flight_;
  std::string adapter_name_;
  bool manual_approval_ = false;
  CachedProducts cached_;
  AccountCache::Value accounts_;
  // The ad server's failure to take the buy: the buy and what the ad server
  // created are committed, the buyer hears the error, and the same request
  // again resumes (Resume).
  absl::Status placed_;
  // The buy's audit row goes with the stored answer (one statement).
  std::optional<AuditEntry> audit_;
  // Where the outcome is pushed (the approval's, or the inline answer's),
  // when the buyer asked.
  std::optional<PushTarget> push_;
};

absl::Status BuyCreation::Check() {
  RETURN_IF_ERROR(CheckMajorVersion(request_));
  RETURN_IF_ERROR(ValidateIdempotencyKey(request_.idempotency_key()));
  ASSIGN_OR_RETURN(push_, SealedPushTargetOf(context_, call_, request_));
  ASSIGN_OR_RETURN(budgets_, CheckPackages(request_));
  now_ = context_.options.clock();
  ASSIGN_OR_RETURN(flight_,
                   CheckFlight(request_, now_, context_.options.start_grace));
  RETURN_IF_ERROR(CheckBuyer(request_));
  ASSIGN_OR_RETURN(adapter_name_,
                   context_.adapters.SelectedName(call_.config()));
  manual_approval_ =
      AdapterRegistry::ManualApprovalRequired(call_.config(), adapter_name_);
  // The ad server will be called: wait for the tenant's slot before the
  // transaction takes a database connection.
  if (!manual_approval_) RETURN_IF_ERROR(placement_.Reserve());
  // From memory (ProductCache), with mb_products' visibility. Read before
  // the transaction: a cache miss takes a pool connection of its own, which
  // concurrent retries of one key (each holding one, waiting on the key's
  // row lock) could all have taken.
  ASSIGN_OR_RETURN(cached_, context_.products.Get(call_.ctx.tenant_id));
  // The buyer's account, from memory in steady state (AccountCache), read
  // before the transaction for the reason above; while nothing is cached,
  // only the buyer's account is read, in the transaction.
  if (context_.accounts.caching()) {
    ASSIGN_OR_RETURN(accounts_, context_.accounts.Get(call_.ctx.tenant_id));
  }
  return absl::OkStatus();
}

absl::Status BuyCreation::Run() {
  RETURN_IF_ERROR(Check());
  const absl::Status created = Idempotently(
      context_, call_, "create_media_buy", request_, response_,
      [&](TenantTxn& txn) { return Create(txn); },
      [&](TenantTxn& txn) { return Resume(txn); }, &audit_);
  if (created.ok() && !placed_.ok()) return placed_;
  return created;
}

absl::Status BuyCreation::Resume(TenantTxn& txn) {
  if (response_->media_buy_id().empty()) return absl::OkStatus();
  auto buy = BuyStore::Find(txn, response_->media_buy_id(), call_.buyer(),
                            /*for_update=*/true);
  if (!buy || !buy->adapter_state.contains("failed_step") ||
      (buy->status != "active" && buy->status != "paused"))
    return absl::OkStatus();
  placed_ = placement_.PlaceStoredOrder(txn, *buy);
  if (placed_.ok()) placement_.PushCreativesBestEffort(txn, buy->media_buy_id);
  response_->clear_message();
  AnswerCreated(txn, *buy, /*may_have_creatives=*/true,
                context_.options.clock(), response_);
  const AuditEntry resumed{.operation = "resume_media_buy_placement",
                           .adapter = buy->adapter,
                           .details = {{"media_buy_id", buy->media_buy_id},
                                       {"placed", placed_.ok()},
                                       {"dry_run", call_.dry_run}}};
  StoreAnswer(txn, call_, request_.idempotency_key(), *response_, &resumed);
  return absl::OkStatus();
}

BuyRow BuyCreation::NewBuy(bool manual) const {
  BuyRow buy;
  buy.media_buy_id = NewId("mb_");
  buy.principal_id = call_.ctx.principal_id;
  buy.status = manual ? "pending_approval" : "active";
  buy.adapter = adapter_name_;
  // The advertiser the ad server books the buy for stays the one the buyer
  // had when buying (an approver is someone else).
  buy.adapter_state["principal_mappings"] = call_.ctx.platform_mappings;
  buy.start_time = flight_.start;
  buy.end_time = flight_.end;
  buy.start_asap = flight_.asap;
  if (request_.has_brand())
    buy.brand = {{"domain", request_.brand().domain()},
                 {"brand_id", request_.brand().brand_id()}};
  buy.po_number = request_.po_number();
  if (request_.has_ext()) buy.extra["ext"] = StructToJson(request_.ext());
  return buy;
}

absl::StatusOr<PackageRow> BuyCreation::NewPackage(
    int i, const std::map<std::string, const ProductRow*>& products,
    BuyRow& buy) const {
  const pb::PackageRequest& in = request_.packages(i);
  const std::string field = absl::StrCat("packages[", i, "]");
  auto product = products.find(in.product_id());
  if (product == products.end()) {
    return AdcpError(
        "PRODUCT_NOT_FOUND", field + ".product_id",
        absl::StrCat(field, ".product_id: no product '", in.product_id(), "'"),
        "discover products with get_products");
  }
  const nlohmann::json* option =
      FindPricingOption(*product->second, in.pricing_option_id());
  if (option == nullptr) {
    return InvalidField(
        field + ".pricing_option_id",
        absl::StrCat("product '", in.product_id(), "' has no pricing option '",
                     in.pricing_option_id(), "'"));
  }
  const std::string currency = option->value("currency", "");
  if (buy.currency.empty()) buy.currency = currency;
  if (currency != buy.currency) {
    return InvalidField(
        field + ".pricing_option_id",
        absl::StrCat("is priced in ", currency,
                     "; every package of a buy must be in one currency (",
                     buy.currency, ")"));
  }
  PackageRow package;
  package.package_id = NewId("pkg_");
  package.media_buy_id = buy.media_buy_id;
  package.ordinal = i;
  package.product_id = in.product_id();
  package.pricing_option_id = in.pricing_option_id();
  package.pricing_model = option->value("pricing_model", "");
  package.budget = budgets_[static_cast<size_t>(i)];
  RETURN_IF_ERROR(Price(*option, in, field, currency, package));
  package.pacing = in.pacing().empty() ? "even" : in.pacing();
  if (in.has_impressions())
    package.impressions = static_cast<int64_t>(in.impressions());
  package.paused = in.paused();
  RETURN_IF_ERROR(ChooseFormats(in, *product->second, field, package));
  CopyPackageExtras(in, *product->second, package);
  return package;
}

absl::Status BuyCreation::AddPackages(BuyRow& buy) const {
  const Reader reader = call_.buyer();
  std::map<std::string, const ProductRow*> products;
  for (const CachedProduct& product : *cached_) {
    if (VisibleTo(product.row, reader))
      products.emplace(product.row.product_id, &product.row);
  }
  Micros sum = 0;
  for (int i = 0; i < request_.packages_size(); ++i) {
    ASSIGN_OR_RETURN(PackageRow package, NewPackage(i, products, buy));
    sum += package.budget;
    buy.packages.push_back(std::move(package));
  }
  RETURN_IF_ERROR(flight_.in_past);
  return SetTotalBudget(buy, sum);
}

absl::Status BuyCreation::SetTotalBudget(BuyRow& buy, Micros sum) const {
  buy.total_budget = sum;
  if (request_.has_total_budget()) {
    if (request_.total_budget().currency() != buy.currency) {
      return InvalidField("total_budget.currency",
                          absl::StrCat("must be ", buy.currency,
                                       ", the currency of the packages"));
    }
    ASSIGN_OR_RETURN(buy.total_budget,
                     MicrosFromNumber("total_budget.amount",
                                      request_.total_budget().amount()));
    if (buy.total_budget < sum) {
      return InvalidField("total_budget.amount",
                          absl::StrCat("is less than the sum of the package "
                                       "budgets (",
                                       DisplayAmount(sum), ")"));
    }
  }
  return CheckDailyBudget(
      *call_.tenant, request_.has_total_budget() ? "total_budget" : "packages",
      buy.total_budget, buy.currency, flight_.start, flight_.end);
}

// Creatives assigned inline are this buyer's library's (into `known`); one
// not uploaded yet is held on its package and assigned when sync_creatives
// brings it (the buy waits in pending_creatives meanwhile). Returns how
// many are held.
int BuyCreation::HoldUnknownCreatives(TenantTxn& txn, BuyRow& buy,
                                      std::set<std::string>& known) const {
  int held_count = 0;
  for (int i = 0; i < request_.packages_size(); ++i) {
    nlohmann::json held = nlohmann::json::array();
    for (const auto& assignment : request_.packages(i).creative_assignments()) {
      const std::string& creative_id = assignment.creative_id();
      if (CreativeStore::Find(txn, call_.ctx.principal_id, creative_id)) {
        known.insert(creative_id);
      } else if (std::find(held.begin(), held.end(), creative_id) ==
                 held.end()) {
        held.push_back(creative_id);
        ++held_count;
      }
    }
    if (!held.empty())
      buy.packages[static_cast<size_t>(i)].extra["held_creative_ids"] =
          std::move(held);
  }
  return held_count;
}

void BuyCreation::Persist(TenantTxn& txn, const BuyRow& buy,
                          const std::set<std::string>& known,
                          bool manual) const {
  try {
    BuyStore::Insert(txn, buy);
    for (int i = 0; i < request_.packages_size(); ++i) {
      for (const auto& assignment :
           request_.packages(i).creative_assignments()) {
        if (!known.count(assignment.creative_id())) continue;
        CreativeStore::Assign(txn, call_.ctx.principal_id,
                              assignment.creative_id(),
                              buy.packages[static_cast<size_t>(i)].package_id);
      }
    }
  } catch (const std::exception& e) {
    // The ad server may hold what the rolled-back buy would have recorded:
    // say what, for an operator to find and remove.
    if (!manual)
      log::Error("the database did not take a media buy the ad server was sent",
                 {{"tenant_id", call_.ctx.tenant_id},
                  {"media_buy_id", buy.media_buy_id},
                  {"adapter", buy.adapter},
                  {"order_id", buy.order_id},
                  {"adapter_state", buy.adapter_state.dump()},
                  {"error", e.what()}});
    throw;
  }
}

void BuyCreation::OpenApprovalTask(TenantTxn& txn, const BuyRow& buy,
                                   const std::optional<Directive>& directive,
                                   nlohmann::json& details) const {
  const std::string& principal_id = call_.ctx.principal_id;
  if (directive)
    HumanTaskStore::RetireId(txn, principal_id, directive->task_id,
                             RandomHex(4));
  TaskRow task{.task_id = directive ? directive->task_id : NewId("task_"),
               .principal_id = principal_id,
               .task_type = "media_buy_approval",
               .media_buy_id = buy.media_buy_id,
               .summary = absl::StrCat(
                   "Approve media buy ", buy.media_buy_id, " of ", principal_id,
                   ": ", DisplayAmount(buy.total_budget), " ", buy.currency,
                   ", ", buy.packages.size(), " package(s), ",
                   Rfc3339(flight_.start), " to ", Rfc3339(flight_.end))};
  if (push_) task.push_notification = PushTargetWithContextOf(*push_, request_);
  HumanTaskStore::Insert(txn, task);
  details["task_id"] = task.task_id;
  response_->set_status("submitted");
  response_->set_task_id(task.task_id);
  response_->set_message(directive && !directive->message.empty()
                             ? directive->message
                             : "The publisher reviews each media buy by hand; "
                               "it goes live when approved.");
}

absl::Status BuyCreation::Create(TenantTxn& txn) {
  // Sandbox: the controller may have armed this call.
  std::optional<Directive> directive;
  if (call_.tenant->config().sandbox())
    directive = DirectiveStore::Take(txn, call_.ctx.principal_id);
  const bool manual = manual_approval_ || directive.has_value();
  BuyRow buy = NewBuy(manual);
  RETURN_IF_ERROR(AddPackages(buy));
  ASSIGN_OR_RETURN(
      buy.account_id,
      ResolveAccount(txn, call_, request_.account(), accounts_.get()));
  std::set<std::string> known;
  const int held_count = HoldUnknownCreatives(txn, buy, known);
  // Everything that could still refuse the buy has been checked.
  if (!manual) placed_ = placement_.PlaceOrder(buy);
  Persist(txn, buy, known, manual);
  // Only creatives assigned in this request can be pushed.
  if (!manual && placed_.ok() && !known.empty())
    placement_.PushCreativesBestEffort(txn, buy.media_buy_id);
  nlohmann::json details = {
      {"media_buy_id", buy.media_buy_id},
      {"total_budget", DecimalFromMicros(buy.total_budget)},
      {"currency", buy.currency},
      {"packages", buy.packages.size()},
      {"status", buy.status},
      {"dry_run", call_.dry_run}};
  if (!placed_.ok())
    details["ad_server_error"] = std::string(placed_.message());
  if (manual) {
    OpenApprovalTask(txn, buy, directive, details);
  } else {
    if (held_count > 0)
      response_->set_message(absl::StrCat(
          held_count,
          " assigned creative(s) are not in your library yet; they are "
          "assigned when sync_creatives uploads them"));
    AnswerCreated(txn, buy,
                  /*may_have_creatives=*/!known.empty(), now_, response_);
    if (push_ && placed_.ok())
      QueueInlineWebhook(
          txn, *push_,
          InlineOutcome{.task_id = NewId("task_"),
                        .task_type = "create_media_buy",
                        .subject = absl::StrCat("media_buy:", buy.media_buy_id),
                        .result = ProtoToJson(*response_),
                        .context = request_.has_context()
                                       ? StructToJson(request_.context())
                                       : nlohmann::json()},
          now_);
  }
  audit_ = AuditEntry{.operation = "create_media_buy",
                      .adapter = adapter_name_,
                      .details = std::move(details)};
  return absl::OkStatus();
}

}  // namespace

absl::Status CreateMediaBuy(const TaskContext& context, const Call& call,
                            const pb::CreateMediaBuyRequest& request,
                            pb::CreateMediaBuyResponse* response) {
  return BuyCreation(context, call, request, response).Run();
}

}  // namespace adcp::media_buy::tasks
