#include "services/media-buy/tasks/creatives.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/base/status.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/ids_and_hashes.h"
#include "services/media-buy/domain/push_notification.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/store/audit_store.h"
#include "services/media-buy/store/buy_store.h"
#include "services/media-buy/store/creative_store.h"
#include "services/media-buy/store/human_task_store.h"
#include "services/media-buy/tasks/accounts.h"
#include "services/media-buy/tasks/idempotency.h"
#include "services/media-buy/tasks/task_webhooks.h"

namespace adcp::media_buy::tasks {

namespace pb = ::adcp::media_buy::v1;

namespace {

// AdCP's maxItems of sync_creatives' creatives.
constexpr int kMaxCreativesPerSync = 100;
// Assignments one sync_creatives may make (AdCP states no maxItems): every
// creative of the request to ten packages.
constexpr int kMaxAssignmentsPerSync = 1000;

// The review state a new or changed creative of `format_id` starts in: the
// tenant's auto_approve_formats are approved at once; the rest wait for a
// person when human_review_required, and are approved otherwise.
std::string InitialCreativeStatus(const tenant::v1::Tenant& tenant,
                                  const std::string& format_id) {
  const auto& engine = tenant.config().creative_engine();
  for (const std::string& format : engine.auto_approve_formats())
    if (format == format_id) return "approved";
  return engine.human_review_required() ? "pending_review" : "approved";
}

absl::Status UnknownFormat(const std::string& field, const pb::FormatId& id) {
  return AdcpError(
      "VALIDATION_ERROR", field + ".format_id",
      absl::StrCat(field, ".format_id: format '", id.id(), "' of ",
                   id.agent_url(), " is not accepted by this seller"),
      "list the accepted formats with list_creative_formats");
}

absl::Status CheckAssetIds(const pb::CreativeAsset& in,
                           const std::string& field) {
  if (!in.has_assets() || in.assets().fields().empty())
    return InvalidField(field + ".assets", "must contain at least one asset");
  for (const auto& [asset_id, asset] : in.assets().fields()) {
    const std::string asset_field = absl::StrCat(field, ".assets.", asset_id);
    if (asset_id.empty() || asset_id.size() > 64 ||
        !std::all_of(asset_id.begin(), asset_id.end(), [](char c) {
          return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
        })) {
      return InvalidField(asset_field, "asset ids must match ^[a-z0-9_]+$");
    }
    if (!asset.has_struct_value())
      return InvalidField(asset_field, "must be an object");
  }
  return absl::OkStatus();
}

// One creative of a sync request, checked: the row it would store.
absl::StatusOr<CreativeRow> CreativeFromRequest(const pb::CreativeAsset& in,
                                                const std::string& field,
                                                const FormatCatalog& formats,
                                                bool allow_http) {
  RETURN_IF_ERROR(ValidateId(field + ".creative_id", in.creative_id()));
  if (in.name().empty()) return InvalidField(field + ".name", "is required");
  if (in.name().size() > 255)
    return InvalidField(field + ".name", "must be at most 255 characters");
  if (!in.has_format_id())
    return InvalidField(field + ".format_id", "is required");
  RETURN_IF_ERROR(ValidateFormatId(field + ".format_id", in.format_id()));
  // A format id of ours under another agent URL is accepted only for a
  // creative already in the library with that format (SyncCreatives checks).
  const bool ours_by_id =
      formats.Find(formats.Id(in.format_id().id())) != nullptr;
  if (formats.Find(in.format_id()) == nullptr && !ours_by_id) {
    return UnknownFormat(field, in.format_id());
  }
  RETURN_IF_ERROR(CheckAssetIds(in, field));
  CreativeRow row;
  row.assets = StructToJson(in.assets());
  // Click-through, landing, tracker and media URLs go to the ad server.
  RETURN_IF_ERROR(
      ValidateCreativeUrls(field + ".assets", row.assets, allow_http));
  row.creative_id = in.creative_id();
  row.name = in.name();
  row.format_agent_url = in.format_id().agent_url();
  row.format_id = in.format_id().id();
  nlohmann::json tags = nlohmann::json::array();
  for (int t = 0; t < in.tags_size(); ++t) tags.push_back(in.tags(t));
  row.extra = {{"tags", tags}};
  return row;
}

struct AssignmentRequest {
  std::string creative_id;
  std::string package_id;
  std::string field;
};

absl::StatusOr<AssignmentRequest> AssignmentOf(const std::string& field,
                                               const nlohmann::json& entry) {
  AssignmentRequest assignment{.field = field};
  if (!entry.contains("creative_id") || !entry["creative_id"].is_string())
    return InvalidField(field + ".creative_id", "is required (a string)");
  if (!entry.contains("package_id") || !entry["package_id"].is_string())
    return InvalidField(field + ".package_id", "is required (a string)");
  assignment.creative_id = entry["creative_id"].get<std::string>();
  assignment.package_id = entry["package_id"].get<std::string>();
  RETURN_IF_ERROR(ValidateId(field + ".creative_id", assignment.creative_id));
  RETURN_IF_ERROR(ValidateId(field + ".package_id", assignment.package_id));
  if (entry.contains("weight") &&
      (!entry["weight"].is_number() || entry["weight"].get<double>() < 0 ||
       entry["weight"].get<double>() > 100))
    return InvalidField(field + ".weight", "must be a number from 0 to 100");
  return assignment;
}

// The request's assignments, each (creative, package) pair once: a
// repeated pair is made once.
absl::StatusOr<std::vector<AssignmentRequest>> AssignmentsOf(
    const pb::SyncCreativesRequest& request) {
  if (request.assignments_size() > kMaxAssignmentsPerSync)
    return InvalidField(
        "assignments",
        absl::StrCat("must contain at most ", kMaxAssignmentsPerSync,
                     " assignments (", request.assignments_size(), " given)"));
  std::vector<AssignmentRequest> out;
  std::set<std::pair<std::string, std::string>> seen;
  for (int i = 0; i < request.assignments_size(); ++i) {
    ASSIGN_OR_RETURN(AssignmentRequest assignment,
                     AssignmentOf(absl::StrCat("assignments[", i, "]"),
                                  StructToJson(request.assignments(i))));
    if (!seen.emplace(assignment.creative_id, assignment.package_id).second)
      continue;
    out.push_back(std::move(assignment));
  }
  return out;
}

// One sync_creatives request: checked before its transaction (Check), then
// run in it (Run).
class CreativeSync
    : public TaskRun<pb::SyncCreativesRequest, pb::SyncCreativesResponse> {
 public:
  using TaskRun::TaskRun;

  absl::Status Check();
  bool assigns() const { return !assignments_.empty(); }
  absl::Status Run(TenantTxn& txn, const std::string& adapter_name);

 private:
  absl::Status ResolveAssignments(TenantTxn& txn);
  // Stores creative `i` of the request; an error only in strict mode.
  absl::Status SyncCreative(TenantTxn& txn, size_t i,
                            const std::string& account_id);
  // Settles the agent URL of a format of ours named under another one;
  // false when the format is not accepted (recorded in lenient mode).
  absl::StatusOr<bool> SettleFormat(size_t i, CreativeRow& row,
                                    const std::optional<CreativeRow>& existing,
                                    pb::SyncCreativeResult* result);
  void Fail(pb::SyncCreativeResult* result, const absl::Status& error);
  void AssignLibraryCreatives(TenantTxn& txn);
  void ReadPlatformIds(TenantTxn& txn);
  void Assign(TenantTxn& txn, const std::string& creative_id,
              const AssignmentRequest& assignment);

  bool lenient_ = false;
  std::vector<AssignmentRequest> assignments_;
  // Checked creatives, or the error of each one that failed (lenient).
  std::vector<absl::StatusOr<CreativeRow>> checked_;
  std::set<std::string> seen_;
  std::map<std::string, std::vector<const AssignmentRequest*>> by_creative_;
  std::map<std::string, std::string> buy_of_package_;
  nlohmann::json counts_ = nlohmann::json::object();
  std::set<std::string> touched_buys_;
  // Where the outcome of a review this sync opens is pushed.
  std::optional<PushTarget> push_;
};

absl::Status CreativeSync::Check() {
  RETURN_IF_ERROR(CheckMajorVersion(request_));
  RETURN_IF_ERROR(ValidateIdempotencyKey(request_.idempotency_key()));
  if (!request_.has_account()) return InvalidField("account", "is required");
  ASSIGN_OR_RETURN(push_, SealedPushTargetOf(context_, call_, request_));
  const std::string& mode = request_.validation_mode();
  if (!mode.empty() && mode != "strict" && mode != "lenient")
    return InvalidField("validation_mode", "must be strict or lenient");
  lenient_ = mode == "lenient";
  if (request_.creatives_size() == 0)
    return InvalidField("creatives", "must contain at least one creative");
  if (request_.creatives_size() > kMaxCreativesPerSync)
    return InvalidField(
        "creatives", absl::StrCat("must contain at most ", kMaxCreativesPerSync,
                                  " creatives"));
  ASSIGN_OR_RETURN(assignments_, AssignmentsOf(request_));
  for (int i = 0; i < request_.creatives_size(); ++i) {
    const std::string field = absl::StrCat("creatives[", i, "]");
    absl::StatusOr<CreativeRow> row =
        CreativeFromRequest(request_.creatives(i), field, context_.formats,
                            /*allow_http=*/call_.tenant->config().sandbox());
    if (row.ok() && !seen_.insert(row->creative_id).second) {
      row = InvalidField(
          field + ".creative_id",
          absl::StrCat("'", row->creative_id, "' appears more than once"));
    }
    if (!row.ok() && !lenient_) return row.status();
    checked_.push_back(std::move(row));
  }
  return absl::OkStatus();
}

// Each package must be one of this buyer's; each creative one of this
// request's or already in the buyer's library.
absl::Status CreativeSync::ResolveAssignments(TenantTxn& txn) {
  for (const AssignmentRequest& assignment : assignments_) {
    if (!buy_of_package_.count(assignment.package_id)) {
      auto buy = BuyStore::OfPackage(txn, assignment.package_id, call_.buyer());
      if (!buy) {
        return AdcpError(
            "PACKAGE_NOT_FOUND", assignment.field + ".package_id",
            absl::StrCat(assignment.field, ".package_id: no package '",
                         assignment.package_id, "'"),
            "read your packages with get_media_buys");
      }
      buy_of_package_[assignment.package_id] = *buy;
    }
    if (!seen_.count(assignment.creative_id) &&
        !CreativeStore::Find(txn, call_.ctx.principal_id,
                             assignment.creative_id)) {
      return AdcpError(
          "CREATIVE_NOT_FOUND", assignment.field + ".creative_id",
          absl::StrCat(assignment.field, ".creative_id: no creative '",
                       assignment.creative_id, "'"),
          "include the creative in creatives[]");
    }
    by_creative_[assignment.creative_id].push_back(&assignment);
  }
  return absl::OkStatus();
}

void CreativeSync::Fail(pb::SyncCreativeResult* result,
                        const absl::Status& error) {
  result->set_action("failed");
  *result->add_errors() = ErrorOf(error);
  counts_["failed"] = counts_.value("failed", 0) + 1;
}

absl::StatusOr<bool> CreativeSync::SettleFormat(
    size_t i, CreativeRow& row, const std::optional<CreativeRow>& existing,
    pb::SyncCreativeResult* result) {
  pb::FormatId format;
  format.set_agent_url(row.format_agent_url);
  format.set_id(row.format_id);
  if (context_.formats.Find(format) != nullptr) return true;
  // Our format id under another agent URL: the library's creative of that
  // format, referenced again.
  if (existing && existing->format_id == row.format_id) {
    row.format_agent_url = existing->format_agent_url;
  } else if (call_.tenant->config().sandbox()) {
    // Conformance kits name a placeholder creative agent; a sandbox tenant
    // takes our format of that id.
    row.format_agent_url = context_.formats.agent_url();
  } else {
    const absl::Status unknown =
        UnknownFormat(absl::StrCat("creatives[", i, "]"), format);
    if (!lenient_) return unknown;
    Fail(result, unknown);
    return false;
  }
  return true;
}

// What a sync does to a stored creative: keeps the review state of a rename
// or retag, and the ad server's id.
std::string ActionFor(const std::optional<CreativeRow>& existing,
                      CreativeRow& row, pb::SyncCreativeResult* result) {
  if (!existing) return "created";
  const bool content_same =
      existing->format_agent_url == row.format_agent_url &&
      existing->format_id == row.format_id && existing->assets == row.assets;
  const bool same = content_same && existing->name == row.name &&
                    TagsOf(*existing) == TagsOf(row) &&
                    existing->status != "archived";
  const std::string action = same ? "unchanged" : "updated";
  if (content_same && existing->status != "archived") {
    // Renaming or retagging keeps the review state.
    row.status = existing->status;
    row.rejection_reason = existing->rejection_reason;
  }
  row.platform_id = existing->platform_id;
  if (action == "updated" && existing->name != row.name)
    result->add_warnings("name changed");
  return action;
}

void CreativeSync::Assign(TenantTxn& txn, const std::string& creative_id,
                          const AssignmentRequest& assignment) {
  CreativeStore::Assign(txn, call_.ctx.principal_id, creative_id,
                        assignment.package_id);
  touched_buys_.insert(buy_of_package_[assignment.package_id]);
}

absl::Status CreativeSync::SyncCreative(TenantTxn& txn, size_t i,
                                        const std::string& account_id) {
  const std::string& principal_id = call_.ctx.principal_id;
  pb::SyncCreativeResult* result = response_->add_creatives();
  result->set_creative_id(
      request_.creatives(static_cast<int>(i)).creative_id());
  if (!checked_[i].ok()) {
    Fail(result, checked_[i].status());
    return absl::OkStatus();
  }
  CreativeRow row = *checked_[i];
  row.principal_id = principal_id;
  if (!account_id.empty()) row.extra["account_id"] = account_id;
  std::optional<CreativeRow> existing =
      CreativeStore::Find(txn, principal_id, row.creative_id);
  ASSIGN_OR_RETURN(const bool accepted, SettleFormat(i, row, existing, result));
  if (!accepted) return absl::OkStatus();
  const std::string action = ActionFor(existing, row, result);
  if (row.status.empty())
    row.status = InitialCreativeStatus(*call_.tenant, row.format_id);
  if (action != "unchanged") CreativeStore::Upsert(txn, row);
  if (action == "created") {
    for (const auto& [package_id, media_buy_id] :
         CreativeStore::BindHeldAssignments(txn, principal_id,
                                            row.creative_id)) {
      result->add_assigned_to(package_id);
      touched_buys_.insert(media_buy_id);
    }
  }
  if (row.status == "pending_review") {
    TaskRow task{
        .task_id = NewId("task_"),
        .principal_id = principal_id,
        .task_type = "creative_review",
        .creative_id = row.creative_id,
        .summary = absl::StrCat("Review creative ", row.creative_id, " (",
                                row.format_id, ") of ", principal_id)};
    if (push_)
      task.push_notification = PushTargetWithContextOf(*push_, request_);
    HumanTaskStore::Insert(txn, task);
  }
  for (const AssignmentRequest* assignment : by_creative_[row.creative_id]) {
    Assign(txn, row.creative_id, *assignment);
    result->add_assigned_to(assignment->package_id);
  }
  result->set_action(action);
  result->set_status(row.status);
  if (!row.platform_id.empty()) result->set_platform_id(row.platform_id);
  counts_[action] = counts_.value(action, 0) + 1;
  return absl::OkStatus();
}

// Assignments of creatives already in the library (not in this sync).
void CreativeSync::AssignLibraryCreatives(TenantTxn& txn) {
  for (const auto& [creative_id, list] : by_creative_) {
    if (seen_.count(creative_id)) continue;
    for (const AssignmentRequest* assignment : list)
      Assign(txn, creative_id, *assignment);
  }
}

// The ad server's ids of what this sync pushed.
void CreativeSync::ReadPlatformIds(TenantTxn& txn) {
  for (int i = 0; i < response_->creatives_size(); ++i) {
    pb::SyncCreativeResult* result = response_->mutable_creatives(i);
    if (result->action() == "failed") continue;
    auto stored =
        CreativeStore::Find(txn, call_.ctx.principal_id, result->creative_id());
    if (stored && !stored->platform_id.empty())
      result->set_platform_id(stored->platform_id);
  }
}

absl::Status CreativeSync::Run(TenantTxn& txn,
                               const std::string& adapter_name) {
  ASSIGN_OR_RETURN(const std::string account_id,
                   ResolveAccount(txn, call_, request_.account()));
  RETURN_IF_ERROR(ResolveAssignments(txn));
  for (size_t i = 0; i < checked_.size(); ++i)
    RETURN_IF_ERROR(SyncCreative(txn, i, account_id));
  AssignLibraryCreatives(txn);
  // Approved creatives go to the ad server of each live buy they serve.
  for (const std::string& media_buy_id : touched_buys_)
    RETURN_IF_ERROR(placement_.PushCreatives(txn, media_buy_id));
  ReadPlatformIds(txn);
  AuditStore::Insert(txn, "sync_creatives", call_.ctx.principal_id,
                     adapter_name,
                     {{"creatives", request_.creatives_size()},
                      {"assignments", assignments_.size()},
                      {"actions", counts_},
                      {"dry_run", call_.dry_run}});
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> TagsOf(const CreativeRow& row) {
  std::vector<std::string> out;
  const nlohmann::json tags = row.extra.value("tags", nlohmann::json::array());
  if (!tags.is_array()) return out;
  for (const auto& item : tags)
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

absl::Status SyncCreatives(const TaskContext& context, const Call& call_in,
                           const pb::SyncCreativesRequest& request,
                           pb::SyncCreativesResponse* response) {
  const Call call = call_in.DryRunIf(request.dry_run());
  CreativeSync sync(context, call, request, response);
  RETURN_IF_ERROR(sync.Check());
  const std::string adapter_name =
      context.adapters.SelectedName(call.config()).value_or("");
  // Assignments to live buys send creatives to the ad server: wait for the
  // tenant's slot before the transaction.
  if (sync.assigns()) RETURN_IF_ERROR(context.PlacementOf(call).Reserve());
  response->set_dry_run(call.dry_run);
  return Idempotently(
      context, call, "sync_creatives", request, response,
      [&](TenantTxn& txn) { return sync.Run(txn, adapter_name); });
}

}  // namespace adcp::media_buy::tasks
