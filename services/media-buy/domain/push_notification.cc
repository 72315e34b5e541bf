#include "services/media-buy/domain/push_notification.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/base/status.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/validation.h"

namespace adcp::media_buy {

namespace {

constexpr size_t kMinToken = 16, kMaxToken = 255;
constexpr size_t kMinCredentials = 32, kMaxCredentials = 4096;

bool Printable(const std::string& text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) return false;
  return true;
}

absl::Status ValidateAuthority(std::string_view url) {
  const std::string_view origin = OriginOf(url);
  const size_t slashes = origin.find("//");
  const std::string_view authority =
      slashes == std::string_view::npos ? origin : origin.substr(slashes + 2);
  if (authority.find('@') != std::string_view::npos)
    return InvalidField("push_notification_config.url",
                        "must not carry user information (user@host)");
  if (url.find('#') != std::string::npos)
    return InvalidField("push_notification_config.url",
                        "must not have a fragment");
  return absl::OkStatus();
}

}  // namespace

std::string_view OriginOf(std::string_view url) {
  const size_t start = url.find("//");
  if (start == std::string_view::npos) return url;
  return url.substr(0, url.find_first_of("/?#", start + 2));
}

absl::Status CheckWebhookUrl(std::string_view url, bool allow_http) {
  RETURN_IF_ERROR(
      ValidateCreativeUrl("push_notification_config.url", url, allow_http));
  return ValidateAuthority(url);
}

absl::StatusOr<std::optional<PushTarget>> ValidatePushNotificationConfig(
    const v1::PushNotificationConfig* config) {
  if (config == nullptr) return std::nullopt;
  PushTarget target{.url = config->url(), .token = config->token()};
  if (target.url.empty())
    return InvalidField("push_notification_config.url", "is required");
  if (target.url.size() > kMaxCreativeUrlLength)
    return InvalidField(
        "push_notification_config.url",
        absl::StrCat("must be at most ", kMaxCreativeUrlLength, " characters"));
  if (!Printable(target.url))
    return InvalidField("push_notification_config.url",
                        "must not contain spaces or control characters");
  if (!target.token.empty() &&
      (target.token.size() < kMinToken || target.token.size() > kMaxToken ||
       !Printable(target.token)))
    return InvalidField("push_notification_config.token",
                        absl::StrCat("must be ", kMinToken, " to ", kMaxToken,
                                     " printable characters without spaces"));
  if (!config->has_authentication()) {
    target.scheme = kSchemeRfc9421;
    return target;
  }
  const auto& authentication = config->authentication();
  if (authentication.schemes_size() != 1)
    return InvalidField("push_notification_config.authentication.schemes",
                        "must name exactly one scheme: Bearer or HMAC-SHA256");
  target.scheme = authentication.schemes(0);
  if (target.scheme != kSchemeBearer && target.scheme != kSchemeHmac)
    return InvalidField("push_notification_config.authentication.schemes[0]",
                        "must be Bearer or HMAC-SHA256");
  target.credentials = authentication.credentials();
  if (target.credentials.size() < kMinCredentials ||
      target.credentials.size() > kMaxCredentials ||
      !Printable(target.credentials))
    return InvalidField(
        "push_notification_config.authentication.credentials",
        absl::StrCat("must be ", kMinCredentials, " to ", kMaxCredentials,
                     " printable characters without spaces"));
  return target;
}

nlohmann::json PushTargetToJson(const PushTarget& target,
                                const nlohmann::json& context) {
  nlohmann::json stored = {{"url", target.url}, {"scheme", target.scheme}};
  if (!target.token.empty()) stored["token"] = target.token;
  if (!target.sealed_credentials.empty())
    stored["sealed_credentials"] = target.sealed_credentials;
  if (context.is_object() && !context.empty()) stored["context"] = context;
  return stored;
}

std::optional<PushTarget> PushTargetFromJson(const nlohmann::json& stored) {
  if (!stored.is_object() || !stored.contains("url")) return std::nullopt;
  return PushTarget{
      .url = stored.value("url", ""),
      .token = stored.value("token", ""),
      .scheme = stored.value("scheme", kSchemeRfc9421),
      .sealed_credentials = stored.value("sealed_credentials", "")};
}

}  // namespace adcp::media_buy
