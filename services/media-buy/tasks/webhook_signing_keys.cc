#include "services/media-buy/tasks/webhook_signing_keys.h"

#include "libs/base/status.h"
#include "services/media-buy/domain/wire_values.h"

namespace adcp::media_buy::tasks {

namespace pb = ::adcp::media_buy::v1;

absl::Status GetWebhookSigningKeys(
    const TaskContext& context, const Call& call,
    const pb::GetWebhookSigningKeysRequest&,
    pb::GetWebhookSigningKeysResponse* response) {
  if (!context.options.webhook_jwks) return absl::OkStatus();
  ASSIGN_OR_RETURN(const nlohmann::json jwks,
                   context.options.webhook_jwks(call.ctx.tenant_id));
  for (const nlohmann::json& key : jwks.value("keys", nlohmann::json::array()))
    *response->add_keys() = JsonToStruct(key);
  return absl::OkStatus();
}

}  // namespace adcp::media_buy::tasks
