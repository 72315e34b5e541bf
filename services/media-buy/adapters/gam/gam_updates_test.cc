// The Google Ad Manager adapter on a placed buy: pause, resume and changes
// as line item actions and updates, delivery from a report job, creatives
// and their line item associations.
#include <gtest/gtest.h>

#include "services/media-buy/adapters/gam/gam_adapter_test_fixture.h"

namespace adcp::media_buy::gam_test {
namespace {

TEST_F(GamAdapterTest, PauseResumeAndChangesUseLineItemActionsAndUpdates) {
  AdapterBuy buy = Buy();
  buy.order_id = "9001";
  buy.packages[0].line_id = "901";
  buy.packages[1].line_id = "902";
  ASSERT_TRUE(Adapter(Context())->UpdateMediaBuy(buy, {.paused = true}).ok());
  auto actions = Soaps("performLineItemAction");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].target, "/apis/ads/publisher/v202511/LineItemService");
  EXPECT_EQ(Call(actions[0]).Child("lineItemAction")->attributes[0].second,
            "PauseLineItems");
  EXPECT_EQ(Call(actions[0]).Find("query")->text, "WHERE orderId = 9001");

  server_.Clear();
  server_.SetScript([](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") &&
        Method(r) == "getLineItemsByStatement")
      return Soap(
          "<getLineItemsByStatementResponse><rval><results><orderId>9001"
          "</orderId><id>901</id><name>AdCP mb_1 pkg_1</name><endDateTime>"
          "<date><year>2026</year><month>2</month><day>1</day></date><hour>0"
          "</hour><minute>0</minute><second>0</second><timeZoneId>UTC"
          "</timeZoneId></endDateTime><lineItemType>STANDARD</lineItemType>"
          "<primaryGoal><goalType>LIFETIME</goalType><unitType>IMPRESSIONS"
          "</unitType><units>400000</units></primaryGoal><notes>a &amp; b"
          "</notes></results></rval></getLineItemsByStatementResponse>");
    return HappyGam(r);
  });
  AdapterPackage bigger = buy.packages[0];
  bigger.budget = 10000 * kMicrosPerUnit;
  bigger.paused = false;
  ASSERT_TRUE(
      Adapter(Context())
          ->UpdateMediaBuy(buy, {.paused = false,
                                 .end_time = absl::FromUnixSeconds(1772323200),
                                 .packages = {bigger}})
          .ok());
  actions = Soaps("performLineItemAction");
  ASSERT_EQ(actions.size(), 1u);  // the per-package resume is covered by it
  EXPECT_EQ(Call(actions[0]).Child("lineItemAction")->attributes[0].second,
            "ResumeLineItems");
  auto updates = Soaps("updateLineItems");
  ASSERT_EQ(updates.size(), 1u);
  const XmlNode item = *Call(updates[0]).Child("lineItems");
  EXPECT_EQ(item.ChildText("id"), "901");
  EXPECT_EQ(item.ChildText("notes"), "a & b");  // what Ad Manager had is kept
  EXPECT_EQ(item.Child("primaryGoal")->ChildText("units"), "800000");
  EXPECT_EQ(item.Child("endDateTime")->Child("date")->ChildText("month"), "2");
  EXPECT_EQ(item.Child("endDateTime")->Child("date")->ChildText("day"), "28");
  EXPECT_TRUE(absl::StrContains(updates[0].body, "<notes>a &amp; b</notes>"));
}

TEST_F(GamAdapterTest, DeliveryComesFromAReportJob) {
  std::atomic<int> polls{0};
  const std::string url = server_.base_url() + "/report.csv";
  server_.SetScript([&polls, url](const RecordedRequest& r) {
    if (!r.target.starts_with("/apis/")) return HappyGam(r);
    const std::string method = Method(r);
    if (method == "runReportJob")
      return Soap(
          "<runReportJobResponse><rval><id>55</id></rval>"
          "</runReportJobResponse>");
    if (method == "getReportJobStatus")
      return Soap(std::string("<getReportJobStatusResponse><rval>") +
                  (polls++ == 0 ? "IN_PROGRESS" : "COMPLETED") +
                  "</rval></getReportJobStatusResponse>");
    if (method == "getReportDownloadUrlWithOptions")
      return Soap("<getReportDownloadUrlWithOptionsResponse><rval>" + url +
                  "</rval></getReportDownloadUrlWithOptionsResponse>");
    return HappyGam(r);
  });
  AdapterBuy buy = Buy();
  buy.order_id = "9001";
  buy.packages[0].line_id = "901";
  buy.packages[1].line_id = "902";
  auto report = Adapter(Context())->GetDelivery(buy, now_);
  ASSERT_TRUE(report.ok()) << report.status();
  const XmlNode query = *Call(Soaps("runReportJob")[0]).Find("reportQuery");
  EXPECT_EQ(query.ChildText("dimensions"), "LINE_ITEM_ID");
  EXPECT_EQ(query.FindAll("columns").size(), 3u);
  EXPECT_EQ(query.ChildText("dateRangeType"), "CUSTOM_DATE");
  EXPECT_EQ(query.Find("query")->text, "WHERE ORDER_ID = 9001");
  EXPECT_EQ(Soaps("getReportJobStatus").size(), 2u);
  const XmlNode options = *Call(Soaps("getReportDownloadUrlWithOptions")[0])
                               .Child("reportDownloadOptions");
  EXPECT_EQ(options.ChildText("exportFormat"), "CSV_DUMP");
  EXPECT_EQ(options.ChildText("useGzipCompression"), "false");
  ASSERT_EQ(report->packages.size(), 2u);
  EXPECT_EQ(report->packages[0].impressions, 1010);
  EXPECT_EQ(report->packages[0].clicks, 5);
  EXPECT_EQ(report->packages[0].spend, 12625000);
  EXPECT_EQ(report->packages[1].impressions, 50);
  // The signed download URL gets no credentials.
  bool downloaded = false;
  for (const auto& r : server_.requests()) {
    if (r.target == "/report.csv") {
      downloaded = true;
      EXPECT_EQ(r.headers.count("authorization"), 0u);
    }
  }
  EXPECT_TRUE(downloaded);
}

TEST_F(GamAdapterTest, CreativesAndAssociations) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") &&
        Method(r) == "getLineItemCreativeAssociationsByStatement")
      return Soap(
          "<getLineItemCreativeAssociationsByStatementResponse><rval>"
          "<results><lineItemId>902</lineItemId><creativeId>700"
          "</creativeId></results></rval>"
          "</getLineItemCreativeAssociationsByStatementResponse>");
    return HappyGam(r);
  });
  AdapterBuy buy = Buy();
  buy.order_id = "9001";
  buy.packages[0].line_id = "901";
  buy.packages[1].line_id = "902";
  AdapterCreative banner{
      .creative_id = "cr_1",
      .name = "Spring <banner>",
      .assets = {{"image",
                  {{"asset_type", "image"},
                   {"url", "https://cdn.example/a.png?x=1&y=2"},
                   {"width", 300},
                   {"height", 250}}},
                 {"landing",
                  {{"asset_type", "url"}, {"url", "https://acme.example/"}}}},
      .package_ids = {"pkg_1", "pkg_2"}};
  AdapterCreative known{
      .creative_id = "cr_2", .package_ids = {"pkg_2"}, .platform_id = "700"};
  std::map<std::string, std::string> ids;
  absl::Status added =
      Adapter(Context())->AddCreatives(buy, {banner, known}, ids);
  ASSERT_TRUE(added.ok()) << added;
  auto creatives = Soaps("createCreatives");
  ASSERT_EQ(creatives.size(), 1u);
  EXPECT_EQ(creatives[0].target, "/apis/ads/publisher/v202511/CreativeService");
  const XmlNode creative = *Call(creatives[0]).Child("creatives");
  EXPECT_EQ(creative.attributes[0].second, "ImageRedirectCreative");
  EXPECT_EQ(creative.ChildText("advertiserId"), "555");
  EXPECT_EQ(creative.ChildText("name"), "Spring <banner>");
  EXPECT_EQ(creative.ChildText("imageUrl"),
            "https://cdn.example/a.png?x=1&y=2");
  EXPECT_EQ(creative.ChildText("destinationUrl"), "https://acme.example/");
  EXPECT_EQ(creative.Child("size")->ChildText("width"), "300");
  auto licas = Soaps("createLineItemCreativeAssociations");
  ASSERT_EQ(licas.size(), 1u);
  const XmlNode create_licas = Call(licas[0]);
  const auto pairs = create_licas.FindAll("lineItemCreativeAssociations");
  ASSERT_EQ(pairs.size(), 2u);  // cr_1 on 901 and 902; cr_2 was on 902
  EXPECT_EQ(pairs[0]->ChildText("lineItemId"), "901");
  EXPECT_EQ(pairs[0]->ChildText("creativeId"), ids["cr_1"]);
  EXPECT_EQ(pairs[1]->ChildText("lineItemId"), "902");
  EXPECT_EQ(ids["cr_2"], "700");
}

}  // namespace
}  // namespace adcp::media_buy::gam_test
