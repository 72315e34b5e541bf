// Units of the media-buy service that need no database: money, the mock ad
// server's delivery, adapter selection (seed section 5), request hashing and
// the validation helpers.
#include <gtest/gtest.h>

#include <cstdlib>

#include "libs/tenancy/tenant_config.h"
#include "services/media-buy/adapters/adapter.h"
#include "services/media-buy/adapters/gam/service_account.h"
#include "services/media-buy/adapters/mock/mock_adapter.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/buy_terms.h"
#include "services/media-buy/domain/ids_and_hashes.h"
#include "services/media-buy/domain/money.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/media_buy_server.h"

namespace adcp::media_buy {
namespace {

TEST(ServiceAccountKey, FieldsOfTheWrongTypeAreErrorsNotCrashes) {
  const std::string base =
      R"({"client_email":"a@b.iam","private_key":"-----BEGIN PRIVATE KEY-----")";
  auto key = ParseServiceAccountKey(base + "}");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->token_uri, kGoogleTokenUrl);
  EXPECT_EQ(key->private_key_id, "");
  // A number where a string belongs threw out of the parser (the fuzzer's
  // find, tests/fuzz/corpus/service_account): now an error naming it.
  for (const std::string field : {"private_key_id", "token_uri"}) {
    auto wrong = ParseServiceAccountKey(base + ",\"" + field + "\":7}");
    ASSERT_FALSE(wrong.ok()) << field;
    EXPECT_NE(wrong.status().message().find(field), std::string::npos);
  }
  EXPECT_FALSE(ParseServiceAccountKey(std::string(100, '[')).ok());
}

TEST(Money, NumbersBecomeMicrosExactly) {
  EXPECT_EQ(*MicrosFromNumber("budget", 0.1), 100000);
  EXPECT_EQ(*MicrosFromNumber("budget", 12345.678901), 12345678901);
  EXPECT_EQ(*MicrosFromNumber("budget", 1e9), kMaxMicros);
  auto negative = MicrosFromNumber("packages[0].budget", -1);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(ErrorOf(negative.status()).field(), "packages[0].budget");
  EXPECT_EQ(ErrorOf(negative.status()).code(), "VALIDATION_ERROR");
  EXPECT_FALSE(MicrosFromNumber("budget", 1e9 + 1).ok());
  EXPECT_FALSE(MicrosFromNumber("budget", std::nan("")).ok());
  EXPECT_EQ(DecimalFromMicros(12345678901), "12345.678901");
  EXPECT_EQ(*MicrosFromDecimal("12345.678901"), 12345678901);
  EXPECT_EQ(*MicrosFromDecimal("-0.5"), -500000);
  EXPECT_FALSE(MicrosFromDecimal("1.0000001").ok());
  EXPECT_EQ(DisplayAmount(1000000 * kMicrosPerUnit), "1,000,000.00");
  EXPECT_EQ(DisplayAmount(12345678901), "12,345.68");
  EXPECT_EQ(DisplayAmount(999 * kMicrosPerUnit), "999.00");
  EXPECT_EQ(DisplayAmount(-1234 * kMicrosPerUnit), "-1,234.00");
}

TEST(MockAdapter, SpendCurvesArePacedAndCapped) {
  EXPECT_DOUBLE_EQ(MockSpendCurve("even", 0.25), 0.25);
  EXPECT_DOUBLE_EQ(MockSpendCurve("asap", 0.25), 0.5);
  EXPECT_DOUBLE_EQ(MockSpendCurve("asap", 0.75), 1.0);
  EXPECT_DOUBLE_EQ(MockSpendCurve("front_loaded", 0.5), 0.75);
  EXPECT_DOUBLE_EQ(MockSpendCurve("even", 2.0), 1.0);
  EXPECT_DOUBLE_EQ(MockSpendCurve("even", -1.0), 0.0);
}

AdapterBuy TenDayBuy() {
  AdapterBuy buy{.tenant_id = "t",
                 .media_buy_id = "mb_1",
                 .principal_id = "p",
                 .currency = "USD",
                 .start_time = absl::FromUnixSeconds(1'800'000'000),
                 .end_time = absl::FromUnixSeconds(1'800'000'000 + 864000)};
  buy.packages.push_back({.package_id = "pkg_1",
                          .pricing_model = "cpm",
                          .budget = 1000 * kMicrosPerUnit,
                          .rate = 20 * kMicrosPerUnit});
  buy.packages.push_back({.package_id = "pkg_2",
                          .pricing_model = "cpc",
                          .budget = 1000 * kMicrosPerUnit,
                          .rate = 2 * kMicrosPerUnit,
                          .pacing = "front_loaded"});
  return buy;
}

TEST(MockAdapter, DeliveryIsAFunctionOfTheFlightAndTheClock) {
  AdapterContext context{.tenant_id = "t", .principal_id = "p"};
  auto adapter = *MockAdapterFactory()(context);
  const AdapterBuy buy = TenDayBuy();
  auto half = *adapter->GetDelivery(buy, buy.start_time + absl::Hours(120));
  ASSERT_EQ(half.packages.size(), 2u);
  EXPECT_EQ(half.packages[0].spend, 500 * kMicrosPerUnit);
  EXPECT_EQ(half.packages[0].impressions, 25000);  // 500 at a 20 CPM
  EXPECT_EQ(half.packages[0].clicks, 30);
  EXPECT_DOUBLE_EQ(half.packages[0].pacing_index, 1.0);
  EXPECT_EQ(half.packages[0].delivery_status, "delivering");
  EXPECT_EQ(half.packages[1].spend, 750 * kMicrosPerUnit);
  EXPECT_EQ(half.packages[1].clicks, 375);  // 750 at 2 per click
  // Same inputs, same answer; before the flight nothing.
  auto again = *adapter->GetDelivery(buy, buy.start_time + absl::Hours(120));
  EXPECT_EQ(again.packages[1].impressions, half.packages[1].impressions);
  auto before = *adapter->GetDelivery(buy, buy.start_time - absl::Hours(1));
  EXPECT_EQ(before.packages[0].spend, 0);
  EXPECT_EQ(before.packages[0].delivery_status, "");
  auto after = *adapter->GetDelivery(buy, buy.end_time + absl::Hours(1));
  EXPECT_EQ(after.packages[0].spend, 1000 * kMicrosPerUnit);
  EXPECT_EQ(after.packages[0].delivery_status, "completed");
  // A pause freezes delivery where it happened.
  AdapterBuy paused = buy;
  paused.paused = true;
  paused.paused_at = buy.start_time + absl::Hours(24);
  auto frozen = *adapter->GetDelivery(paused, buy.end_time);
  EXPECT_EQ(frozen.packages[0].spend, 100 * kMicrosPerUnit);
}

TEST(MockAdapter, DryRunRecordsEveryCall) {
  AdapterContext context{
      .tenant_id = "t", .principal_id = "p", .dry_run = true};
  auto adapter = *MockAdapterFactory()(context);
  EXPECT_TRUE(adapter->dry_run());
  const AdapterBuy buy = TenDayBuy();
  CreatedOrder order;
  ASSERT_TRUE(adapter->CreateMediaBuy(buy, order).ok());
  EXPECT_EQ(order.order_id, "mock-order-mb_1");
  EXPECT_EQ(order.line_ids.at("pkg_2"), "mock-line-pkg_2");
  ASSERT_TRUE(adapter->UpdateMediaBuy(buy, {.paused = true}).ok());
  const auto journal = adapter->Journal();
  ASSERT_EQ(journal.size(), 4u);  // order, two lines, update
  EXPECT_EQ(journal[0].rfind("create_order mock-order-mb_1", 0), 0u);
  EXPECT_NE(journal[3].find("pause"), std::string::npos);
}

tenant::v1::Tenant TenantWith(const std::string& config_json) {
  tenant::v1::Tenant tenant;
  tenant.set_tenant_id("acme");
  tenant.set_name("Acme Media");
  auto parsed = ParseConfigDocument(nlohmann::json::parse(config_json));
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  *tenant.mutable_config() = *parsed;
  return tenant;
}

TEST(AdapterRegistry, SelectsMergesAndRefusesDisabledAdapters) {
  AdapterRegistry registry([] { return absl::UnixEpoch(); });
  nlohmann::json seen;
  registry.Register("kevel",
                    [&](const AdapterContext& context)
                        -> absl::StatusOr<std::unique_ptr<AdServerAdapter>> {
                      seen = context.config;
                      return MockAdapterFactory()(context);
                    });
  registry.Register("mock", MockAdapterFactory());
  registry.SetBaseConfig(
      {{"kevel",
        {{"base_url", "https://api.kevel.co"}, {"timeout_ms", 5000}}}});
  const auto tenant = TenantWith(
      R"({"adapters":{"kevel":{"enabled":true,"network_id":"789",
          "manual_approval_required":true},"mock":{"enabled":true}}})");
  const TenantConfigView view(tenant.config());
  EXPECT_EQ(*registry.SelectedName(view), "kevel");
  EXPECT_TRUE(AdapterRegistry::ManualApprovalRequired(view, "kevel"));
  EXPECT_FALSE(AdapterRegistry::ManualApprovalRequired(view, "mock"));
  ASSERT_TRUE(registry.GetAdapter(tenant, view, "kevel", "p", {}, false).ok());
  EXPECT_EQ(seen["base_url"], "https://api.kevel.co");
  EXPECT_EQ(seen["network_id"], "789");
  EXPECT_EQ(seen["manual_approval_required"], true);
  auto disabled =
      registry.GetAdapter(tenant, view, "google_ad_manager", "p", {}, false);
  ASSERT_FALSE(disabled.ok());
  EXPECT_EQ(disabled.status().message(),
            "Adapter google_ad_manager not enabled for tenant Acme Media");
  // Without an implementation, a stand-in serves when configured.
  const auto gam = TenantWith(
      R"({"adapters":{"google_ad_manager":{"enabled":true,"network_code":"1"}}})");
  const TenantConfigView gam_view(gam.config());
  EXPECT_EQ(
      registry.GetAdapter(gam, gam_view, "google_ad_manager", "p", {}, false)
          .status()
          .code(),
      absl::StatusCode::kUnavailable);
  registry.SetStandIn("mock");
  EXPECT_TRUE(
      registry.GetAdapter(gam, gam_view, "google_ad_manager", "p", {}, false)
          .ok());
  EXPECT_FALSE(
      registry.SelectedName(TenantConfigView(TenantWith("{}").config())).ok());
}

TEST(TaskSupport, RequestHashIgnoresKeyAndContextOnly) {
  v1::CreateMediaBuyRequest a;
  a.set_idempotency_key("key-aaaaaaaaaaaaaaaa");
  a.add_packages()->set_budget(10);
  (*a.mutable_context()->mutable_fields())["x"].set_number_value(1);
  v1::CreateMediaBuyRequest b = a;
  b.set_idempotency_key("key-bbbbbbbbbbbbbbbb");
  b.clear_context();
  EXPECT_EQ(RequestHash(a), RequestHash(b));
  b.mutable_packages(0)->set_budget(11);
  EXPECT_NE(RequestHash(a), RequestHash(b));
  EXPECT_EQ(RequestHash(a).size(), 64u);
}

TEST(TaskSupport, ValidationHelpersNameTheField) {
  EXPECT_TRUE(ValidateIdempotencyKey("abcdefghijklmnop").ok());
  EXPECT_EQ(ErrorOf(ValidateIdempotencyKey("short")).field(),
            "idempotency_key");
  EXPECT_FALSE(ValidateIdempotencyKey("has spaces in it 1234").ok());
  EXPECT_EQ(
      ErrorOf(ParseTime("start_time", "2027-13-01T00:00:00Z").status()).field(),
      "start_time");
  EXPECT_EQ(*ParseTime("t", "2027-03-01T05:00:00+05:00"),
            absl::FromUnixSeconds(1803859200));
  EXPECT_EQ(ErrorOf(ParseDate("end_date", "2027-02-30").status()).field(),
            "end_date");
  v1::FormatId bad;
  bad.set_agent_url("https://creative.adcontextprotocol.org");
  bad.set_id("bad id");
  EXPECT_EQ(ErrorOf(ValidateFormatId("format_id", bad)).field(),
            "format_id.id");
  EXPECT_EQ(FlightDays(absl::UnixEpoch(), absl::UnixEpoch() + absl::Hours(1)),
            1);
  EXPECT_EQ(FlightDays(absl::UnixEpoch(), absl::UnixEpoch() + absl::Hours(240)),
            10);
  EXPECT_EQ(FlightDays(absl::UnixEpoch(), absl::UnixEpoch() + absl::Hours(241)),
            11);
}

TEST(AdcpErrors, CodesMapToStatusAndRecovery) {
  const absl::Status status = AdcpError("MEDIA_BUY_NOT_FOUND", "media_buy_id",
                                        "media_buy_id: no such media buy");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  const v1::Error error = ErrorOf(status);
  EXPECT_EQ(error.recovery(), "correctable");
  EXPECT_EQ(
      ErrorOf(AdcpError("IDEMPOTENCY_CONFLICT", "k", "k: used")).recovery(),
      "correctable");
  EXPECT_EQ(ErrorOf(absl::UnavailableError("db down")).code(),
            "SERVICE_UNAVAILABLE");
  EXPECT_EQ(ErrorOf(absl::UnavailableError("db down")).recovery(), "transient");
}

// ./dev up's media-buy settings (the real adapters, dry_run without
// credentials, the secrets directory) and their bounds.
TEST(MediaBuyConfigFromEnv, ReadsTheAdapterSettings) {
  setenv("DATABASE_URL", "postgresql://app@127.0.0.1/adcp", 1);
  setenv("ADCP_INTERNAL_TOKEN", "internal-token-for-the-test", 1);
  setenv("MEDIA_BUY_ADAPTER_STAND_IN", "", 1);
  setenv("MEDIA_BUY_ADAPTER_BASE_CONFIG", R"({"kevel":{"priority_id":"7"}})",
         1);
  setenv("ADAPTER_SECRETS_DIR", "/var/run/adcp/adapter-credentials", 1);
  setenv("MEDIA_BUY_ADAPTER_DRY_RUN_WITHOUT_CREDENTIALS", "true", 1);
  setenv("MEDIA_BUY_ADAPTER_TIMEOUT_SECONDS", "5", 1);
  setenv("MEDIA_BUY_ADAPTER_BREAKER_COOLDOWN_SECONDS", "60", 1);
  auto config = MediaBuyConfigFromEnv();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->adapter_stand_in.empty());
  EXPECT_EQ(config->adapter_base_config["kevel"]["priority_id"], "7");
  EXPECT_EQ(config->adapter_secrets_dir, "/var/run/adcp/adapter-credentials");
  EXPECT_TRUE(config->adapter_dry_run_without_credentials);
  EXPECT_EQ(config->adapter_policy.timeout, absl::Seconds(5));
  EXPECT_EQ(config->adapter_policy.max_attempts, 3);
  EXPECT_EQ(config->adapter_policy.breaker_cooldown, absl::Seconds(60));

  setenv("MEDIA_BUY_ADAPTER_TIMEOUT_SECONDS", "0", 1);
  auto refused = MediaBuyConfigFromEnv();
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(
      refused.status().message().find("MEDIA_BUY_ADAPTER_TIMEOUT_SECONDS"),
      std::string::npos)
      << refused.status();
  unsetenv("MEDIA_BUY_ADAPTER_TIMEOUT_SECONDS");
  setenv("MEDIA_BUY_ADAPTER_STAND_IN", "kevel", 1);
  EXPECT_FALSE(MediaBuyConfigFromEnv().ok());
  for (const char* name :
       {"DATABASE_URL", "ADCP_INTERNAL_TOKEN", "MEDIA_BUY_ADAPTER_STAND_IN",
        "MEDIA_BUY_ADAPTER_BASE_CONFIG", "ADAPTER_SECRETS_DIR",
        "MEDIA_BUY_ADAPTER_DRY_RUN_WITHOUT_CREDENTIALS",
        "MEDIA_BUY_ADAPTER_BREAKER_COOLDOWN_SECONDS"})
    unsetenv(name);
}

// The ad-server bounds (issue 19): defaults, values and their ranges.
TEST(MediaBuyConfigFromEnv, ReadsTheAdServerBounds) {
  setenv("DATABASE_URL", "postgresql://app@127.0.0.1/adcp", 1);
  setenv("ADCP_INTERNAL_TOKEN", "internal-token-for-the-test", 1);
  auto defaults = MediaBuyConfigFromEnv();
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->options.ad_server_limits.concurrency_per_tenant, 4);
  EXPECT_EQ(defaults->options.ad_server_limits.slot_wait, absl::Seconds(1));
  EXPECT_EQ(defaults->options.ad_server_limits.max_calls_per_request, 200);
  EXPECT_EQ(defaults->options.ad_server_limits.max_http_requests_per_request,
            1000);

  setenv("MEDIA_BUY_ADAPTER_CONCURRENCY_PER_TENANT", "8", 1);
  setenv("MEDIA_BUY_ADAPTER_SLOT_WAIT_MS", "250", 1);
  setenv("MEDIA_BUY_MAX_AD_SERVER_CALLS_PER_REQUEST", "50", 1);
  setenv("MEDIA_BUY_MAX_AD_SERVER_HTTP_REQUESTS_PER_REQUEST", "400", 1);
  auto set = MediaBuyConfigFromEnv();
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->options.ad_server_limits.concurrency_per_tenant, 8);
  EXPECT_EQ(set->options.ad_server_limits.slot_wait, absl::Milliseconds(250));
  EXPECT_EQ(set->options.ad_server_limits.max_calls_per_request, 50);
  EXPECT_EQ(set->options.ad_server_limits.max_http_requests_per_request, 400);

  for (const auto& [name, bad] :
       std::vector<std::pair<const char*, const char*>>{
           {"MEDIA_BUY_ADAPTER_CONCURRENCY_PER_TENANT", "0"},
           {"MEDIA_BUY_ADAPTER_SLOT_WAIT_MS", "-1"},
           {"MEDIA_BUY_MAX_AD_SERVER_CALLS_PER_REQUEST", "0"},
           {"MEDIA_BUY_MAX_AD_SERVER_HTTP_REQUESTS_PER_REQUEST", "0"}}) {
    const std::string good = std::getenv(name);
    setenv(name, bad, 1);
    auto refused = MediaBuyConfigFromEnv();
    EXPECT_FALSE(refused.ok()) << name;
    EXPECT_NE(refused.status().message().find(name), std::string::npos)
        << refused.status();
    setenv(name, good.c_str(), 1);
  }
  for (const char* name : {"DATABASE_URL", "ADCP_INTERNAL_TOKEN",
                           "MEDIA_BUY_ADAPTER_CONCURRENCY_PER_TENANT",
                           "MEDIA_BUY_ADAPTER_SLOT_WAIT_MS",
                           "MEDIA_BUY_MAX_AD_SERVER_CALLS_PER_REQUEST",
                           "MEDIA_BUY_MAX_AD_SERVER_HTTP_REQUESTS_PER_REQUEST"})
    unsetenv(name);
}

}  // namespace
}  // namespace adcp::media_buy
