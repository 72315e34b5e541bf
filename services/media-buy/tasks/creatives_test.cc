// The media-buy tasks over real gRPC against a throwaway PostgreSQL, with the
// registry and auth beside them (MediaBuyTest,
// testing/media_buy_test_fixture.h): sync_creatives and list_creatives.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/media-buy/testing/media_buy_test_fixture.h"

namespace adcp::media_buy::testing {
namespace {

TEST_F(MediaBuyTest, CreativesAreAutoApprovedOrWaitForReview) {
  const auto buy = NytBuy();
  const std::string package_id = buy.packages(0).package_id();
  v1::SyncCreativesRequest request =
      Sync({Creative("banner-1", "display_300x250"),
            Creative("video-1", "video_30s")});
  Assign(request, "banner-1", package_id);
  Assign(request, "video-1", package_id);
  schemas_.Add("creative/sync-creatives-request.json", "request", request);
  auto synced = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(synced.ok()) << synced.status.error_message();
  schemas_.Add("creative/sync-creatives-response.json", "synced",
               synced.response);
  ASSERT_EQ(synced.response.creatives_size(), 2);
  const auto& banner = synced.response.creatives(0);
  EXPECT_EQ(banner.action(), "created");
  EXPECT_EQ(banner.status(), "approved");
  EXPECT_EQ(banner.platform_id(), "mock-creative-banner-1");
  EXPECT_EQ(banner.assigned_to_size(), 1);
  const auto& video = synced.response.creatives(1);
  EXPECT_EQ(video.status(), "pending_review");
  EXPECT_TRUE(video.platform_id().empty());
  // The buy now has an approved creative: it is live (the flight started).
  SetNow(Day(2));
  EXPECT_EQ(MustGetBuy(kNyt, tokens_["nyt_a"], buy.media_buy_id()).status(),
            "active");

  // The video waits as a creative_review task that the admin approves.
  v1::ListHumanTasksRequest list;
  list.set_status("pending");
  auto tasks = Call(&Stub::ListHumanTasks, kNyt, tokens_["nyt_admin"], list);
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks.response.tasks_size(), 1);
  EXPECT_EQ(tasks.response.tasks(0).task_type(), "creative_review");
  EXPECT_EQ(tasks.response.tasks(0).creative_id(), "video-1");
  // Syncing the same creative again opens no second task.
  request.set_idempotency_key(Key("sync"));
  auto resync = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(resync.ok()) << resync.status.error_message();
  EXPECT_EQ(resync.response.creatives(0).action(), "unchanged");
  EXPECT_EQ(resync.response.creatives(1).action(), "unchanged");
  EXPECT_EQ(Count("SELECT count(*) FROM human_tasks"), 1);
  v1::ResolveHumanTaskRequest approve;
  approve.set_task_id(tasks.response.tasks(0).task_id());
  auto approved =
      Call(&Stub::ApproveHumanTask, kNyt, tokens_["nyt_admin"], approve);
  ASSERT_TRUE(approved.ok()) << approved.status.error_message();
  EXPECT_EQ(Scalar("SELECT status || ' ' || adapter_creative_id FROM creatives "
                   "WHERE creative_id = 'video-1'"),
            "approved mock-creative-video-1");

  // A review task whose creative was approved meanwhile closes as failed.
  ASSERT_TRUE(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"],
                   Sync({Creative("video-2", "video_30s")}))
                  .ok());
  auto second_tasks =
      Call(&Stub::ListHumanTasks, kNyt, tokens_["nyt_admin"], list);
  ASSERT_EQ(second_tasks.response.tasks_size(), 1);
  Exec(
      "UPDATE creatives SET status = 'approved' WHERE creative_id = "
      "'video-2'");
  v1::ResolveHumanTaskRequest stale;
  stale.set_task_id(second_tasks.response.tasks(0).task_id());
  stale.set_reason("too loud");
  auto failed = Call(&Stub::RejectHumanTask, kNyt, tokens_["nyt_admin"], stale);
  ASSERT_TRUE(failed.ok()) << failed.status.error_message();
  EXPECT_EQ(failed.response.status(), "failed");
  EXPECT_EQ(
      Scalar("SELECT status FROM creatives WHERE creative_id = 'video-2'"),
      "approved");

  // localnews auto-approves nothing.
  auto local = Call(&Stub::SyncCreatives, kLocal, tokens_["local_a"],
                    Sync({Creative("banner-1", "display_300x250")}));
  ASSERT_TRUE(local.ok()) << local.status.error_message();
  EXPECT_EQ(local.response.creatives(0).status(), "pending_review");
  // With a config change the format is approved at once.
  ASSERT_TRUE(
      suite_
          ->PatchTenantConfig(
              kLocal,
              R"({"creative_engine":{"auto_approve_formats":["display_300x250"]}})")
          .ok());
  bool auto_approved = false;
  for (int i = 0; i < 200 && !auto_approved; ++i) {
    auto next = Call(
        &Stub::SyncCreatives, kLocal, tokens_["local_a"],
        Sync({Creative(absl::StrCat("banner-", 10 + i), "display_300x250")}));
    auto_approved =
        next.ok() && next.response.creatives(0).status() == "approved";
    if (!auto_approved) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(auto_approved);
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, SyncCreativesStrictLenientAndDryRun) {
  const auto buy = NytBuy();
  const std::string before = DataProbe();
  v1::CreativeAsset bad_format = Creative("bad-1", "display_300x250");
  bad_format.mutable_format_id()->set_id("hologram_3d");
  v1::CreativeAsset no_assets = Creative("bad-2", "display_300x250");
  no_assets.clear_assets();
  // Strict (the default): one bad creative fails the whole sync.
  auto strict = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"],
                     Sync({Creative("ok-1", "display_300x250"), bad_format}));
  ExpectError(strict, "VALIDATION_ERROR", "creatives[1].format_id", "strict");
  EXPECT_EQ(DataProbe(), before);
  // Lenient: the good ones land, the bad ones say why.
  v1::SyncCreativesRequest lenient =
      Sync({Creative("ok-1", "display_300x250"), bad_format, no_assets});
  lenient.set_validation_mode("lenient");
  auto partial = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], lenient);
  ASSERT_TRUE(partial.ok()) << partial.status.error_message();
  ASSERT_EQ(partial.response.creatives_size(), 3);
  EXPECT_EQ(partial.response.creatives(0).action(), "created");
  EXPECT_EQ(partial.response.creatives(1).action(), "failed");
  EXPECT_TRUE(partial.response.creatives(1).status().empty());
  EXPECT_EQ(partial.response.creatives(1).errors(0).field(),
            "creatives[1].format_id");
  EXPECT_EQ(partial.response.creatives(2).errors(0).field(),
            "creatives[2].assets");
  schemas_.Add("creative/sync-creatives-response.json", "lenient",
               partial.response);
  EXPECT_EQ(Count("SELECT count(*) FROM creatives"), 1);
  // Assignments to another buyer's package are NOT_FOUND and change nothing.
  const auto other = NytBuy(tokens_["nyt_b"]);
  const std::string after_lenient = DataProbe();
  v1::SyncCreativesRequest foreign =
      Sync({Creative("ok-2", "display_300x250")});
  Assign(foreign, "ok-2", other.packages(0).package_id());
  ExpectError(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], foreign),
              "PACKAGE_NOT_FOUND", "assignments[0].package_id",
              "foreign package");
  EXPECT_EQ(DataProbe(), after_lenient);
  // Dry run: the answer of a real sync, nothing kept.
  v1::SyncCreativesRequest dry = Sync({Creative("ok-3", "display_728x90")});
  Assign(dry, "ok-3", buy.packages(1).package_id());
  dry.set_dry_run(true);
  auto preview = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], dry);
  ASSERT_TRUE(preview.ok()) << preview.status.error_message();
  EXPECT_TRUE(preview.response.dry_run());
  EXPECT_EQ(preview.response.creatives(0).action(), "created");
  EXPECT_EQ(preview.response.creatives(0).status(), "approved");
  EXPECT_EQ(DataProbe(), after_lenient);
  schemas_.Add("creative/sync-creatives-response.json", "dry run",
               preview.response);
  // Bad requests.
  v1::SyncCreativesRequest no_account =
      Sync({Creative("x", "display_300x250")});
  no_account.clear_account();
  ExpectError(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], no_account),
              "VALIDATION_ERROR", "account", "no account");
  v1::SyncCreativesRequest twice = Sync(
      {Creative("x", "display_300x250"), Creative("x", "display_300x250")});
  ExpectError(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], twice),
              "VALIDATION_ERROR", "creatives[1].creative_id", "duplicate id");
  // A library creative referenced again with our format id under another
  // agent URL is the same creative; a new one is not accepted that way.
  v1::CreativeAsset again = Creative("ok-1", "display_300x250");
  again.mutable_format_id()->set_agent_url("https://your-platform.example.com");
  auto reused =
      Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], Sync({again}));
  ASSERT_TRUE(reused.ok()) << reused.status.error_message();
  EXPECT_EQ(reused.response.creatives(0).action(), "unchanged");
  v1::CreativeAsset stranger = Creative("new-1", "display_300x250");
  stranger.mutable_format_id()->set_agent_url(
      "https://your-platform.example.com");
  ExpectError(
      Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], Sync({stranger})),
      "VALIDATION_ERROR", "creatives[0].format_id", "foreign agent");
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, ListCreativesFiltersPagesAndSummarises) {
  const auto buy = NytBuy();
  std::vector<v1::CreativeAsset> creatives;
  for (int i = 0; i < 5; ++i)
    creatives.push_back(
        Creative(absl::StrCat("banner-", i), "display_300x250"));
  creatives.push_back(Creative("video-0", "video_15s"));
  v1::SyncCreativesRequest sync = Sync(creatives);
  Assign(sync, "banner-0", buy.packages(0).package_id());
  ASSERT_TRUE(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"], sync).ok());
  // Another buyer's creatives never show.
  ASSERT_TRUE(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_b"],
                   Sync({Creative("theirs", "display_300x250")}))
                  .ok());

  v1::ListCreativesRequest request;
  request.mutable_pagination()->set_max_results(4);
  schemas_.Add("creative/list-creatives-request.json", "page 1", request);
  auto page1 = Call(&Stub::ListCreatives, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(page1.ok()) << page1.status.error_message();
  schemas_.Add("creative/list-creatives-response.json", "page 1",
               page1.response);
  EXPECT_EQ(page1.response.creatives_size(), 4);
  EXPECT_TRUE(page1.response.pagination().has_more());
  const nlohmann::json summary =
      nlohmann::json::parse(AdcpJson(page1.response.query_summary()));
  EXPECT_EQ(summary["total_matching"], 6);
  EXPECT_EQ(summary["returned"], 4);
  const nlohmann::json statuses =
      nlohmann::json::parse(AdcpJson(page1.response.status_summary()));
  EXPECT_EQ(statuses["approved"], 5);
  EXPECT_EQ(statuses["pending_review"], 1);
  request.mutable_pagination()->set_cursor(
      page1.response.pagination().cursor());
  auto page2 = Call(&Stub::ListCreatives, kNyt, tokens_["nyt_a"], request);
  ASSERT_TRUE(page2.ok());
  EXPECT_EQ(page2.response.creatives_size(), 2);
  EXPECT_FALSE(page2.response.pagination().has_more());
  std::set<std::string> seen;
  for (const auto* page : {&page1.response, &page2.response})
    for (const auto& creative : page->creatives())
      seen.insert(creative.creative_id());
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_FALSE(seen.count("theirs"));

  v1::ListCreativesRequest filtered;
  (*filtered.mutable_filters()->mutable_fields())["statuses"]
      .mutable_list_value()
      ->add_values()
      ->set_string_value("pending_review");
  auto pending = Call(&Stub::ListCreatives, kNyt, tokens_["nyt_a"], filtered);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending.response.creatives_size(), 1);
  EXPECT_EQ(pending.response.creatives(0).creative_id(), "video-0");
  v1::ListCreativesRequest assigned;
  (*assigned.mutable_filters()->mutable_fields())["media_buy_ids"]
      .mutable_list_value()
      ->add_values()
      ->set_string_value(buy.media_buy_id());
  auto of_buy = Call(&Stub::ListCreatives, kNyt, tokens_["nyt_a"], assigned);
  ASSERT_TRUE(of_buy.ok());
  ASSERT_EQ(of_buy.response.creatives_size(), 1);
  EXPECT_EQ(of_buy.response.creatives(0).assignments().assignment_count(), 1);
  schemas_.Add("creative/list-creatives-response.json", "by buy",
               of_buy.response);
  v1::ListCreativesRequest bad;
  (*bad.mutable_filters()->mutable_fields())["statuses"]
      .mutable_list_value()
      ->add_values()
      ->set_string_value("live");
  ExpectError(Call(&Stub::ListCreatives, kNyt, tokens_["nyt_a"], bad),
              "VALIDATION_ERROR", "filters.statuses", "unknown status");
  schemas_.ExpectAllValid();
}

TEST_F(MediaBuyTest, AssignmentsOfCreativesNotYetUploadedWaitForThem) {
  v1::CreateMediaBuyRequest request =
      BuyRequest(Key("held"), "nyt_display", 10000, Day(1), Day(11));
  request.mutable_packages(0)->add_creative_assignments()->set_creative_id(
      "late-banner");
  const auto created = MustCreate(kNyt, tokens_["nyt_a"], request);
  EXPECT_TRUE(absl::StrContains(created.message(), "sync_creatives"))
      << created.message();
  EXPECT_EQ(created.status(), "pending_creatives");
  const std::string package = created.packages(0).package_id();
  EXPECT_EQ(Count("SELECT count(*) FROM creative_assignments"), 0);

  // Another buyer's creative of that id stays its own.
  ASSERT_TRUE(Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_b"],
                   Sync({Creative("late-banner", "display_300x250")}))
                  .ok());
  EXPECT_EQ(Count("SELECT count(*) FROM creative_assignments"), 0);

  auto synced = Call(&Stub::SyncCreatives, kNyt, tokens_["nyt_a"],
                     Sync({Creative("late-banner", "display_300x250")}));
  ASSERT_TRUE(synced.ok()) << synced.status.error_message();
  ASSERT_EQ(synced.response.creatives_size(), 1);
  ASSERT_EQ(synced.response.creatives(0).assigned_to_size(), 1);
  EXPECT_EQ(synced.response.creatives(0).assigned_to(0), package);
  EXPECT_EQ(Count("SELECT count(*) FROM creative_assignments WHERE "
                  "creative_id = 'late-banner' AND principal_id = 'buyer_a'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM packages WHERE extra ? "
                  "'held_creative_ids'"),
            0);
  schemas_.Add("media-buy/create-media-buy-response.json", "held", created);
  schemas_.Add("creative/sync-creatives-response.json", "bound",
               synced.response);
}

}  // namespace
}  // namespace adcp::media_buy::testing
