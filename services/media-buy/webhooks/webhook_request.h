// The HTTP request that delivers one webhook event: a POST of the stored
// JSON body (the same bytes on every attempt) with the authentication the
// buyer's push_notification_config chose.
#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/http/client.h"
#include "services/media-buy/store/webhook_store.h"
#include "services/media-buy/webhooks/webhook_keys.h"

namespace adcp::media_buy {

// rfc9421: AdCP's webhook profile (tag adcp/webhook-signing/v1; @method,
// @target-uri, @authority, content-type, content-digest) with `key`, valid
// for five minutes from `now`. Bearer: Authorization: Bearer <secret>.
// HMAC-SHA256: X-ADCP-Timestamp and X-ADCP-Signature: sha256=<hex HMAC of
// "<timestamp>.<body>"> keyed by <secret>. `key` may be null for the legacy
// schemes; `secret` (the event's credentials, opened) is empty for rfc9421.
absl::StatusOr<http::ClientRequest> WebhookRequest(const OutboxEvent& event,
                                                   const WebhookSigningKey* key,
                                                   const std::string& secret,
                                                   absl::Time now);

}  // namespace adcp::media_buy
