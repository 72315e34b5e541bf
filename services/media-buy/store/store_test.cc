// The media-buy repositories against the throwaway PostgreSQL of
// `./dev test`, as the media-buy role: every statement prepares against the
// schema, rows round-trip, and a TenantTxn reads and writes its own
// tenant's rows only. The tasks' behaviour is media_buy_test's.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "libs/db/pg_pool.h"
#include "services/media-buy/store/buy_store.h"
#include "services/media-buy/store/creative_store.h"
#include "services/media-buy/store/human_task_store.h"
#include "services/media-buy/store/idempotency_store.h"
#include "services/media-buy/store/product_store.h"
#include "services/media-buy/store/statements.h"
#include "tests/support/test_database.h"

namespace adcp::media_buy {
namespace {

using ::adcp::testing::TestDatabase;

class MediaBuyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(
        db_->ExecAsSuperuser("INSERT INTO tenants (tenant_id, name, subdomain) "
                             "SELECT t, t, t FROM unnest(ARRAY['tenant-a', "
                             "'tenant-b']) t")
            .ok());
    // Every repository's statements, prepared when the connection opens.
    pool_ = std::make_unique<PgPool>(
        PgPool::Options{.conninfo = db_->MediaBuyUrl(), .size = 1},
        StoreStatements());
  }

  absl::Status In(const std::string& tenant,
                  const PgPool::TenantTransactionFn& fn) {
    return pool_->WithTenantTransaction(tenant, fn);
  }

  static ProductRow Product() {
    ProductRow product;
    product.product_id = "display";
    product.name = "Display";
    product.delivery_type = "non_guaranteed";
    product.channels = {"display"};
    product.format_ids = nlohmann::json::array();
    product.publisher_properties = nlohmann::json::array();
    product.pricing_options = {{{"pricing_option_id", "cpm"}}};
    product.reporting_capabilities = nlohmann::json::object();
    return product;
  }

  static BuyRow Buy() {
    BuyRow buy;
    buy.media_buy_id = "mb_1";
    buy.principal_id = "acme";
    buy.status = "pending_creatives";
    buy.adapter = "mock";
    buy.currency = "USD";
    buy.total_budget = 2'000'000'000;
    buy.start_time = absl::FromUnixSeconds(1'900'000'000);
    buy.end_time = buy.start_time + absl::Hours(24 * 30);
    for (int i = 0; i < 2; ++i) {
      PackageRow package;
      package.package_id = "pkg_" + std::to_string(i);
      package.ordinal = i;
      package.product_id = "display";
      package.pricing_option_id = "cpm";
      package.pricing_model = "cpm";
      package.budget = 1'000'000'000;
      package.rate = 10'500'000;
      buy.packages.push_back(package);
    }
    return buy;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgPool> pool_;
};

TEST_F(MediaBuyStoreTest, ABuyRoundTripsWithItsPackagesInItsTenantOnly) {
  ASSERT_TRUE(In("tenant-a", [](TenantTxn& txn) {
                ProductStore::Upsert(txn, Product());
                BuyStore::Insert(txn, Buy());
                return absl::OkStatus();
              }).ok());
  ASSERT_TRUE(
      In("tenant-a", [](TenantTxn& txn) {
        auto buy = BuyStore::Find(txn, "mb_1", {"acme", false}, false);
        EXPECT_TRUE(buy.has_value());
        if (!buy) return absl::OkStatus();
        EXPECT_EQ(buy->total_budget, 2'000'000'000);
        EXPECT_EQ(buy->start_time, absl::FromUnixSeconds(1'900'000'000));
        EXPECT_EQ(buy->packages.size(), 2u);
        for (const PackageRow& package : buy->packages) {
          EXPECT_EQ(package.media_buy_id, "mb_1");
          EXPECT_EQ(package.rate, 10'500'000);
          EXPECT_FALSE(package.bid_price.has_value());
        }
        EXPECT_EQ(*BuyStore::OfPackage(txn, "pkg_1", {"acme", false}), "mb_1");
        // Another buyer does not see it; the tenant's admin does.
        EXPECT_FALSE(
            BuyStore::Find(txn, "mb_1", {"other", false}, false).has_value());
        EXPECT_TRUE(BuyStore::Find(txn, "mb_1", {"", true}, false).has_value());
        EXPECT_EQ(ProductStore::List(txn, {"acme", false}).size(), 1u);
        return absl::OkStatus();
      }).ok());
  // Tenant B, even as its admin, finds none of A's rows.
  ASSERT_TRUE(In("tenant-b", [](TenantTxn& txn) {
                EXPECT_FALSE(
                    BuyStore::Find(txn, "mb_1", {"", true}, false).has_value());
                EXPECT_TRUE(BuyStore::List(txn, {"", true}, 10, "").empty());
                EXPECT_TRUE(ProductStore::List(txn, {"", true}).empty());
                return absl::OkStatus();
              }).ok());
}

TEST_F(MediaBuyStoreTest, CreativesAssignAndTasksResolve) {
  ASSERT_TRUE(
      In("tenant-a", [](TenantTxn& txn) {
        ProductStore::Upsert(txn, Product());
        BuyStore::Insert(txn, Buy());
        CreativeRow creative{.principal_id = "acme",
                             .creative_id = "cr_1",
                             .name = "Banner",
                             .format_agent_url = "https://f.example",
                             .format_id = "display_300x250",
                             .status = "pending_review"};
        CreativeStore::Upsert(txn, creative);
        EXPECT_TRUE(CreativeStore::Assign(txn, "acme", "cr_1", "pkg_0"));
        EXPECT_FALSE(CreativeStore::Assign(txn, "acme", "cr_1", "pkg_0"));
        const TaskRow task{.task_id = "task_1",
                           .principal_id = "acme",
                           .task_type = "media_buy_approval",
                           .media_buy_id = "mb_1",
                           .summary = "approve"};
        EXPECT_TRUE(HumanTaskStore::Insert(txn, task));
        // One open approval per buy.
        TaskRow again = task;
        again.task_id = "task_2";
        EXPECT_FALSE(HumanTaskStore::Insert(txn, again));
        return absl::OkStatus();
      }).ok());
  ASSERT_TRUE(
      In("tenant-a", [](TenantTxn& txn) {
        const auto assignments = CreativeStore::AssignmentsOfBuy(txn, "mb_1");
        EXPECT_EQ(assignments.size(), 1u);
        if (!assignments.empty()) {
          EXPECT_EQ(assignments[0].package_id, "pkg_0");
          EXPECT_EQ(assignments[0].creative_status, "pending_review");
        }
        HumanTaskStore::FailOpenOfBuy(txn, "mb_1", "gone");
        auto task = HumanTaskStore::Find(txn, "task_1", {"", true}, false);
        EXPECT_TRUE(task.has_value());
        if (task) {
          EXPECT_EQ(task->status, "failed");
          EXPECT_EQ(task->resolution, "gone");
          EXPECT_EQ(task->resolved_by, "system");
        }
        return absl::OkStatus();
      }).ok());
  ASSERT_TRUE(
      In("tenant-b", [](TenantTxn& txn) {
        EXPECT_FALSE(CreativeStore::Find(txn, "acme", "cr_1").has_value());
        EXPECT_TRUE(HumanTaskStore::List(txn, {"", true}, "", 10, "").empty());
        return absl::OkStatus();
      }).ok());
}

TEST_F(MediaBuyStoreTest, AnIdempotencyKeyIsClaimedOncePerTenant) {
  const std::string hash(64, 'a');
  auto claim = [&](TenantTxn& txn) {
    return IdempotencyStore::Claim(txn, "acme", "key-1", "create_media_buy",
                                   hash, absl::Hours(24));
  };
  ASSERT_TRUE(In("tenant-a", [&](TenantTxn& txn) {
                EXPECT_FALSE(claim(txn).has_value());
                IdempotencyStore::StoreResponse(txn, "acme", "key-1", "answer");
                return absl::OkStatus();
              }).ok());
  ASSERT_TRUE(In("tenant-a", [&](TenantTxn& txn) {
                auto existing = claim(txn);
                EXPECT_TRUE(existing.has_value());
                if (existing) {
                  EXPECT_EQ(existing->request_hash, hash + ":create_media_buy");
                  EXPECT_EQ(existing->response, "answer");
                  EXPECT_FALSE(existing->expired);
                }
                return absl::OkStatus();
              }).ok());
  // The same key of the same principal is free in another tenant.
  ASSERT_TRUE(In("tenant-b", [&](TenantTxn& txn) {
                EXPECT_FALSE(claim(txn).has_value());
                return absl::OkStatus();
              }).ok());
}

}  // namespace
}  // namespace adcp::media_buy
