// The fixture of the bounded-work tests (issue 19): MediaBuyTest with low
// ad-server limits (2 calls of a tenant at once, 200 ms wait, 3 calls a
// request), its ad server the mock wrapped in a scripted adapter that can
// fail or hold updates and hold delivery reports. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/media-buy/adapters/mock/mock_adapter.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/placement/ad_server_limits.h"
#include "services/media-buy/testing/media_buy_test_fixture.h"

namespace adcp::media_buy::testing {

// What the scripted ad server says when it fails: never for buyers.
inline constexpr char kUpstreamText[] = "SECRET-UPSTREAM-TEXT";

// What the scripted ad server saw and how it behaves.
struct ScriptedAdServer {
  absl::Mutex mu;
  bool fail_updates ABSL_GUARDED_BY(mu) = false;
  // Updates wait while `hold_updates` is set.
  bool hold_updates ABSL_GUARDED_BY(mu) = false;
  int held_updates ABSL_GUARDED_BY(mu) = 0;
  // Every update a tenant's adapter was asked to send (dry runs excluded).
  std::vector<AdapterUpdate> updates ABSL_GUARDED_BY(mu);
  // Delivery reports of this tenant wait while `hold` is set.
  std::string hold_tenant ABSL_GUARDED_BY(mu);
  bool hold ABSL_GUARDED_BY(mu) = false;
  int held ABSL_GUARDED_BY(mu) = 0;
  std::map<std::string, int> reports ABSL_GUARDED_BY(mu);
};

class ScriptedAdapter final : public AdServerAdapter {
 public:
  ScriptedAdapter(std::unique_ptr<AdServerAdapter> mock,
                  ScriptedAdServer* server, std::string tenant_id)
      : mock_(std::move(mock)),
        server_(server),
        tenant_id_(std::move(tenant_id)) {}

  const std::string& name() const override { return mock_->name(); }
  bool dry_run() const override { return mock_->dry_run(); }
  absl::Status CreateMediaBuy(const AdapterBuy& buy,
                              CreatedOrder& order) override {
    return mock_->CreateMediaBuy(buy, order);
  }
  absl::Status AddCreatives(
      const AdapterBuy& buy, const std::vector<AdapterCreative>& creatives,
      std::map<std::string, std::string>& uploaded) override {
    return mock_->AddCreatives(buy, creatives, uploaded);
  }
  absl::Status UpdateMediaBuy(const AdapterBuy& buy,
                              const AdapterUpdate& update) override {
    {
      absl::MutexLock lock(&server_->mu);
      if (!dry_run()) server_->updates.push_back(update);
      if (server_->hold_updates) {
        ++server_->held_updates;
        server_->mu.Await(absl::Condition(
            +[](ScriptedAdServer* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
              return !s->hold_updates;
            },
            server_));
        --server_->held_updates;
      }
      if (server_->fail_updates && !dry_run()) {
        absl::Status failed = absl::UnavailableError(
            absl::StrCat("FakeAds failed update order: HTTP 503: <b>",
                         kUpstreamText, "</b> for advertiser 9876"));
        SetUpstreamSummary(failed, "FakeAds failed update order: HTTP 503");
        return failed;
      }
    }
    return mock_->UpdateMediaBuy(buy, update);
  }
  absl::StatusOr<std::string> GetStatus(const AdapterBuy& buy) override {
    return mock_->GetStatus(buy);
  }
  absl::StatusOr<DeliveryReport> GetDelivery(const AdapterBuy& buy,
                                             absl::Time until) override {
    {
      absl::MutexLock lock(&server_->mu);
      ++server_->reports[tenant_id_];
      if (server_->hold && server_->hold_tenant == tenant_id_) {
        ++server_->held;
        server_->mu.Await(absl::Condition(
            +[](ScriptedAdServer* s)
                 ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) { return !s->hold; },
            server_));
        --server_->held;
      }
    }
    return mock_->GetDelivery(buy, until);
  }
  std::vector<std::string> Journal() const override { return mock_->Journal(); }

 private:
  std::unique_ptr<AdServerAdapter> mock_;
  ScriptedAdServer* server_;
  std::string tenant_id_;
};

class BoundedWorkTest : public MediaBuyTest {
 protected:
  void ConfigureMediaBuy(MediaBuyConfig& config) override {
    config.options.ad_server_limits = {.concurrency_per_tenant = 2,
                                       .slot_wait = absl::Milliseconds(200),
                                       .max_calls_per_request = 3};
  }

  void SetUp() override {
    MediaBuyHarness::SetUp();
    if (HasFatalFailure()) return;
    // The stand-in serves every tenant's ad server: script it.
    suite_->media_buy_server().adapters().Register(
        kMockAdapterName,
        [server = &server_](const AdapterContext& context)
            -> absl::StatusOr<std::unique_ptr<AdServerAdapter>> {
          ASSIGN_OR_RETURN(auto mock, MockAdapterFactory()(context));
          return std::make_unique<ScriptedAdapter>(std::move(mock), server,
                                                   context.tenant_id);
        });
  }

  v1::CreateMediaBuyResponse NytBuy(double budget = 1000, int packages = 2) {
    return MustCreate(kNyt, tokens_["nyt_a"],
                      BuyRequest(Key("nyt-buy"), "nyt_display", budget, Day(1),
                                 Day(11), packages));
  }

  static v1::CreativeAsset Creative(const std::string& id,
                                    const std::string& image_url,
                                    const std::string& click_url) {
    v1::CreativeAsset creative;
    creative.set_creative_id(id);
    creative.set_name("Creative " + id);
    *creative.mutable_format_id() = Format("display_300x250");
    auto& assets = *creative.mutable_assets()->mutable_fields();
    auto& image = *assets["image"].mutable_struct_value()->mutable_fields();
    image["asset_type"].set_string_value("image");
    image["url"].set_string_value(image_url);
    image["width"].set_number_value(300);
    image["height"].set_number_value(250);
    if (!click_url.empty()) {
      auto& click = *assets["click"].mutable_struct_value()->mutable_fields();
      click["asset_type"].set_string_value("url");
      click["url_type"].set_string_value("clickthrough");
      click["url"].set_string_value(click_url);
    }
    return creative;
  }

  template <typename R>
  static void ExpectInvalid(const Outcome<R>& outcome, const std::string& field,
                            const std::string& rule) {
    ASSERT_FALSE(outcome.ok()) << field;
    EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << outcome.status.error_message();
    EXPECT_EQ(outcome.error.code(), "VALIDATION_ERROR");
    EXPECT_EQ(outcome.error.field(), field) << outcome.error.message();
    EXPECT_TRUE(absl::StrContains(outcome.error.message(), field))
        << outcome.error.message();
    EXPECT_TRUE(absl::StrContains(outcome.error.message(), rule))
        << outcome.error.message();
  }

  std::vector<AdapterUpdate> Updates() {
    absl::MutexLock lock(&server_.mu);
    return server_.updates;
  }

  // A buy of localnews (manual approval) that the admin approved, so that
  // the ad server has it.
  std::string LocalPlacedBuy() {
    auto submitted =
        Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"],
             BuyRequest(Key("local"), "local_display", 500, Day(1), Day(11)));
    EXPECT_TRUE(submitted.ok()) << submitted.status.error_message();
    v1::ResolveHumanTaskRequest approve;
    approve.set_task_id(submitted.response.task_id());
    auto approved =
        Call(&Stub::ApproveHumanTask, kLocal, tokens_["local_admin"], approve);
    EXPECT_TRUE(approved.ok()) << approved.status.error_message();
    v1::GetHumanTaskRequest get;
    get.set_task_id(submitted.response.task_id());
    auto task = Call(&Stub::GetHumanTask, kLocal, tokens_["local_admin"], get);
    return task.response.media_buy_id();
  }

  static v1::GetMediaBuyDeliveryRequest DeliveryOf(
      std::vector<std::string> ids) {
    v1::GetMediaBuyDeliveryRequest request;
    for (const std::string& id : ids) request.add_media_buy_ids(id);
    return request;
  }

  ScriptedAdServer server_;
};

}  // namespace adcp::media_buy::testing
