// push_notification_config validation: each refusal names its field and
// rule and never echoes the value.
#include "services/media-buy/domain/push_notification.h"

#include <gtest/gtest.h>

#include <string>

namespace adcp::media_buy {
namespace {

v1::PushNotificationConfig Config(const std::string& url) {
  v1::PushNotificationConfig config;
  config.set_url(url);
  return config;
}

std::string Refusal(const v1::PushNotificationConfig& config) {
  auto target = ValidatePushNotificationConfig(&config);
  return target.ok() ? "" : std::string(target.status().message());
}

// What a send refuses (CheckWebhookUrl), "" when it may go.
std::string UrlRefusal(const std::string& url, bool allow_http = false) {
  return std::string(CheckWebhookUrl(url, allow_http).message());
}

TEST(PushNotificationConfigTest, NoConfigIsNoTarget) {
  auto target = ValidatePushNotificationConfig(nullptr);
  ASSERT_TRUE(target.ok());
  EXPECT_FALSE(target->has_value());
}

TEST(PushNotificationConfigTest, WithoutAuthenticationWebhooksAreSigned) {
  auto config = Config("https://buyer.example/hooks/op_1");
  config.set_token("abcdefghijklmnop");
  auto target = ValidatePushNotificationConfig(&config);
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ((*target)->scheme, kSchemeRfc9421);
  EXPECT_EQ((*target)->token, "abcdefghijklmnop");
  EXPECT_TRUE((*target)->credentials.empty());
}

TEST(PushNotificationConfigTest, TheUrlIsRequiredBoundedAndPrintable) {
  EXPECT_NE(Refusal(Config(""))
                .find("push_notification_config.url: is "
                      "required"),
            std::string::npos);
  EXPECT_NE(Refusal(Config("https://buyer.example/" + std::string(2100, 'a')))
                .find("at most 2048"),
            std::string::npos);
  EXPECT_NE(Refusal(Config("https://buyer.example/a b")).find("spaces"),
            std::string::npos);
  // The storyboard runner's placeholder is taken; its sends are refused.
  EXPECT_EQ(Refusal(Config("{{runner.webhook_url:create_media_buy_initial}}")),
            "");
  EXPECT_NE(UrlRefusal("{{runner.webhook_url:create_media_buy_initial}}")
                .find("this has no scheme"),
            std::string::npos);
}

TEST(PushNotificationConfigTest, ASendGoesToHttpsWithAHostAndNoUserInfo) {
  EXPECT_EQ(UrlRefusal("https://buyer.example/h"), "");
  EXPECT_NE(UrlRefusal("http://buyer.example/h")
                .find("push_notification_config.url: must be an absolute "
                      "https URL"),
            std::string::npos);
  EXPECT_EQ(UrlRefusal("http://buyer.example/h", /*allow_http=*/true), "");
  EXPECT_NE(UrlRefusal("ftp://buyer.example/h").find("not ftp:"),
            std::string::npos);
  EXPECT_NE(UrlRefusal("https:///h").find("with a host"), std::string::npos);
  EXPECT_NE(UrlRefusal("https://user:secret@buyer.example/h")
                .find("user information"),
            std::string::npos);
  EXPECT_EQ(UrlRefusal("https://user:secret@buyer.example/h").find("secret"),
            std::string::npos);
  EXPECT_NE(UrlRefusal("https://buyer.example/h#f").find("fragment"),
            std::string::npos);
}

TEST(PushNotificationConfigTest, TheOriginIsSchemeAndAuthority) {
  EXPECT_EQ(OriginOf("https://hooks.example:8443/a/b?c#d"),
            "https://hooks.example:8443");
  EXPECT_EQ(OriginOf("https://hooks.example?x"), "https://hooks.example");
  EXPECT_EQ(OriginOf("https://hooks.example"), "https://hooks.example");
  EXPECT_EQ(OriginOf("no-scheme"), "no-scheme");
}

TEST(PushNotificationConfigTest, TokenAndCredentialsHaveAdcpsLimits) {
  auto config = Config("https://buyer.example/h");
  config.set_token("short");
  EXPECT_NE(Refusal(config).find("push_notification_config.token: must be 16 "
                                 "to 255"),
            std::string::npos);
  config.set_token(std::string(16, 't'));
  config.mutable_authentication()->add_schemes("Bearer");
  config.mutable_authentication()->set_credentials(std::string(31, 'c'));
  EXPECT_NE(Refusal(config).find(
                "push_notification_config.authentication.credentials: must "
                "be 32 to 4096"),
            std::string::npos);
  config.mutable_authentication()->set_credentials(std::string(32, 'c'));
  auto target = ValidatePushNotificationConfig(&config);
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ((*target)->scheme, kSchemeBearer);
  config.mutable_authentication()->set_schemes(0, "Basic");
  EXPECT_NE(Refusal(config).find("schemes[0]: must be Bearer or HMAC-SHA256"),
            std::string::npos);
  config.mutable_authentication()->add_schemes("HMAC-SHA256");
  EXPECT_NE(Refusal(config).find("exactly one scheme"), std::string::npos);
}

TEST(PushNotificationConfigTest, StoredFormRoundTrips) {
  PushTarget target{.url = "https://b.example/h",
                    .token = std::string(16, 't'),
                    .scheme = kSchemeHmac,
                    .credentials = std::string(32, 'c'),
                    .sealed_credentials = "v1.k1.wrapped.sealed"};
  const nlohmann::json stored =
      PushTargetToJson(target, {{"correlation_id", "c1"}});
  EXPECT_EQ(stored["context"]["correlation_id"], "c1");
  // Only the sealed secret is stored.
  EXPECT_FALSE(stored.contains("credentials"));
  EXPECT_EQ(stored.dump().find(target.credentials), std::string::npos);
  auto back = PushTargetFromJson(stored);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->url, target.url);
  EXPECT_EQ(back->scheme, target.scheme);
  EXPECT_EQ(back->sealed_credentials, target.sealed_credentials);
  EXPECT_TRUE(back->credentials.empty());
  EXPECT_FALSE(PushTargetFromJson(nlohmann::json()).has_value());
}

}  // namespace
}  // namespace adcp::media_buy
