// The webhooks of operations (AdCP's MCP webhook payload), queued in
// webhook_outbox in the transaction of the change they report, when the
// request gave a push_notification_config:
// - a human task that reached a final state (QueueTaskWebhook);
// - a create_media_buy answered `completed` inline (QueueInlineWebhook).
//   AdCP's webhooks page says no webhook is needed for an answer final
//   inline; @adcp/sdk's reference server sends one all the same (its
//   autoEmitCompletionWebhooks, on by default) and the webhook_emission
//   storyboard grades it: a buyer that gave a URL gets the outcome there,
//   once per idempotency_key, whichever way the operation ended.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "libs/db/pg_pool.h"
#include "services/media-buy/domain/push_notification.h"
#include "services/media-buy/domain/records.h"
#include "services/media-buy/tasks/task_context.h"

namespace adcp::media_buy::tasks {

// Seals `target`'s secret (a legacy scheme's) for the call's tenant and
// drops the clear one; nothing for RFC 9421. UNSUPPORTED_FEATURE naming
// push_notification_config.authentication when the deployment cannot
// seal (no KEK).
absl::Status SealPushTarget(const TaskContext& context, const Call& call,
                            PushTarget& target);

// The request's push_notification_config, validated, its secret sealed:
// what a task keeps and stores.
template <typename Request>
absl::StatusOr<std::optional<PushTarget>> SealedPushTargetOf(
    const TaskContext& context, const Call& call, const Request& request) {
  absl::StatusOr<std::optional<PushTarget>> target = PushTargetOf(request);
  if (target.ok() && target->has_value()) {
    if (absl::Status sealed = SealPushTarget(context, call, **target);
        !sealed.ok())
      return sealed;
  }
  return target;
}

// `task` as resolved (status approved, rejected or failed); `result`, the
// task's outcome for the payload's `result` (the buy or creative as the
// buyer would read it).
void QueueTaskWebhook(TenantTxn& txn, const TaskRow& task,
                      const nlohmann::json& result, absl::Time now);

// One operation's outcome for `target`: `result` (the answer the buyer got)
// with `context` (the request's, echoed; null for none) in it.
struct InlineOutcome {
  std::string task_id;    // a fresh id of this operation
  std::string task_type;  // create_media_buy
  std::string subject;    // media_buy:<id>: its events go in order
  nlohmann::json result;
  nlohmann::json context;
};
void QueueInlineWebhook(TenantTxn& txn, const PushTarget& target,
                        const InlineOutcome& outcome, absl::Time now);

}  // namespace adcp::media_buy::tasks
