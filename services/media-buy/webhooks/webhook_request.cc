#include "services/media-buy/webhooks/webhook_request.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "libs/httpsig/request_verifier.h"
#include "services/media-buy/domain/push_notification.h"

namespace adcp::media_buy {

absl::StatusOr<http::ClientRequest> WebhookRequest(const OutboxEvent& event,
                                                   const WebhookSigningKey* key,
                                                   const std::string& secret,
                                                   absl::Time now) {
  http::ClientRequest request{.method = "POST",
                              .url = event.url,
                              .headers = {{"Content-Type", "application/json"}},
                              .body = event.payload};
  if (event.scheme == kSchemeBearer) {
    request.headers["Authorization"] = absl::StrCat("Bearer ", secret);
    return request;
  }
  if (event.scheme == kSchemeHmac) {
    const std::string timestamp = absl::StrCat(absl::ToUnixSeconds(now));
    request.headers["X-ADCP-Timestamp"] = timestamp;
    request.headers["X-ADCP-Signature"] = absl::StrCat(
        "sha256=",
        HmacSha256Hex(secret, absl::StrCat(timestamp, ".", event.payload)));
    return request;
  }
  if (key == nullptr)
    return absl::FailedPreconditionError("no webhook signing key");
  httpsig::HttpMessage message{
      .method = request.method,
      .url = request.url,
      .headers = {{"Content-Type", "application/json"}},
      .body = request.body};
  RETURN_IF_ERROR(httpsig::SignMessage(
      message, httpsig::kWebhookSigning, key->public_key, key->d,
      absl::WebSafeBase64Escape(RandomBytes(18)), now));
  for (const auto& [name, value] : message.headers)
    request.headers[name] = value;
  return request;
}

}  // namespace adcp::media_buy
