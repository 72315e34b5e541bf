// The Kevel adapter when Kevel refuses or fails: refusals mapped and not
// retried, Kevel's words kept from buyers, the per-request limit of HTTP
// requests, retries with backoff, and the circuit breaker.
#include <gtest/gtest.h>

#include "services/media-buy/adapters/kevel/kevel_adapter_test_fixture.h"

namespace adcp::media_buy::kevel_test {
namespace {

TEST_F(KevelAdapterTest, RefusalIsMappedAndNotRetried) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.method == "POST" && r.target == "/v1/campaign")
      return Json({{"message", "This advertiser is not part of your network"}},
                  400);
    return HappyKevel(r);
  });
  CreatedOrder order;
  absl::Status refused = Adapter(Context())->CreateMediaBuy(Buy(), order);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(),
            "Kevel refused create campaign for mb_1: HTTP 400: This advertiser "
            "is not part of your network");
  EXPECT_EQ(order.failed_step, "create_campaign");
  EXPECT_FALSE(order.upstream.contains("uncertain"));  // surely not created
  EXPECT_EQ(Requests("POST", "/v1/campaign").size(), 1u);

  server_.SetScript([](const RecordedRequest& r) {
    return Json({{"message", "Invalid API key"}}, 401);
  });
  absl::Status denied =
      Adapter(Context())->UpdateMediaBuy(Buy(), {.paused = true});
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied) << denied;
}

// The status keeps Kevel's words for the logs; the summary the service may
// show a buyer names only the server, the operation and the HTTP status.
TEST_F(KevelAdapterTest, TheBuyerSafeSummaryLeavesKevelsWordsOut) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.method == "POST" && r.target == "/v1/campaign")
      return Json({{"message", "<script>advertiser 31337 is blocked"}}, 400);
    if (r.method == "POST" && r.target == "/v1/flight")
      return Json({{"message", "flight db 10.0.0.7 down"}}, 503);
    return HappyKevel(r);
  });
  CreatedOrder order;
  absl::Status refused = Adapter(Context())->CreateMediaBuy(Buy(), order);
  EXPECT_TRUE(absl::StrContains(refused.message(), "31337"));
  EXPECT_EQ(UpstreamSummary(refused),
            "Kevel refused create campaign for mb_1: HTTP 400");

  server_.SetScript([](const RecordedRequest& r) {
    if (r.method == "POST" && r.target == "/v1/flight")
      return Json({{"message", "flight db 10.0.0.7 down"}}, 503);
    return HappyKevel(r);
  });
  CreatedOrder second;
  absl::Status failed = Adapter(Context())->CreateMediaBuy(Buy(), second);
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(UpstreamSummary(failed),
            "Kevel failed create flight for package pkg_1: HTTP 503");
  EXPECT_FALSE(absl::StrContains(UpstreamSummary(failed), "10.0.0.7"));
}

// One request's HTTP requests to the ad server are bounded (retries and
// report polls included): the one past the limit is not sent.
TEST_F(KevelAdapterTest, ARequestSendsAtMostItsLimitOfHttpRequests) {
  AdServerSession session(/*bulkhead=*/nullptr, "localnews",
                          /*max_calls=*/10, /*max_http_requests=*/2);
  std::unique_ptr<AdServerAdapter> adapter =
      GuardAdapter(Adapter(Context()), &session);
  CreatedOrder order;
  absl::Status stopped = adapter->CreateMediaBuy(Buy(), order);
  EXPECT_EQ(stopped.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasAdcpError(stopped));
  EXPECT_TRUE(absl::StrContains(stopped.message(), "more than 2 requests"))
      << stopped.message();
  EXPECT_EQ(server_.requests().size(), 2u);
  EXPECT_EQ(session.http_requests(), 2);
  // Not sent, so not uncertain: a retry creates it without a lookup.
  EXPECT_FALSE(order.failed_step.empty());
  EXPECT_FALSE(order.upstream.contains("uncertain"));
  // Outside a guarded operation nothing is counted.
  EXPECT_TRUE(ChargeUpstreamHttpRequest("anything").ok());
}

TEST_F(KevelAdapterTest, IdempotentCallsAreRetriedWithBackoff) {
  std::atomic<int> reads{0};
  server_.SetScript([&reads](const RecordedRequest& r) {
    if (r.method == "GET" && r.target == "/v1/campaign/9") {
      const int n = reads++;
      if (n == 0) return FakeAnswer{.hang = true};  // a timeout
      if (n == 1) return Json({{"message", "busy"}}, 502);
    }
    return HappyKevel(r);
  });
  AdapterBuy buy = Buy();
  buy.order_id = "9";
  ASSERT_TRUE(Adapter(Context())->UpdateMediaBuy(buy, {.paused = true}).ok());
  server_.Release();
  EXPECT_EQ(Requests("GET", "/v1/campaign/9").size(), 3u);
  ASSERT_EQ(sleeps_.size(), 2u);
  EXPECT_EQ(sleeps_[0], absl::Milliseconds(5));
  EXPECT_EQ(sleeps_[1], absl::Milliseconds(10));
}

TEST_F(KevelAdapterTest, CircuitBreakerOpensPerTenantAndAdapter) {
  server_.SetScript([](const RecordedRequest&) {
    return Json({{"message", "down"}}, 500);
  });
  AdapterBuy buy = Buy();
  buy.order_id = "9";
  deps_.policy.max_attempts = 1;
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(Adapter(Context())->GetStatus(buy).ok());
  EXPECT_EQ(deps_.breakers->State("localnews/kevel"), "open");
  server_.Clear();
  absl::StatusOr<std::string> shed = Adapter(Context())->GetStatus(buy);
  EXPECT_EQ(shed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(shed.status().message(), "circuit breaker"));
  EXPECT_TRUE(server_.requests().empty());

  // Another tenant's breaker is its own.
  AdapterContext other = Context();
  other.tenant_id = "othernews";
  server_.SetScript(HappyKevel);
  EXPECT_TRUE(Adapter(other)->GetStatus(buy).ok());

  // After the cooldown one trial call goes through and closes it.
  now_ += deps_.policy.breaker_cooldown;
  EXPECT_TRUE(Adapter(Context())->GetStatus(buy).ok());
  EXPECT_EQ(deps_.breakers->State("localnews/kevel"), "closed");
}

}  // namespace
}  // namespace adcp::media_buy::kevel_test
