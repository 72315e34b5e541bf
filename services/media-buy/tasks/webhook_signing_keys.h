// The tenant's published webhook-signing keys (AdCP's RFC 9421 webhook
// profile): public data, which the agent edge serves as the tenant's JWKS.
#pragma once

#include "adcp/media_buy/v1/media_buy.pb.h"
#include "services/media-buy/tasks/task_context.h"

namespace adcp::media_buy::tasks {

Task<v1::GetWebhookSigningKeysRequest, v1::GetWebhookSigningKeysResponse>
    GetWebhookSigningKeys;

}  // namespace adcp::media_buy::tasks
