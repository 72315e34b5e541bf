// The Kevel adapter's test fixture: the adapter against a fake Kevel on a
// local socket (HappyKevel creates what it is asked to), a fixed clock, and
// retries whose sleeps are recorded. Test-only.
#pragma once

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "services/media-buy/adapters/kevel/kevel_adapter.h"
#include "services/media-buy/adapters/upstream.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/placement/ad_server_limits.h"
#include "services/media-buy/testing/ad_server_scripts.h"
#include "services/media-buy/testing/adapter_fixtures.h"
#include "services/media-buy/testing/fake_ad_server.h"

namespace adcp::media_buy::kevel_test {

using json = nlohmann::json;
using testing::FakeAdServer;
using testing::FakeAnswer;
using testing::RecordedRequest;

inline constexpr char kKey[] = "KEVEL-KEY-do-not-log-7f3a";

inline FakeAnswer Json(const json& body, int status = 200) {
  return testing::JsonAnswer(body.dump(), status);
}

using testing::HappyKevel;

class KevelAdapterTest : public ::testing::Test {
 protected:
  KevelAdapterTest() : server_(HappyKevel) {
    deps_.transport = CurlHttpTransport();
    deps_.breakers = std::make_shared<CircuitBreakers>([this] { return now_; });
    deps_.secrets = FixedSecretStore({{"kevel-test", kKey}});
    deps_.policy.timeout = absl::Milliseconds(300);
    deps_.policy.max_attempts = 3;
    deps_.policy.initial_backoff = absl::Milliseconds(5);
    deps_.policy.breaker_threshold = 3;
    deps_.sleep = [this](absl::Duration d) { sleeps_.push_back(d); };
  }

  AdapterContext Context(bool dry_run = false) {
    AdapterContext context = testing::KevelContext(
        server_.base_url(), "kevel-test", [this] { return now_; });
    context.dry_run = dry_run;
    return context;
  }

  std::unique_ptr<AdServerAdapter> Adapter(const AdapterContext& context) {
    auto adapter = KevelAdapterFactory(deps_)(context);
    EXPECT_TRUE(adapter.ok()) << adapter.status();
    return adapter.ok() ? *std::move(adapter) : nullptr;
  }

  static AdapterBuy Buy() {
    AdapterBuy buy = testing::JanuaryBuy("localnews");
    buy.packages.push_back({.package_id = "pkg_1",
                            .product_id = "display",
                            .pricing_model = "cpm",
                            .budget = 5000 * kMicrosPerUnit,
                            .rate = 12500000});
    buy.packages.push_back({.package_id = "pkg_2",
                            .product_id = "native",
                            .pricing_model = "flat_rate",
                            .budget = 1500 * kMicrosPerUnit,
                            .impressions_goal = 100000});
    return buy;
  }

  std::vector<RecordedRequest> Requests(const std::string& method,
                                        const std::string& target) {
    std::vector<RecordedRequest> out;
    for (const auto& r : server_.requests())
      if (r.method == method && r.target == target) out.push_back(r);
    return out;
  }

  absl::Time now_ = absl::FromUnixSeconds(1768435200);  // 2026-01-15
  FakeAdServer server_;
  AdapterDeps deps_;
  std::vector<absl::Duration> sleeps_;
};

}  // namespace adcp::media_buy::kevel_test
