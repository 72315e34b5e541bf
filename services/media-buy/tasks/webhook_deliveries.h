// The tenant's webhook deliveries (webhook_outbox): what was queued for
// its buyers' webhooks, and how each delivery went (status, attempts, last
// error, next try). For the tenant's admin and the system admin.
#pragma once

#include "adcp/media_buy/v1/media_buy.pb.h"
#include "services/media-buy/tasks/task_context.h"

namespace adcp::media_buy::tasks {

Task<v1::ListWebhookDeliveriesRequest, v1::ListWebhookDeliveriesResponse>
    ListWebhookDeliveries;

}  // namespace adcp::media_buy::tasks
