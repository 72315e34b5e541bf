#include "services/media-buy/tasks/task_webhooks.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "libs/base/secrets.h"
#include "services/media-buy/domain/push_notification.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/store/webhook_store.h"

namespace adcp::media_buy::tasks {

namespace {

// AdCP task status of a resolved human task.
std::string StatusOf(const std::string& resolved) {
  if (resolved == "approved") return "completed";
  if (resolved == "rejected") return "rejected";
  return "failed";
}

}  // namespace

void QueueTaskWebhook(TenantTxn& txn, const TaskRow& task,
                      const nlohmann::json& result, absl::Time now) {
  const std::optional<PushTarget> target =
      PushTargetFromJson(task.push_notification);
  if (!target) return;
  const bool buy = task.task_type == "media_buy_approval";
  OutboxEvent event{
      // Random per event (AdCP: a UUID v4 or as unguessable), the same on
      // every retry: it is stored with the event.
      .idempotency_key = absl::StrCat("whk_", RandomHex(16)),
      .subject = buy ? absl::StrCat("media_buy:", task.media_buy_id)
                     : absl::StrCat("creative:", task.principal_id, "/",
                                    task.creative_id),
      .task_id = task.task_id,
      .url = target->url,
      .scheme = target->scheme,
      .credentials = target->credentials};
  nlohmann::json payload = {
      {"idempotency_key", event.idempotency_key},
      {"task_id", task.task_id},
      {"task_type", buy ? "create_media_buy" : "sync_creatives"},
      {"protocol", "media-buy"},
      {"status", StatusOf(task.status)},
      {"timestamp", Rfc3339(now)}};
  if (!task.resolution.empty()) payload["message"] = task.resolution;
  nlohmann::json body = result;
  if (task.push_notification.contains("context"))
    body["context"] = task.push_notification["context"];
  payload["result"] = std::move(body);
  if (!target->token.empty()) payload["token"] = target->token;
  // Compact separators: HMAC-SHA256 receivers check the bytes on the wire.
  event.payload = payload.dump();
  WebhookOutboxStore::Enqueue(txn, event);
}

}  // namespace adcp::media_buy::tasks
