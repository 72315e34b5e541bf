// The webhook of a human task that reached a final state (AdCP's MCP
// webhook payload), queued in webhook_outbox in the transaction that
// resolved the task, when the request that opened it gave a
// push_notification_config. Nothing is queued for a task without one: an
// answer that was final inline needs no webhook.
#pragma once

#include "absl/time/time.h"
#include "libs/db/pg_pool.h"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy::tasks {

// `task` as resolved (status approved, rejected or failed); `result`, the
// task's outcome for the payload's `result` (the buy or creative as the
// buyer would read it).
void QueueTaskWebhook(TenantTxn& txn, const TaskRow& task,
                      const nlohmann::json& result, absl::Time now);

}  // namespace adcp::media_buy::tasks
