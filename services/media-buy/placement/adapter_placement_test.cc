// The real adapters inside the service: a Kevel tenant against a fake Kevel
// on a local socket (a buy that fails halfway is kept, says which step
// failed, and the same request again completes it without duplicates; the
// approval path; the buyer's platform_mappings; the key stays out of the
// database and the answers), and a GAM tenant without credentials that runs
// in dry_run and sends nothing.
#include <cstdlib>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/media-buy/adapters/gam/gam_adapter.h"
#include "services/media-buy/adapters/kevel/kevel_adapter.h"
#include "services/media-buy/testing/fake_ad_server.h"
#include "services/media-buy/testing/media_buy_harness.h"

namespace adcp::media_buy::testing {
namespace {

using json = nlohmann::json;

constexpr char kKey[] = "kevel-key-7f3a-never-stored";

class AdapterPlacementTest : public MediaBuyHarness {
 protected:
  AdapterPlacementTest()
      : kevel_([this](const RecordedRequest& r) { return Kevel(r); }) {
    char dir[] = "/tmp/adcp-secrets-XXXXXX";
    secrets_dir_ = mkdtemp(dir);
    std::ofstream(secrets_dir_ + "/kevel-local") << kKey << "\n";
  }
  ~AdapterPlacementTest() override {
    std::remove((secrets_dir_ + "/kevel-local").c_str());
    std::remove(secrets_dir_.c_str());
  }

  void ConfigureMediaBuy(MediaBuyConfig& config) override {
    config.adapter_stand_in.clear();  // the real adapters
    config.adapter_secrets_dir = secrets_dir_;
    config.adapter_dry_run_without_credentials = true;
    config.adapter_policy.timeout = absl::Seconds(2);
    config.adapter_policy.initial_backoff = absl::Milliseconds(1);
    config.adapter_base_config = {
        {"kevel",
         {{"base_url", kevel_.base_url()},
          {"priority_id", "7"},
          {"ad_type_id", "5"},
          {"report_poll_interval_ms", 1}}},
        {"google_ad_manager", {{"endpoint", kevel_.base_url()}}}};
  }

  void SetUp() override {
    MediaBuyHarness::SetUp();
    ASSERT_TRUE(
        suite_
            ->PatchTenantConfig(
                "localnews",
                R"({"adapters": {"kevel": {"api_key_secret": "kevel-local",
                             "manual_approval_required": false}}})")
            .ok());
    auth::v1::CreatePrincipalRequest request;
    request.set_principal_id("buyer_k");
    request.set_name("Kevel buyer");
    (*request.mutable_platform_mappings()->mutable_fields())["kevel"]
        .mutable_struct_value()
        ->mutable_fields()
        ->
        operator[]("advertiser_id")
        .set_string_value("42");
    auth::v1::PrincipalWithToken issued;
    ASSERT_TRUE(suite_->auth()
                    .CreatePrincipal(suite_->AdminContext("localnews").get(),
                                     request, &issued)
                    .ok());
    tokens_["local_k"] = issued.access_token();
    // The tenant caches follow the config change.
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (absl::Now() < deadline && !ManualOff())
      absl::SleepFor(absl::Milliseconds(20));
  }

  bool ManualOff() {
    auto probe =
        Call(&Stub::CreateMediaBuy, "localnews", tokens_["local_k"],
             BuyRequest(Key("probe"), "local_display", 100,
                        now() + absl::Hours(1), now() + absl::Hours(48)),
             /*dry_run=*/true);
    return probe.ok() && probe.response.status() != "submitted";
  }

  FakeAnswer Kevel(const RecordedRequest& r) {
    static std::atomic<int> next{100};
    if (fail_ && fail_(r))
      return {.status = 503, .body = R"({"message":"try later"})"};
    if (r.method == "POST") return {.body = json({{"Id", next++}}).dump()};
    if (r.method == "PUT") return {.body = r.body};
    if (r.target.starts_with("/v1/campaign/") && !r.target.ends_with("/flight"))
      return {.body = json({{"Id", std::stoll(r.target.substr(13))},
                            {"Name", "AdCP"},
                            {"AdvertiserId", 42},
                            {"IsActive", false}})
                          .dump()};
    return {.body = json({{"items", json::array()}}).dump()};
  }

  std::vector<RecordedRequest> Requests(const std::string& method,
                                        const std::string& prefix) {
    std::vector<RecordedRequest> out;
    for (const auto& r : kevel_.requests())
      if (r.method == method && r.target.starts_with(prefix)) out.push_back(r);
    return out;
  }

  std::string secrets_dir_;
  std::function<bool(const RecordedRequest&)> fail_;
  FakeAdServer kevel_;
};

TEST_F(AdapterPlacementTest,
       AHalfwayFailureIsKeptAndTheSameRequestCompletesIt) {
  std::atomic<int> flights{0};
  fail_ = [&flights](const RecordedRequest& r) {
    return r.method == "POST" && r.target == "/v1/flight" && flights++ == 1;
  };
  kevel_.Clear();
  const v1::CreateMediaBuyRequest request =
      BuyRequest(Key("kevel"), "local_display", 500, now() + absl::Hours(1),
                 now() + absl::Hours(24 * 10), /*packages=*/2);
  auto failed =
      Call(&Stub::CreateMediaBuy, "localnews", tokens_["local_k"], request);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(failed.error.code(), "SERVICE_UNAVAILABLE");
  EXPECT_TRUE(absl::StrContains(failed.status.error_message(),
                                "step create_flight:pkg_"))
      << failed.status.error_message();
  EXPECT_TRUE(absl::StrContains(failed.status.error_message(),
                                "Kevel failed create flight for package"));

  // The buy exists and says which step failed.
  v1::GetMediaBuysRequest list;
  auto listed =
      Call(&Stub::GetMediaBuys, "localnews", tokens_["local_k"], list);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed.response.media_buys_size(), 1);
  const v1::MediaBuy& pending = listed.response.media_buys(0);
  EXPECT_EQ(pending.status(), "pending_start");
  EXPECT_TRUE(pending.ad_server_error().starts_with("create_flight:pkg_"))
      << pending.ad_server_error();
  // Still a valid AdCP answer.
  schemas_.Add("media-buy/get-media-buys-response.json", "half placed",
               listed.response);
  // Nothing is changed on half a buy.
  v1::UpdateMediaBuyRequest pause;
  pause.set_idempotency_key(Key("pause"));
  pause.set_media_buy_id(pending.media_buy_id());
  pause.mutable_account()->mutable_brand()->set_domain("acme.example");
  pause.mutable_account()->set_operator_("agency.example");
  pause.set_paused(true);
  auto refused =
      Call(&Stub::UpdateMediaBuy, "localnews", tokens_["local_k"], pause);
  EXPECT_EQ(refused.error.code(), "INVALID_STATE");

  // The buyer's mapping named the advertiser; the key went only in the header.
  auto campaigns = Requests("POST", "/v1/campaign");
  ASSERT_EQ(campaigns.size(), 1u);
  EXPECT_EQ(json::parse(campaigns[0].body)["AdvertiserId"], 42);
  EXPECT_EQ(campaigns[0].headers["x-adzerk-apikey"], kKey);
  EXPECT_EQ(Requests("POST", "/v1/flight").size(), 2u);

  // The same request again resumes: no second campaign, one more flight.
  fail_ = nullptr;
  auto resumed =
      Call(&Stub::CreateMediaBuy, "localnews", tokens_["local_k"], request);
  ASSERT_TRUE(resumed.ok()) << resumed.status.error_message();
  EXPECT_TRUE(resumed.response.replayed());
  EXPECT_EQ(resumed.response.media_buy_id(), pending.media_buy_id());
  EXPECT_NE(resumed.response.status(), "pending_start");
  EXPECT_EQ(Requests("POST", "/v1/campaign").size(), 1u);
  EXPECT_EQ(Requests("POST", "/v1/flight").size(), 3u);
  // The flight whose creation had an unknown outcome was looked up first.
  int lookups = 0;
  for (const auto& r : Requests("GET", "/v1/campaign/"))
    lookups += r.target.ends_with("/flight");
  EXPECT_EQ(lookups, 1);
  EXPECT_EQ(Requests("PUT", "/v1/campaign/").size(), 1u);  // activated
  const v1::MediaBuy placed =
      MustGetBuy("localnews", tokens_["local_k"], pending.media_buy_id());
  EXPECT_TRUE(placed.ad_server_error().empty());
  // A third time is a plain replay, of the answer the resume stored (not
  // the first one's pending_start).
  auto again =
      Call(&Stub::CreateMediaBuy, "localnews", tokens_["local_k"], request);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.response.status(), resumed.response.status());
  EXPECT_NE(again.response.status(), "pending_start");
  EXPECT_EQ(Requests("POST", "/v1/flight").size(), 3u);
  // The resume was audited, in the transaction that stored its answer; the
  // plain replay was not.
  EXPECT_EQ(Count(absl::StrCat(
                "SELECT count(*) FROM audit_log WHERE tenant_id = 'localnews' "
                "AND operation = 'resume_media_buy_placement' AND adapter_id = "
                "'kevel' AND (details->>'placed')::boolean AND "
                "details->>'media_buy_id' = '",
                pending.media_buy_id(), "'")),
            1);

  // Now the buy can be paused, on Kevel too.
  auto paused =
      Call(&Stub::UpdateMediaBuy, "localnews", tokens_["local_k"], pause);
  ASSERT_TRUE(paused.ok()) << paused.status.error_message();
  auto puts = Requests("PUT", "/v1/campaign/");
  ASSERT_EQ(puts.size(), 2u);
  EXPECT_EQ(json::parse(puts[1].body)["IsActive"], false);

  // The key is nowhere in the database.
  EXPECT_EQ(
      Count(absl::StrCat("SELECT count(*) FROM audit_log WHERE details::text "
                         "LIKE '%",
                         kKey, "%'")),
      0);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM media_buys WHERE "
                               "adapter_state::text LIKE '%",
                               kKey, "%'")),
            0);
  EXPECT_EQ(
      Scalar("SELECT adapter_state -> 'principal_mappings' -> 'kevel' ->> "
             "'advertiser_id' FROM media_buys"),
      "42");
}

// Kevel failing an update: the buyer hears which server and step and the
// request id, never Kevel's words; the update is kept and recorded, and the
// same request again sends it.
TEST_F(AdapterPlacementTest,
       AFailedKevelUpdateIsRecordedAndKevelsWordsStayOut) {
  auto created =
      Call(&Stub::CreateMediaBuy, "localnews", tokens_["local_k"],
           BuyRequest(Key("kevel-upd"), "local_display", 500,
                      now() + absl::Hours(1), now() + absl::Hours(24 * 10)));
  ASSERT_TRUE(created.ok()) << created.status.error_message();
  kevel_.Clear();
  fail_ = [](const RecordedRequest& r) {
    return r.method == "PUT" && r.target.starts_with("/v1/campaign/");
  };
  v1::UpdateMediaBuyRequest pause;
  pause.set_idempotency_key(Key("kevel-pause"));
  pause.set_media_buy_id(created.response.media_buy_id());
  pause.mutable_account()->mutable_brand()->set_domain("acme.example");
  pause.mutable_account()->set_operator_("agency.example");
  pause.set_paused(true);
  auto failed =
      Call(&Stub::UpdateMediaBuy, "localnews", tokens_["local_k"], pause);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error.code(), "SERVICE_UNAVAILABLE");
  EXPECT_TRUE(absl::StrContains(failed.status.error_message(),
                                "Kevel failed pause campaign"))
      << failed.status.error_message();
  EXPECT_TRUE(absl::StrContains(failed.status.error_message(), "request id"));
  EXPECT_FALSE(absl::StrContains(failed.status.error_message(), "try later"))
      << failed.status.error_message();
  EXPECT_FALSE(absl::StrContains(failed.error.message(), "try later"));
  const size_t puts = Requests("PUT", "/v1/campaign/").size();
  EXPECT_GE(puts, 1u);
  const v1::MediaBuy recorded = MustGetBuy("localnews", tokens_["local_k"],
                                           created.response.media_buy_id());
  EXPECT_EQ(recorded.status(), "paused");
  EXPECT_FALSE(recorded.ad_server_error().empty());
  EXPECT_FALSE(absl::StrContains(recorded.ad_server_error(), "try later"));

  fail_ = nullptr;
  auto completed =
      Call(&Stub::UpdateMediaBuy, "localnews", tokens_["local_k"], pause);
  ASSERT_TRUE(completed.ok()) << completed.status.error_message();
  EXPECT_TRUE(completed.response.replayed());
  auto sent = Requests("PUT", "/v1/campaign/");
  ASSERT_EQ(sent.size(), puts + 1);
  EXPECT_EQ(json::parse(sent.back().body)["IsActive"], false);
  EXPECT_TRUE(MustGetBuy("localnews", tokens_["local_k"],
                         created.response.media_buy_id())
                  .ad_server_error()
                  .empty());
}

TEST_F(AdapterPlacementTest, ApprovalThatTheAdServerRefusesStaysPending) {
  ASSERT_TRUE(
      suite_
          ->PatchTenantConfig(
              "localnews",
              R"({"adapters": {"kevel": {"manual_approval_required": true}}})")
          .ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (absl::Now() < deadline && ManualOff())
    absl::SleepFor(absl::Milliseconds(20));
  auto submitted =
      Call(&Stub::CreateMediaBuy, "localnews", tokens_["local_k"],
           BuyRequest(Key("manual"), "local_display", 500,
                      now() + absl::Hours(1), now() + absl::Hours(240)));
  ASSERT_TRUE(submitted.ok());
  ASSERT_EQ(submitted.response.status(), "submitted");
  EXPECT_TRUE(kevel_.requests().empty());  // nothing before the approval

  fail_ = [](const RecordedRequest& r) {
    return r.method == "POST" && r.target == "/v1/campaign";
  };
  v1::ResolveHumanTaskRequest approve;
  approve.set_task_id(submitted.response.task_id());
  auto refused = Call(&Stub::ApproveHumanTask, "localnews",
                      tokens_["local_admin"], approve);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(
      absl::StrContains(refused.status.error_message(), "step create_campaign"))
      << refused.status.error_message();
  v1::GetHumanTaskRequest get;
  get.set_task_id(submitted.response.task_id());
  auto task =
      Call(&Stub::GetHumanTask, "localnews", tokens_["local_admin"], get);
  ASSERT_TRUE(task.ok());
  EXPECT_EQ(task.response.status(), "pending");

  // Approving again resumes; the campaign whose creation had an unknown
  // outcome is looked up first.
  fail_ = nullptr;
  auto approved = Call(&Stub::ApproveHumanTask, "localnews",
                       tokens_["local_admin"], approve);
  ASSERT_TRUE(approved.ok()) << approved.status.error_message();
  EXPECT_EQ(approved.response.status(), "approved");
  EXPECT_EQ(Requests("GET", "/v1/campaign").size() -
                Requests("GET", "/v1/campaign/").size(),
            1u);
  EXPECT_EQ(Requests("POST", "/v1/flight").size(), 1u);
}

TEST_F(AdapterPlacementTest,
       ATenantWithoutCredentialsRunsInDryRunAndSendsNothing) {
  kevel_.Clear();
  auto created =
      Call(&Stub::CreateMediaBuy, "nytimes", tokens_["nyt_a"],
           BuyRequest(Key("gam"), "nyt_display", 1000, now() + absl::Hours(1),
                      now() + absl::Hours(240)));
  ASSERT_TRUE(created.ok()) << created.status.error_message();
  EXPECT_FALSE(created.response.media_buy_id().empty());
  EXPECT_TRUE(kevel_.requests().empty());
  EXPECT_TRUE(
      Scalar("SELECT adapter_order_id FROM media_buys WHERE tenant_id = "
             "'nytimes'")
          .starts_with("dryrun-"));
}

}  // namespace
}  // namespace adcp::media_buy::testing
