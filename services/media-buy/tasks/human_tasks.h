// Human tasks: the publisher's approvals of media buys and reviews of
// creatives. Buyers list and read their own; tenant admins resolve them.
#pragma once

#include "absl/status/status.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "services/media-buy/tasks/task_context.h"

namespace adcp::media_buy::tasks {

Task<v1::ListHumanTasksRequest, v1::ListHumanTasksResponse> ListHumanTasks;
Task<v1::GetHumanTaskRequest, v1::HumanTask> GetHumanTask;
// AdCP's tasks/get over the same records: a buyer's own task, as AdCP's
// task status (pending reads submitted, approved completed).
Task<v1::GetTaskRequest, v1::GetTaskResponse> GetTask;
// Approving a media buy sends it to the ad server; when the ad server does
// not take it, what it created is committed, the task stays pending
// (approving again resumes) and the ad server's error is answered.
Task<v1::ResolveHumanTaskRequest, v1::HumanTask> ApproveHumanTask;
Task<v1::ResolveHumanTaskRequest, v1::HumanTask> RejectHumanTask;

}  // namespace adcp::media_buy::tasks
