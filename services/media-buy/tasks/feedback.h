// provide_performance_feedback: the buyer's measure of how a buy performs.
#pragma once

#include "absl/status/status.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "services/media-buy/tasks/task_context.h"

namespace adcp::media_buy::tasks {

Task<v1::ProvidePerformanceFeedbackRequest,
     v1::ProvidePerformanceFeedbackResponse>
    ProvidePerformanceFeedback;

}  // namespace adcp::media_buy::tasks
