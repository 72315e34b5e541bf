#include "services/media-buy/adapters/gam/gam_line_items.h"

#include <gtest/gtest.h>

namespace adcp::media_buy::gam_soap {
namespace {

using json = nlohmann::json;

AdapterBuy ThirtyOneDays() {
  return AdapterBuy{
      .media_buy_id = "mb_1",
      .currency = "USD",
      .start_time = absl::FromUnixSeconds(1767225600),  // 2026-01-01
      .end_time = absl::FromUnixSeconds(1769904000)};   // 2026-02-01
}

AdapterPackage Package(std::string model, std::string delivery_type,
                       Micros budget, Micros rate) {
  return AdapterPackage{.package_id = "pkg_1",
                        .pricing_model = std::move(model),
                        .delivery_type = std::move(delivery_type),
                        .budget = budget,
                        .rate = rate};
}

TEST(GamLineItemsTest, NamesCarryTheBuyAndThePackage) {
  AdapterBuy buy = ThirtyOneDays();
  EXPECT_EQ(OrderName(buy), "AdCP mb_1");
  EXPECT_EQ(LineItemName(buy, Package("cpm", "guaranteed", 0, 0)),
            "AdCP mb_1 pkg_1");
}

TEST(GamLineItemsTest, GuaranteedCpmIsStandardWithUnitsFromTheBudget) {
  auto plan = PlanLineItem(Package("cpm", "guaranteed", 5000 * kMicrosPerUnit,
                                   12500000),  // 12.50 CPM
                           ThirtyOneDays());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->line_item_type, "STANDARD");
  EXPECT_EQ(plan->cost_type, "CPM");
  EXPECT_EQ(plan->goal_type, "LIFETIME");
  EXPECT_EQ(plan->unit_type, "IMPRESSIONS");
  EXPECT_EQ(plan->units, 400000);
  EXPECT_EQ(plan->cost_per_unit, 12500000);
}

TEST(GamLineItemsTest, AnImpressionsGoalWinsOverTheBudget) {
  AdapterPackage package =
      Package("cpc", "non_guaranteed", 600 * kMicrosPerUnit, kMicrosPerUnit);
  package.impressions_goal = 1234;
  auto plan = PlanLineItem(package, ThirtyOneDays());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->line_item_type, "PRICE_PRIORITY");
  EXPECT_EQ(plan->cost_type, "CPC");
  EXPECT_EQ(plan->unit_type, "CLICKS");
  EXPECT_EQ(plan->units, 1234);
}

TEST(GamLineItemsTest, GuaranteedFlatRateIsASponsorshipPricedPerDay) {
  auto plan =
      PlanLineItem(Package("flat_rate", "guaranteed", 3100 * kMicrosPerUnit, 0),
                   ThirtyOneDays());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->line_item_type, "SPONSORSHIP");
  EXPECT_EQ(plan->cost_type, "CPD");
  EXPECT_EQ(plan->goal_type, "DAILY");
  EXPECT_EQ(plan->units, 100);
  EXPECT_EQ(plan->cost_per_unit, 100 * kMicrosPerUnit);  // 3100 / 31 days
}

TEST(GamLineItemsTest, CombinationsAdManagerHasNoTypeForAreRefused) {
  EXPECT_EQ(
      PlanLineItem(Package("cpcv", "non_guaranteed", 1, 1), ThirtyOneDays())
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanLineItem(Package("cpm", "guaranteed", kMicrosPerUnit, 0),
                         ThirtyOneDays())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // Non-guaranteed without a rate: no goal rather than a refusal.
  auto open = PlanLineItem(Package("cpm", "non_guaranteed", kMicrosPerUnit, 0),
                           ThirtyOneDays());
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(open->goal_type, "NONE");
}

TEST(GamLineItemsTest, LineItemsTargetTheConfiguredAdUnitsAndSizes) {
  AdapterBuy buy = ThirtyOneDays();
  const AdapterPackage package =
      Package("cpm", "guaranteed", 5000 * kMicrosPerUnit, 12500000);
  const json config = {{"ad_unit_ids", {"2001", 2002}},
                       {"creative_sizes", {"728x90"}}};
  auto item = LineItemXml(buy, package, "9001", config, false,
                          absl::UTCTimeZone(), "UTC");
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ(item->ChildText("orderId"), "9001");
  EXPECT_EQ(item->ChildText("name"), "AdCP mb_1 pkg_1");
  EXPECT_EQ(item->ChildText("lineItemType"), "STANDARD");
  const auto units = item->FindAll("adUnitId");
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[0]->text, "2001");
  EXPECT_EQ(units[1]->text, "2002");
  ASSERT_NE(item->Find("size"), nullptr);
  EXPECT_EQ(item->Find("size")->ChildText("width"), "728");
  EXPECT_EQ(item->Find("primaryGoal")->ChildText("units"), "400000");

  // Without ad units only a dry run may go on.
  EXPECT_EQ(LineItemXml(buy, package, "9001", json::object(), false,
                        absl::UTCTimeZone(), "UTC")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(LineItemXml(buy, package, "9001", json::object(), true,
                          absl::UTCTimeZone(), "UTC")
                  .ok());
}

TEST(GamLineItemsTest, CreativesAreImageRedirectsOrThirdPartySnippets) {
  AdapterCreative image{.creative_id = "banner",
                        .assets = {{"main",
                                    {{"asset_type", "image"},
                                     {"url", "https://cdn.example/b.png"},
                                     {"width", 300},
                                     {"height", 250}}},
                                   {"click",
                                    {{"asset_type", "url"},
                                     {"url_type", "clickthrough"},
                                     {"url", "https://brand.example"}}}}};
  auto xml = CreativeXml(image, "555");
  ASSERT_TRUE(xml.ok()) << xml.status();
  ASSERT_EQ(xml->attributes.size(), 1u);
  EXPECT_EQ(xml->attributes[0].second, "ImageRedirectCreative");
  EXPECT_EQ(xml->ChildText("advertiserId"), "555");
  EXPECT_EQ(xml->ChildText("name"), "banner");  // no name: the id
  EXPECT_EQ(xml->ChildText("imageUrl"), "https://cdn.example/b.png");
  EXPECT_EQ(xml->ChildText("destinationUrl"), "https://brand.example");

  AdapterCreative html{
      .creative_id = "tag",
      .name = "Tag",
      .assets = {{"tag", {{"asset_type", "html"}, {"content", "<b>x</b>"}}}}};
  xml = CreativeXml(html, "555");
  ASSERT_TRUE(xml.ok()) << xml.status();
  EXPECT_EQ(xml->attributes[0].second, "ThirdPartyCreative");
  EXPECT_EQ(xml->ChildText("snippet"), "<b>x</b>");

  AdapterCreative video{.creative_id = "v",
                        .assets = {{"v", {{"asset_type", "video"}}}}};
  EXPECT_EQ(CreativeXml(video, "555").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace adcp::media_buy::gam_soap
