// comply_test_controller: the sandbox controller (sandbox/) in the call's
// transaction, audited; absent (as an unknown task) outside sandbox tenants.
#pragma once

#include "absl/status/status.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "services/media-buy/tasks/task_context.h"

namespace adcp::media_buy::tasks {

Task<v1::ComplyTestControllerRequest, v1::ComplyTestControllerResponse>
    ComplyTestController;

}  // namespace adcp::media_buy::tasks
