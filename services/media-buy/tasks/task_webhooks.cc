#include "services/media-buy/tasks/task_webhooks.h"

#include <openssl/crypto.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "libs/base/secrets.h"
#include "services/media-buy/domain/adcp_error.h"
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

struct Payload {
  std::string task_id, task_type, subject, status, message;
  nlohmann::json result;  // the outcome, context included
};

void Enqueue(TenantTxn& txn, const PushTarget& target, Payload payload,
             absl::Time now) {
  OutboxEvent event{
      // Random per event (AdCP: a UUID v4 or as unguessable), the same on
      // every retry: it is stored with the event.
      .idempotency_key = absl::StrCat("whk_", RandomHex(16)),
      .subject = std::move(payload.subject),
      .task_id = payload.task_id,
      .url = target.url,
      .scheme = target.scheme,
      .credentials = target.sealed_credentials};
  nlohmann::json body = {{"idempotency_key", event.idempotency_key},
                         {"task_id", std::move(payload.task_id)},
                         {"task_type", std::move(payload.task_type)},
                         {"protocol", "media-buy"},
                         {"status", std::move(payload.status)},
                         {"timestamp", Rfc3339(now)}};
  if (!payload.message.empty()) body["message"] = std::move(payload.message);
  body["result"] = std::move(payload.result);
  if (!target.token.empty()) body["token"] = target.token;
  // Compact separators: HMAC-SHA256 receivers check the bytes on the wire.
  event.payload = body.dump();
  WebhookOutboxStore::Enqueue(txn, event);
}

}  // namespace

absl::Status SealPushTarget(const TaskContext& context, const Call& call,
                            PushTarget& target) {
  if (target.credentials.empty()) return absl::OkStatus();
  if (!context.options.seal_push_secret)
    return AdcpError(
        "UNSUPPORTED_FEATURE", "push_notification_config.authentication",
        "push_notification_config.authentication: the Bearer and "
        "HMAC-SHA256 schemes are not available here (their secrets are "
        "stored only sealed, and this deployment has no key to seal them); "
        "omit authentication for RFC 9421 signed webhooks");
  absl::StatusOr<std::string> sealed = context.options.seal_push_secret(
      call.ctx.tenant_id, target.url, target.credentials);
  OPENSSL_cleanse(target.credentials.data(), target.credentials.size());
  target.credentials.clear();
  if (!sealed.ok()) return sealed.status();
  target.sealed_credentials = *std::move(sealed);
  return absl::OkStatus();
}

void QueueTaskWebhook(TenantTxn& txn, const TaskRow& task,
                      const nlohmann::json& result, absl::Time now) {
  const std::optional<PushTarget> target =
      PushTargetFromJson(task.push_notification);
  if (!target) return;
  const bool buy = task.task_type == "media_buy_approval";
  nlohmann::json body = result;
  if (task.push_notification.contains("context"))
    body["context"] = task.push_notification["context"];
  Enqueue(txn, *target,
          Payload{.task_id = task.task_id,
                  .task_type = buy ? "create_media_buy" : "sync_creatives",
                  .subject = buy ? absl::StrCat("media_buy:", task.media_buy_id)
                                 : absl::StrCat("creative:", task.principal_id,
                                                "/", task.creative_id),
                  .status = StatusOf(task.status),
                  .message = task.resolution,
                  .result = std::move(body)},
          now);
}

void QueueInlineWebhook(TenantTxn& txn, const PushTarget& target,
                        const InlineOutcome& outcome, absl::Time now) {
  nlohmann::json body = outcome.result;
  if (!outcome.context.is_null()) body["context"] = outcome.context;
  Enqueue(txn, target,
          Payload{.task_id = outcome.task_id,
                  .task_type = outcome.task_type,
                  .subject = outcome.subject,
                  .status = "completed",
                  .result = std::move(body)},
          now);
}

}  // namespace adcp::media_buy::tasks
