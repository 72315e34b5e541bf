// The media-buy tasks over real gRPC against a throwaway PostgreSQL, with the
// registry and auth beside them (MediaBuyTest,
// testing/media_buy_test_fixture.h): what holds for every task: another
// tenant's or buyer's ids are NOT_FOUND like missing ones, and dry runs keep
// nothing.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/media-buy/testing/media_buy_test_fixture.h"

namespace adcp::media_buy::testing {
namespace {

TEST_F(MediaBuyTest, ForeignIdsAreIndistinguishableFromMissingOnes) {
  // buyer_a of nytimes owns a buy, a creative and (after a localnews buy) a
  // task; buyer_b of nytimes and buyer_a of localnews probe them.
  const auto buy = NytBuy();
  const std::string package_id = buy.packages(0).package_id();
  ASSERT_TRUE(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"],
                   Sync({Creative("mine", "video_30s")}))
                  .ok());
  v1::ListHumanTasksRequest all;
  auto tasks = Call(&Stub::ListHumanTasks, kNyt, tokens_["nyt_a"], all);
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks.response.tasks_size(), 1);
  const std::string task_id = tasks.response.tasks(0).task_id();
  const std::string before = DataProbe();
  const std::string kMissingBuy = "mb_00000000deadbeef";

  struct Prober {
    std::string tenant, token;
  };
  const std::vector<Prober> probers = {{kNyt, tokens_["nyt_b"]},
                                       {kLocal, tokens_["local_a"]},
                                       {kLocal, tokens_["local_admin"]}};
  // The messages may echo the id the caller sent; apart from it they match.
  auto same = [&](const auto& foreign, const auto& missing, const char* what,
                  const std::string& foreign_id,
                  const std::string& missing_id) {
    EXPECT_EQ(foreign.status.error_code(), grpc::StatusCode::NOT_FOUND) << what;
    EXPECT_EQ(foreign.status.error_code(), missing.status.error_code()) << what;
    EXPECT_EQ(foreign.error.code(), missing.error.code()) << what;
    EXPECT_EQ(foreign.error.field(), missing.error.field()) << what;
    EXPECT_EQ(absl::StrReplaceAll(foreign.status.error_message(),
                                  {{foreign_id, "<id>"}}),
              absl::StrReplaceAll(missing.status.error_message(),
                                  {{missing_id, "<id>"}}))
        << what;
  };
  for (const Prober& p : probers) {
    SCOPED_TRACE(p.tenant);
    auto with = [&](const std::string& media_buy_id) {
      v1::UpdateMediaBuyRequest request = UpdateRequest(media_buy_id);
      request.set_paused(true);
      return Call(&Stub::UpdateMediaBuy, p.tenant, p.token, request);
    };
    same(with(buy.media_buy_id()), with(kMissingBuy), "update",
         buy.media_buy_id(), kMissingBuy);

    auto get = [&](const std::string& media_buy_id) {
      v1::GetMediaBuysRequest request;
      request.add_media_buy_ids(media_buy_id);
      return Call(&Stub::GetMediaBuys, p.tenant, p.token, request);
    };
    same(get(buy.media_buy_id()), get(kMissingBuy), "get_media_buys",
         buy.media_buy_id(), kMissingBuy);

    auto delivery = [&](const std::string& media_buy_id) {
      v1::GetMediaBuyDeliveryRequest request;
      request.add_media_buy_ids(media_buy_id);
      return Call(&Stub::GetMediaBuyDelivery, p.tenant, p.token, request);
    };
    same(delivery(buy.media_buy_id()), delivery(kMissingBuy), "delivery",
         buy.media_buy_id(), kMissingBuy);

    auto feedback = [&](const std::string& media_buy_id) {
      v1::ProvidePerformanceFeedbackRequest request;
      request.set_idempotency_key(Key("probe"));
      request.set_media_buy_id(media_buy_id);
      request.mutable_measurement_period()->set_start("2027-03-02T00:00:00Z");
      request.mutable_measurement_period()->set_end("2027-03-03T00:00:00Z");
      request.set_performance_index(1);
      return Call(&Stub::ProvidePerformanceFeedback, p.tenant, p.token,
                  request);
    };
    same(feedback(buy.media_buy_id()), feedback(kMissingBuy), "feedback",
         buy.media_buy_id(), kMissingBuy);

    auto assign = [&](const std::string& package) {
      v1::SyncCreativesRequest request =
          Sync({Creative("probe", "display_300x250")});
      Assign(request, "probe", package);
      return Call(&Stub::SyncCreatives, p.tenant, p.token, request);
    };
    same(assign(package_id), assign("pkg_00000000deadbeef"), "assignment",
         package_id, "pkg_00000000deadbeef");

    auto creative_in_buy = [&](const std::string& creative_id) {
      v1::CreateMediaBuyRequest request = BuyRequest(
          Key("probe"), p.tenant == kNyt ? "nyt_display" : "local_display", 100,
          Day(1), Day(11));
      request.mutable_packages(0)->add_creative_assignments()->set_creative_id(
          creative_id);
      return Call(&Stub::CreateMediaBuy, p.tenant, p.token, request,
                  /*dry_run=*/true);
    };
    // A creative not in the caller's library is held for its upload,
    // whether another buyer has one of that id or nobody does (dry runs:
    // nothing is kept).
    const auto foreign_creative = creative_in_buy("mine");
    const auto no_creative = creative_in_buy("never-made");
    EXPECT_TRUE(foreign_creative.ok())
        << foreign_creative.status.error_message();
    EXPECT_TRUE(no_creative.ok()) << no_creative.status.error_message();
    EXPECT_EQ(foreign_creative.response.message(),
              no_creative.response.message());
    EXPECT_EQ(foreign_creative.response.status(),
              no_creative.response.status());

    auto task = [&](const std::string& id) {
      v1::GetHumanTaskRequest request;
      request.set_task_id(id);
      return Call(&Stub::GetHumanTask, p.tenant, p.token, request);
    };
    same(task(task_id), task("task_00000000deadbeef"), "get task", task_id,
         "task_00000000deadbeef");

    if (p.token == tokens_["local_admin"]) {
      auto approve = [&](const std::string& id) {
        v1::ResolveHumanTaskRequest request;
        request.set_task_id(id);
        request.set_reason("probe");
        return Call(&Stub::RejectHumanTask, p.tenant, p.token, request);
      };
      same(approve(task_id), approve("task_00000000deadbeef"), "reject task",
           task_id, "task_00000000deadbeef");
    }
  }
  // Listing tasks as another buyer shows none of buyer_a's.
  auto theirs = Call(&Stub::ListHumanTasks, kNyt, tokens_["nyt_b"], all);
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(theirs.response.tasks_size(), 0);
  // The nytimes admin sees it; localnews's admin does not.
  EXPECT_EQ(Call(&Stub::ListHumanTasks, kNyt, tokens_["nyt_admin"], all)
                .response.tasks_size(),
            1);
  EXPECT_EQ(Call(&Stub::ListHumanTasks, kLocal, tokens_["local_admin"], all)
                .response.tasks_size(),
            0);
  EXPECT_EQ(DataProbe(), before);
}

TEST_F(MediaBuyTest, DryRunAnswersAndKeepsNothing) {
  const std::string before = DataProbe();
  const int64_t audit_before = Count("SELECT count(*) FROM audit_log");
  auto preview =
      Call(&Stub::CreateMediaBuy, kNyt, tokens_["nyt_a"],
           BuyRequest(Key("dry"), "nyt_display", 1000, Day(1), Day(11)),
           /*dry_run=*/true);
  ASSERT_TRUE(preview.ok()) << preview.status.error_message();
  EXPECT_FALSE(preview.response.media_buy_id().empty());
  EXPECT_EQ(preview.response.packages_size(), 1);
  auto manual =
      Call(&Stub::CreateMediaBuy, kLocal, tokens_["local_a"],
           BuyRequest(Key("dry"), "local_display", 1000, Day(1), Day(11)),
           /*dry_run=*/true);
  ASSERT_TRUE(manual.ok()) << manual.status.error_message();
  EXPECT_EQ(manual.response.status(), "submitted");
  EXPECT_EQ(DataProbe(), before);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log"), audit_before);
  // The buy the preview named does not exist.
  v1::GetMediaBuysRequest get;
  get.add_media_buy_ids(preview.response.media_buy_id());
  EXPECT_EQ(Call(&Stub::GetMediaBuys, kNyt, tokens_["nyt_a"], get).error.code(),
            "MEDIA_BUY_NOT_FOUND");
}

// A creative assigned at create time before it is uploaded: held on its
// package, assigned when the same buyer's sync_creatives brings it; another
// buyer's creative of that id never binds.

}  // namespace
}  // namespace adcp::media_buy::testing
