// A buyer's push_notification_config, validated: where the webhooks of an
// operation that finishes later go, and how they are authenticated.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "libs/tenancy/tenant_config.h"
#include "nlohmann/json.hpp"

namespace adcp::media_buy {

// How a webhook proves its sender: AdCP's RFC 9421 webhook profile (the 3.0
// baseline, when the config has no `authentication`), or the deprecated
// scheme the buyer named.
inline constexpr char kSchemeRfc9421[] = "rfc9421";
inline constexpr char kSchemeBearer[] = "Bearer";
inline constexpr char kSchemeHmac[] = "HMAC-SHA256";

struct PushTarget {
  std::string url;
  std::string token;   // echoed in the payload; may be empty
  std::string scheme;  // one of the kScheme* values
  // The Bearer token or HMAC secret as the request gave it (empty for
  // 9421): held only until it is sealed, never stored or logged.
  std::string credentials;
  // The same, sealed under the deployment's KEK for the tenant and `url`
  // (webhooks/push_secrets.h): what is stored, with the task and the
  // outbox event, and opened only by the dispatcher as it sends.
  std::string sealed_credentials;
};

// Empty when the request has no push_notification_config. Refusals name
// the field (push_notification_config.token, ...) and the rule; values are
// never echoed. The URL is checked here only for presence, length (2048)
// and characters: like every URL a counterparty supplies (AdCP security),
// it is checked before each send (CheckWebhookUrl, then OutboundGuard on
// the address connected), and a refusal expires the event naming the rule.
// (AdCP's storyboard runner, without a webhook receiver, sends its
// placeholder "{{runner.webhook_url:<step>}}" and expects the task to
// succeed.)
absl::StatusOr<std::optional<PushTarget>> ValidatePushNotificationConfig(
    const v1::PushNotificationConfig* config);

// "scheme://authority" of a URL: up to the first '/', '?' or '#' after
// "//" (the whole URL when it has no "//"). The unit of the dispatcher's
// circuit breaker, and what CheckWebhookUrl reads the authority from.
std::string_view OriginOf(std::string_view url);

// The URL rules of a send: an absolute https URL (http too when
// `allow_http`, sandbox tenants) with a host, no user information and no
// fragment, at most 2048 characters. INVALID_ARGUMENT naming
// push_notification_config.url and the rule.
absl::Status CheckWebhookUrl(std::string_view url, bool allow_http);

// The push_notification_config of a request (create_media_buy,
// update_media_buy, sync_creatives), validated.
template <typename Request>
absl::StatusOr<std::optional<PushTarget>> PushTargetOf(const Request& request) {
  return ValidatePushNotificationConfig(
      request.has_push_notification_config()
          ? &request.push_notification_config()
          : nullptr);
}

// As stored with a human task (human_tasks.push_notification), with the
// request's context echoed in each webhook: the sealed secret only (a
// `credentials` in the clear is not written).
nlohmann::json PushTargetToJson(const PushTarget& target,
                                const nlohmann::json& context);
// The same, with the context of `request` (an AdCP request with an
// optional `context`), for the human task the request submits.
template <typename Request>
nlohmann::json PushTargetWithContextOf(const PushTarget& target,
                                       const Request& request) {
  return PushTargetToJson(target, request.has_context()
                                      ? StructToJson(request.context())
                                      : nlohmann::json());
}
std::optional<PushTarget> PushTargetFromJson(const nlohmann::json& stored);

}  // namespace adcp::media_buy
