#include "services/media-buy/testing/adapter_fixtures.h"

namespace adcp::media_buy::testing {

AdapterBuy JanuaryBuy(const std::string& tenant_id) {
  return AdapterBuy{
      .tenant_id = tenant_id,
      .media_buy_id = "mb_1",
      .principal_id = "buyer_a",
      .currency = "USD",
      .start_time = absl::FromUnixSeconds(1767225600),  // 2026-01-01
      .end_time = absl::FromUnixSeconds(1769904000)};   // 2026-02-01
}

AdapterContext KevelContext(const std::string& base_url,
                            const std::string& key_secret, Clock clock) {
  return AdapterContext{
      .tenant_id = "localnews",
      .tenant_name = "Local News",
      .principal_id = "buyer_a",
      .principal_mappings = {{"kevel", {{"advertiser_id", "42"}}}},
      .config = {{"enabled", true},
                 {"network_id", "789"},
                 {"api_key_secret", key_secret},
                 {"priority_id", "7"},
                 {"ad_type_id", "5"},
                 {"base_url", base_url},
                 {"report_poll_interval_ms", 1}},
      .clock = std::move(clock)};
}

AdapterContext GamContext(const std::string& base_url,
                          const std::string& key_secret, Clock clock) {
  return AdapterContext{
      .tenant_id = "nytimes",
      .tenant_name = "The New York Times",
      .principal_id = "buyer_a",
      .principal_mappings = {{"google_ad_manager", {{"company_id", "555"}}}},
      .config = {{"enabled", true},
                 {"network_code", "123456"},
                 {"trafficker_id", "777"},
                 {"service_account_key_secret", key_secret},
                 {"ad_unit_ids", {"2001"}},
                 {"creative_sizes", {"300x250", "728x90"}},
                 {"endpoint", base_url},
                 {"token_url", base_url + "/token"},
                 {"report_poll_interval_ms", 1}},
      .clock = std::move(clock)};
}

}  // namespace adcp::media_buy::testing
