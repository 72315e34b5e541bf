#include "services/media-buy/tasks/webhook_deliveries.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/base/status.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/paging.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/store/webhook_store.h"

namespace adcp::media_buy::tasks {

namespace pb = ::adcp::media_buy::v1;

namespace {

pb::WebhookDelivery DeliveryToProto(const OutboxEvent& event) {
  pb::WebhookDelivery out;
  out.set_idempotency_key(event.idempotency_key);
  out.set_task_id(event.task_id);
  out.set_subject(event.subject);
  out.set_url(event.url);
  out.set_status(event.status);
  out.set_attempts(event.attempts);
  out.set_last_error(event.last_error);
  out.set_last_http_status(event.last_http_status);
  if (event.status == "pending")
    out.set_next_attempt_at(Rfc3339(event.next_attempt_at));
  out.set_created_at(Rfc3339(event.created_at));
  if (event.delivered_at) out.set_delivered_at(Rfc3339(*event.delivered_at));
  return out;
}

}  // namespace

absl::Status ListWebhookDeliveries(
    const TaskContext& context, const Call& call,
    const pb::ListWebhookDeliveriesRequest& request,
    pb::ListWebhookDeliveriesResponse* response) {
  const std::string& status = request.status();
  if (!status.empty() && status != "pending" && status != "delivered" &&
      status != "expired")
    return InvalidField("status", "must be one of pending, delivered, expired");
  ASSIGN_OR_RETURN(const int limit, ListPageSize(request.page_size()));
  int64_t before = 0;
  if (!request.page_token().empty() &&
      (!absl::SimpleAtoi(request.page_token(), &before) || before <= 0))
    return InvalidField("page_token",
                        "must be a next_page_token of an earlier answer");
  return context.pool.WithTenantTransaction(
      call.ctx.tenant_id, [&](TenantTxn& txn) -> absl::Status {
        std::vector<OutboxEvent> rows =
            WebhookOutboxStore::List(txn, status, limit + 1, before);
        const bool more = static_cast<int>(rows.size()) > limit;
        if (more) rows.resize(static_cast<size_t>(limit));
        for (const OutboxEvent& row : rows)
          *response->add_deliveries() = DeliveryToProto(row);
        if (more)
          response->set_next_page_token(absl::StrCat(rows.back().event_seq));
        return absl::OkStatus();
      });
}

}  // namespace adcp::media_buy::tasks
