#include "services/media-buy/tasks/human_tasks.h"

#include <functional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/base/status.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/paging.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/store/audit_store.h"
#include "services/media-buy/store/buy_store.h"
#include "services/media-buy/store/creative_store.h"
#include "services/media-buy/store/human_task_store.h"
#include "services/media-buy/tasks/task_webhooks.h"

namespace adcp::media_buy::tasks {

namespace pb = ::adcp::media_buy::v1;

namespace {

pb::HumanTask TaskToProto(const TaskRow& row) {
  pb::HumanTask out;
  out.set_task_id(row.task_id);
  out.set_task_type(row.task_type);
  out.set_status(row.status);
  out.set_principal_id(row.principal_id);
  out.set_media_buy_id(row.media_buy_id);
  out.set_creative_id(row.creative_id);
  out.set_summary(row.summary);
  out.set_resolution(row.resolution);
  out.set_resolved_by(row.resolved_by);
  out.set_created_at(Rfc3339(row.created_at));
  if (row.resolved_at) out.set_resolved_at(Rfc3339(*row.resolved_at));
  return out;
}

// The payload's `result` of a resolved task: what was decided, of which
// object (a creative's review status when it was decided).
nlohmann::json ResultOf(const TaskRow& task) {
  if (task.task_type == "media_buy_approval")
    return {{"media_buy_id", task.media_buy_id}};
  nlohmann::json creative = {{"creative_id", task.creative_id}};
  if (task.status == "approved" || task.status == "rejected")
    creative["status"] = task.status;
  nlohmann::json creatives = nlohmann::json::array();
  creatives.push_back(std::move(creative));
  return {{"creatives", std::move(creatives)}};
}

// AdCP's view of a human task (tasks/get): the operation it decides and
// its task status (pending reads submitted, approved completed).
pb::GetTaskResponse AdcpTaskOf(const TaskRow& task) {
  pb::GetTaskResponse out;
  out.set_task_id(task.task_id);
  out.set_task_type(task.task_type == "media_buy_approval" ? "create_media_buy"
                                                           : "sync_creatives");
  out.set_protocol("media-buy");
  out.set_status(task.status == "pending"    ? "submitted"
                 : task.status == "approved" ? "completed"
                                             : task.status);
  out.set_created_at(Rfc3339(task.created_at));
  out.set_updated_at(Rfc3339(task.resolved_at.value_or(task.created_at)));
  if (task.resolved_at) out.set_completed_at(Rfc3339(*task.resolved_at));
  out.set_has_webhook(task.push_notification.is_object());
  out.set_message(task.resolution);
  *out.mutable_result() = JsonToStruct(ResultOf(task));
  return out;
}

absl::Status TaskNotFound() {
  return AdcpError("REFERENCE_NOT_FOUND", "task_id", "task_id: no such task",
                   "list the tasks with ListHumanTasks");
}

// The caller's task `task_id` (a buyer's own; any for the tenant's admin),
// handed to `read` in the tenant's transaction; another buyer's or
// tenant's is not found.
absl::Status ReadTask(const TaskContext& context, const Call& call,
                      const std::string& task_id,
                      const std::function<void(const TaskRow&)>& read) {
  RETURN_IF_ERROR(ValidateId("task_id", task_id));
  return context.pool.WithTenantTransaction(
      call.ctx.tenant_id, [&](TenantTxn& txn) -> absl::Status {
        auto task = HumanTaskStore::Find(txn, task_id, call.reader(), false);
        if (!task) return TaskNotFound();
        read(*task);
        return absl::OkStatus();
      });
}

// One approval or rejection, in its transaction.
class TaskResolution
    : public TaskRun<pb::ResolveHumanTaskRequest, pb::HumanTask> {
 public:
  TaskResolution(const TaskContext& context, const Call& call,
                 const pb::ResolveHumanTaskRequest& request,
                 pb::HumanTask* response, bool approve)
      : TaskRun(context, call, request, response),
        approve_(approve),
        admin_{call.ctx.principal_id, true} {}

  absl::Status Run(TenantTxn& txn);
  // The ad server's failure to take an approved buy.
  const absl::Status& placement() const { return placement_status_; }

 private:
  absl::Status ResolveBuy(TenantTxn& txn, const TaskRow& task);
  absl::Status ApproveBuy(TenantTxn& txn, BuyRow& buy);
  absl::Status ResolveCreative(TenantTxn& txn, const TaskRow& task);
  void Audit(TenantTxn& txn);

  const bool approve_;
  const Reader admin_;
  absl::Status placement_status_;
  absl::Time now_;
  // The approval left the task pending (the ad server did not take the buy).
  bool pending_ = false;
  nlohmann::json details_;
  std::string adapter_name_;
  // The object moved on without the task (e.g. the creative was re-synced
  // and approved): the task is closed as failed, saying why.
  std::string stale_;
};

void TaskResolution::Audit(TenantTxn& txn) {
  AuditStore::Insert(txn, approve_ ? "approve_human_task" : "reject_human_task",
                     call_.ctx.principal_id, adapter_name_, details_);
}

absl::Status TaskResolution::ApproveBuy(TenantTxn& txn, BuyRow& buy) {
  // A flight that should have started already starts now.
  const absl::Time requested_start = buy.start_time;
  if (buy.start_time < now_) buy.start_time = now_;
  buy.status = "active";
  buy.revision += 1;
  placement_status_ = placement_.PlaceStoredOrder(txn, buy);
  if (!placement_status_.ok()) {
    buy.status = "pending_approval";
    buy.revision -= 1;
    buy.start_time = requested_start;
    BuyStore::Update(txn, buy);
    details_["ad_server_error"] = std::string(placement_status_.message());
    Audit(txn);
    pending_ = true;
    return absl::OkStatus();
  }
  details_["order_id"] = buy.order_id;
  placement_.PushCreativesBestEffort(txn, buy.media_buy_id);
  return absl::OkStatus();
}

absl::Status TaskResolution::ResolveBuy(TenantTxn& txn, const TaskRow& task) {
  auto buy = BuyStore::Find(txn, task.media_buy_id, admin_,
                            /*for_update=*/true);
  if (!buy) return TaskNotFound();
  adapter_name_ = buy->adapter;
  details_["media_buy_id"] = buy->media_buy_id;
  if (buy->status != "pending_approval") {
    stale_ = absl::StrCat("the media buy is ", buy->status,
                          ", no longer awaiting approval");
  } else if (approve_ && now_ >= buy->end_time) {
    return AdcpError("INVALID_STATE", "task_id",
                     "task_id: the media buy's flight ended before it was "
                     "approved; reject it instead");
  } else if (approve_) {
    return ApproveBuy(txn, *buy);
  } else {
    buy->status = "rejected";
    buy->rejection_reason = request_.reason();
    buy->revision += 1;
    BuyStore::Update(txn, *buy);
  }
  return absl::OkStatus();
}

absl::Status TaskResolution::ResolveCreative(TenantTxn& txn,
                                             const TaskRow& task) {
  auto creative = CreativeStore::Find(txn, task.principal_id, task.creative_id);
  if (!creative) return TaskNotFound();
  details_["creative_id"] = creative->creative_id;
  if (creative->status != "pending_review") {
    stale_ = absl::StrCat("the creative is ", creative->status,
                          ", no longer awaiting review");
    return absl::OkStatus();
  }
  creative->status = approve_ ? "approved" : "rejected";
  creative->rejection_reason = approve_ ? "" : request_.reason();
  CreativeStore::Upsert(txn, *creative);
  if (!approve_) return absl::OkStatus();
  std::set<std::string> buys;
  for (const AssignmentRow& assignment : CreativeStore::AssignmentsOfCreative(
           txn, task.principal_id, task.creative_id))
    buys.insert(assignment.media_buy_id);
  for (const std::string& media_buy_id : buys)
    placement_.PushCreativesBestEffort(txn, media_buy_id);
  return absl::OkStatus();
}

absl::Status TaskResolution::Run(TenantTxn& txn) {
  auto task = HumanTaskStore::Find(txn, request_.task_id(), admin_,
                                   /*for_update=*/true);
  if (!task) return TaskNotFound();
  if (task->status != "pending") {
    return AdcpError(
        "INVALID_STATE", "task_id",
        absl::StrCat("task_id: the task is already ", task->status));
  }
  details_ = {{"task_id", task->task_id},
              {"task_type", task->task_type},
              {"buyer", task->principal_id},
              {"dry_run", call_.dry_run}};
  now_ = context_.options.clock();
  if (task->task_type == "media_buy_approval") {
    RETURN_IF_ERROR(ResolveBuy(txn, *task));
    if (pending_) return absl::OkStatus();
  } else {
    RETURN_IF_ERROR(ResolveCreative(txn, *task));
  }
  // A task whose object moved on meanwhile fails, saying why.
  const bool failed = !stale_.empty();
  task->status = failed ? "failed" : approve_ ? "approved" : "rejected";
  task->resolution = failed ? stale_ : request_.reason();
  task->resolved_by =
      call_.ctx.principal_id.empty() ? "system_admin" : call_.ctx.principal_id;
  HumanTaskStore::Resolve(txn, *task);
  if (failed) details_["failed"] = stale_;
  QueueTaskWebhook(txn, *task, ResultOf(*task), now_);
  Audit(txn);
  auto resolved = HumanTaskStore::Find(txn, task->task_id, admin_, false);
  *response_ = TaskToProto(resolved ? *resolved : *task);
  return absl::OkStatus();
}

absl::Status ResolveTask(const TaskContext& context, const Call& call,
                         const pb::ResolveHumanTaskRequest& request,
                         bool approve, pb::HumanTask* response) {
  RETURN_IF_ERROR(ValidateId("task_id", request.task_id()));
  if (!approve && request.reason().empty())
    return InvalidField("reason", "is required to reject");
  if (request.reason().size() > 2000)
    return InvalidField("reason", "must be at most 2000 characters");
  TaskResolution resolution(context, call, request, response, approve);
  // Approving calls the ad server: wait for the tenant's slot before the
  // transaction takes a database connection.
  if (approve) RETURN_IF_ERROR(context.PlacementOf(call).Reserve());
  // The ad server's failure to take an approved buy is reported once what
  // it created is committed (the task stays pending: approving again
  // resumes).
  const absl::Status outcome = context.InTransaction(
      call, [&](TenantTxn& txn) { return resolution.Run(txn); });
  if (outcome.ok() && !resolution.placement().ok())
    return resolution.placement();
  return outcome;
}

}  // namespace

absl::Status ListHumanTasks(const TaskContext& context, const Call& call,
                            const pb::ListHumanTasksRequest& request,
                            pb::ListHumanTasksResponse* response) {
  const std::string& status = request.status();
  if (!status.empty() && status != "pending" && status != "approved" &&
      status != "rejected" && status != "failed")
    return InvalidField("status",
                        "must be one of pending, approved, rejected, failed");
  ASSIGN_OR_RETURN(const int limit, ListPageSize(request.page_size()));
  if (!request.page_token().empty())
    RETURN_IF_ERROR(ValidateId("page_token", request.page_token()));
  return context.pool.WithTenantTransaction(
      call.ctx.tenant_id, [&](TenantTxn& txn) {
        std::vector<TaskRow> rows = HumanTaskStore::List(
            txn, call.reader(), status, limit + 1, request.page_token());
        const bool more = static_cast<int>(rows.size()) > limit;
        if (more) rows.resize(static_cast<size_t>(limit));
        for (const TaskRow& row : rows)
          *response->add_tasks() = TaskToProto(row);
        if (more) response->set_next_page_token(rows.back().task_id);
        return absl::OkStatus();
      });
}

absl::Status GetHumanTask(const TaskContext& context, const Call& call,
                          const pb::GetHumanTaskRequest& request,
                          pb::HumanTask* response) {
  return ReadTask(context, call, request.task_id(),
                  [&](const TaskRow& task) { *response = TaskToProto(task); });
}

absl::Status GetTask(const TaskContext& context, const Call& call,
                     const pb::GetTaskRequest& request,
                     pb::GetTaskResponse* response) {
  RETURN_IF_ERROR(CheckMajorVersion(request));
  return ReadTask(context, call, request.task_id(), [&](const TaskRow& task) {
    *response = AdcpTaskOf(task);
    *response->mutable_context() = request.context();
  });
}

absl::Status ApproveHumanTask(const TaskContext& context, const Call& call,
                              const pb::ResolveHumanTaskRequest& request,
                              pb::HumanTask* response) {
  return ResolveTask(context, call, request, /*approve=*/true, response);
}

absl::Status RejectHumanTask(const TaskContext& context, const Call& call,
                             const pb::ResolveHumanTaskRequest& request,
                             pb::HumanTask* response) {
  return ResolveTask(context, call, request, /*approve=*/false, response);
}

}  // namespace adcp::media_buy::tasks
