// The tenant lifecycle through the system admin REST API, against the real
// registry, auth and media-buy services: initialization (and resuming it
// after a failed step), hot reload of config into every service,
// deactivation and reactivation, and hard deletion.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "libs/tenancy/audit_chain.h"
#include "services/admin-gateway/admin_gateway.h"
#include "services/admin-gateway/gateway_test_config.h"
#include "services/admin-gateway/tenant_initializer.h"
#include "tests/support/http_client.h"

namespace adcp::admin_gateway {
namespace {

using ::adcp::testing::HttpCall;
using ::adcp::testing::HttpReply;
using ::adcp::testing::Suite;
using nlohmann::json;
namespace mpb = ::adcp::media_buy::v1;

class TenantLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto suite = Suite::Start();
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = *std::move(suite);
    auto gateway = AdminGateway::Start(TestGatewayConfig(*suite_));
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
  }

  HttpReply Call(AdminGateway& gateway, const std::string& method,
                 const std::string& target, const std::string& body = "") {
    return HttpCall(gateway.port(), method, target, body,
                    {{"X-System-Token", suite_->system_token()}});
  }
  HttpReply Call(const std::string& method, const std::string& target,
                 const std::string& body = "") {
    return Call(*gateway_, method, target, body);
  }

  static json TenantBody(const std::string& id) {
    return {{"tenant_id", id},
            {"name", "Publisher " + id},
            {"subdomain", id},
            {"config",
             {{"adapters",
               {{"google_ad_manager",
                 {{"enabled", true}, {"network_code", "123456"}}}}},
              {"product_defaults", {{"display_cpm", 12.5}}}}}};
  }

  int64_t Count(const std::string& sql) {
    pqxx::connection connection(suite_->db().SuperuserUrl());
    pqxx::work txn(connection);
    return txn.exec1(sql)[0].as<int64_t>();
  }

  // Products as a principal of the tenant sees them.
  grpc::Status Products(const std::string& tenant, const std::string& token,
                        mpb::GetProductsResponse* response) {
    mpb::GetProductsRequest request;
    request.set_buying_mode("wholesale");
    return suite_->media_buy().GetProducts(
        Suite::Context(tenant, token, "").get(), request, response);
  }
  grpc::StatusCode Resolve(const std::string& tenant,
                           const std::string& token) {
    auth::v1::ResolvePrincipalRequest request;
    request.set_token(token);
    auth::v1::Principal principal;
    return suite_->auth()
        .ResolvePrincipal(Suite::Context(tenant, "", "").get(), request,
                          &principal)
        .error_code();
  }

  // How long until `done()` holds, polling; fails past `bound`.
  template <typename Done>
  absl::Duration TimeUntil(Done&& done, absl::Duration bound) {
    const absl::Time start = absl::Now();
    while (!done()) {
      if (absl::Now() - start > bound) {
        ADD_FAILURE() << "not reached within " << bound;
        break;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    return absl::Now() - start;
  }

  std::unique_ptr<Suite> suite_;
  std::unique_ptr<AdminGateway> gateway_;
};

TEST_F(TenantLifecycleTest, InitializationMakesAUsableTenant) {
  const HttpReply created =
      Call("POST", "/system/tenants", TenantBody("radio1").dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string admin_token = created.Json()["admin_token"];

  // The default products of its ad server, priced from product_defaults.
  mpb::GetProductsResponse products;
  ASSERT_TRUE(Products("radio1", admin_token, &products).ok());
  std::map<std::string, const mpb::Product*> by_id;
  for (const auto& product : products.products())
    by_id[product.product_id()] = &product;
  ASSERT_EQ(by_id.size(), 3u);
  ASSERT_TRUE(by_id.count("google_ad_manager_display_300x250"));
  ASSERT_TRUE(by_id.count("google_ad_manager_display_728x90"));
  ASSERT_TRUE(by_id.count("google_ad_manager_video_30s"));
  EXPECT_DOUBLE_EQ(by_id["google_ad_manager_display_300x250"]
                       ->pricing_options(0)
                       .fixed_price(),
                   12.5);
  EXPECT_DOUBLE_EQ(
      by_id["google_ad_manager_video_30s"]->pricing_options(0).floor_price(),
      25.0);

  // The creative defaults, the state, the audit rows.
  const json tenant = Call("GET", "/system/tenants/radio1").Json();
  EXPECT_EQ(tenant["config"]["creative_engine"]["auto_approve_formats"],
            json({"display_300x250", "display_728x90"}));
  EXPECT_EQ(tenant["config"]["creative_engine"]["human_review_required"], true);
  EXPECT_EQ(tenant["is_active"], true);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE tenant_id = 'radio1' "
                  "AND operation = 'tenant_created'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE tenant_id = 'radio1' "
                  "AND operation = 'tenant_initialized'"),
            1);
  // Creating it again is a conflict that changes nothing.
  const int64_t rows = Count(
      "SELECT (SELECT count(*) FROM products) + "
      "(SELECT count(*) FROM principals) + "
      "(SELECT count(*) FROM audit_log)");
  const HttpReply again =
      Call("POST", "/system/tenants", TenantBody("radio1").dump());
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(Count("SELECT (SELECT count(*) FROM products) + "
                  "(SELECT count(*) FROM principals) + "
                  "(SELECT count(*) FROM audit_log)"),
            rows);
}

TEST_F(TenantLifecycleTest, AFailedStepLeavesTheTenantHiddenAndARetryResumes) {
  // A gateway whose media-buy backend is unreachable stops at the products.
  auto broken = AdminGateway::Start(
      TestGatewayConfig(*suite_, suite_->registry_address(),
                        suite_->auth_address(), "127.0.0.1:1"));
  ASSERT_TRUE(broken.ok());
  const HttpReply failed =
      Call(**broken, "POST", "/system/tenants", TenantBody("radio2").dump());
  EXPECT_EQ(failed.status, 503) << failed.body;
  EXPECT_EQ(failed.Json()["failed_step"], "default_products") << failed.body;
  EXPECT_NE(failed.Json()["error"].get<std::string>().find("default_products"),
            std::string::npos);
  // The tenant exists, uninitialized and inactive: agents cannot use it.
  const json hidden = Call("GET", "/system/tenants/radio2").Json();
  EXPECT_EQ(hidden["is_active"], false) << hidden.dump();
  EXPECT_EQ(hidden["initialized"], false) << hidden.dump();
  EXPECT_EQ(Count("SELECT count(*) FROM principals WHERE tenant_id = 'radio2'"),
            1);
  // It cannot be switched on by hand before its initialization is complete.
  const HttpReply activate =
      Call("PATCH", "/system/tenants/radio2", R"({"is_active":true})");
  EXPECT_EQ(activate.status, 409) << activate.body;

  // The same request through a working gateway completes it, once.
  const HttpReply resumed =
      Call("POST", "/system/tenants", TenantBody("radio2").dump());
  ASSERT_EQ(resumed.status, 201) << resumed.body;
  const std::string token = resumed.Json()["admin_token"];
  EXPECT_EQ(Resolve("radio2", token), grpc::StatusCode::OK);
  EXPECT_EQ(Count("SELECT count(*) FROM products WHERE tenant_id = 'radio2'"),
            3);
  EXPECT_EQ(Count("SELECT count(*) FROM principals WHERE tenant_id = 'radio2'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE tenant_id = 'radio2' "
                  "AND operation = 'tenant_created'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE tenant_id = 'radio2' "
                  "AND operation = 'tenant_initialized'"),
            1);
  EXPECT_EQ(Call("GET", "/system/tenants/radio2").Json()["is_active"], true);
  // Another tenant's id with a different subdomain does not "resume" it.
  json other = TenantBody("radio2");
  other["subdomain"] = "radio-two";
  EXPECT_EQ(Call("POST", "/system/tenants", other.dump()).status, 409);
}

TEST_F(TenantLifecycleTest, ConfigChangesReachEveryServiceWithinASecond) {
  ASSERT_EQ(Call("POST", "/system/tenants", TenantBody("radio3").dump()).status,
            201);
  auto buyer = suite_->CreatePrincipal("radio3", "buyer");
  ASSERT_TRUE(buyer.ok());
  const std::string token = buyer->access_token();
  mpb::GetProductsResponse products;
  ASSERT_TRUE(Products("radio3", token, &products).ok());
  // One request per second: the next calls to auth and to media-buy are
  // refused by the tenant's rate limit once the change has arrived.
  const absl::Time changed = absl::Now();
  ASSERT_EQ(Call("PUT", "/system/tenants/radio3/config",
                 R"({"rate_limits":{"principal_requests_per_second":0.001,
                     "principal_burst":1}})")
                .status,
            200);
  const absl::Duration media_buy = TimeUntil(
      [&] {
        mpb::GetProductsResponse ignored;
        return Products("radio3", token, &ignored).error_code() ==
               grpc::StatusCode::RESOURCE_EXHAUSTED;
      },
      absl::Seconds(3));
  const absl::Duration total = absl::Now() - changed;
  std::cout << "config change reached media-buy after "
            << absl::FormatDuration(media_buy) << " (" << total
            << " after the PUT was sent)\n";
  EXPECT_LT(total, absl::Seconds(1));
  // And the daily budget rule follows the config too.
  ASSERT_EQ(Call("PUT", "/system/tenants/radio3/config",
                 R"({"rate_limits":null,"features":{"max_daily_budget":1}})")
                .status,
            200);
  const absl::Duration limit = TimeUntil(
      [&] {
        mpb::CreateMediaBuyRequest request;
        request.set_idempotency_key("lifecycle-" + RandomHex(8));
        request.mutable_account()->mutable_brand()->set_domain("acme.example");
        request.mutable_account()->set_operator_("acme.example");
        request.mutable_brand()->set_domain("acme.example");
        request.set_start_time("asap");
        request.set_end_time(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                              absl::Now() + absl::Hours(48),
                                              absl::UTCTimeZone()));
        auto* package = request.add_packages();
        package->set_product_id("google_ad_manager_display_300x250");
        package->set_pricing_option_id("cpm_usd_fixed");
        package->set_budget(100);
        auto context = Suite::Context("radio3", token, "");
        context->AddMetadata("x-adcp-dry-run", "true");
        mpb::CreateMediaBuyResponse response;
        const grpc::Status status = suite_->media_buy().CreateMediaBuy(
            context.get(), request, &response);
        return status.error_code() == grpc::StatusCode::FAILED_PRECONDITION;
      },
      absl::Seconds(3));
  std::cout << "max_daily_budget change observed after "
            << absl::FormatDuration(limit) << "\n";
  EXPECT_LT(limit, absl::Seconds(1));
}

TEST_F(TenantLifecycleTest, DeactivationStopsEveryServiceAndKeepsEverything) {
  ASSERT_EQ(Call("POST", "/system/tenants", TenantBody("radio4").dump()).status,
            201);
  auto buyer = suite_->CreatePrincipal("radio4", "buyer");
  ASSERT_TRUE(buyer.ok());
  const std::string token = buyer->access_token();
  mpb::GetProductsResponse products;
  ASSERT_TRUE(Products("radio4", token, &products).ok());
  const int64_t rows = Count(
      "SELECT (SELECT count(*) FROM products WHERE tenant_id = 'radio4') + "
      "(SELECT count(*) FROM principals WHERE tenant_id = 'radio4')");

  ASSERT_EQ(
      Call("PATCH", "/system/tenants/radio4", R"({"is_active":false})").status,
      200);
  const absl::Duration off = TimeUntil(
      [&] {
        mpb::GetProductsResponse ignored;
        return Resolve("radio4", token) ==
                   grpc::StatusCode::PERMISSION_DENIED &&
               Products("radio4", token, &ignored).error_code() ==
                   grpc::StatusCode::PERMISSION_DENIED;
      },
      absl::Seconds(3));
  std::cout << "deactivation reached auth and media-buy after "
            << absl::FormatDuration(off) << "\n";
  EXPECT_LT(off, absl::Seconds(1));
  EXPECT_EQ(Count("SELECT (SELECT count(*) FROM products WHERE tenant_id = "
                  "'radio4') + (SELECT count(*) FROM principals WHERE "
                  "tenant_id = 'radio4')"),
            rows);

  ASSERT_EQ(
      Call("PATCH", "/system/tenants/radio4", R"({"is_active":true})").status,
      200);
  TimeUntil(
      [&] {
        mpb::GetProductsResponse again;
        return Resolve("radio4", token) == grpc::StatusCode::OK &&
               Products("radio4", token, &again).ok() &&
               again.products_size() == 3;
      },
      absl::Seconds(3));
}

TEST_F(TenantLifecycleTest, HardDeleteRemovesOneTenantsRowsOnly) {
  for (const char* id : {"keep", "gone"})
    ASSERT_EQ(Call("POST", "/system/tenants", TenantBody(id).dump()).status,
              201);
  const std::string tables =
      "SELECT (SELECT count(*) FROM products WHERE tenant_id = '%1$s') || ',' "
      "|| (SELECT count(*) FROM principals WHERE tenant_id = '%1$s') || ',' "
      "|| (SELECT count(*) FROM audit_log WHERE tenant_id = '%1$s')";
  auto counts = [&](const std::string& tenant) {
    pqxx::connection connection(suite_->db().SuperuserUrl());
    pqxx::work txn(connection);
    std::string sql = tables;
    size_t at;
    while ((at = sql.find("%1$s")) != std::string::npos)
      sql.replace(at, 4, tenant);
    return txn.exec1(sql)[0].as<std::string>();
  };
  const std::string kept_before = counts("keep");

  const HttpReply unconfirmed =
      Call("DELETE", "/system/tenants/gone", R"({"confirm_tenant_id":"keep"})");
  EXPECT_EQ(unconfirmed.status, 400) << unconfirmed.body;
  EXPECT_EQ(Call("DELETE", "/system/tenants/gone", "{}").status, 400);
  const HttpReply deleted =
      Call("DELETE", "/system/tenants/gone", R"({"confirm_tenant_id":"gone"})");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  const json body = deleted.Json();
  EXPECT_EQ(body["deleted_rows"]["products"], 3) << body.dump();
  EXPECT_EQ(body["deleted_rows"]["principals"], 1) << body.dump();
  EXPECT_EQ(body["deleted_rows"]["tenants"], 1) << body.dump();
  EXPECT_GE(body["deleted_rows"]["audit_log"].get<int>(), 2) << body.dump();
  EXPECT_EQ(counts("gone"), "0,0,0");
  EXPECT_EQ(counts("keep"), kept_before);
  EXPECT_EQ(Call("GET", "/system/tenants/gone").status, 404);
  EXPECT_EQ(
      Call("DELETE", "/system/tenants/gone", R"({"confirm_tenant_id":"gone"})")
          .status,
      404);
  // Every service forgets it.
  TimeUntil(
      [&] {
        mpb::GetProductsResponse ignored;
        return Resolve("gone", "whatever") == grpc::StatusCode::NOT_FOUND &&
               Products("gone", "whatever", &ignored).error_code() ==
                   grpc::StatusCode::NOT_FOUND;
      },
      absl::Seconds(3));
  // The id can be used again.
  EXPECT_EQ(Call("POST", "/system/tenants", TenantBody("gone").dump()).status,
            201);
}

TEST_F(TenantLifecycleTest, HardDeleteLeavesASignedTombstoneAndIntactChains) {
  for (const char* id : {"keep", "gone"})
    ASSERT_EQ(Call("POST", "/system/tenants", TenantBody(id).dump()).status,
              201);
  const HttpReply deleted =
      Call("DELETE", "/system/tenants/gone", R"({"confirm_tenant_id":"gone"})");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  const json body = deleted.Json();

  pqxx::connection connection(suite_->db().OwnerUrl());
  auto tombstones = ReadTombstones(connection, "gone", Suite::kAuditSigningKey);
  ASSERT_TRUE(tombstones.ok()) << tombstones.status();
  ASSERT_EQ(tombstones->size(), 1u);
  const StoredTombstone& stone = tombstones->front();
  EXPECT_TRUE(stone.signature_valid);
  EXPECT_EQ(stone.tombstone.tenant_id, "gone");
  // Who: the named admin whose token the request carried.
  EXPECT_EQ(stone.tombstone.purged_by,
            absl::StrCat("admin:", testing::kSuiteAdminId));
  EXPECT_NEAR(static_cast<double>(stone.tombstone.purged_at_micros),
              static_cast<double>(absl::ToUnixMicros(absl::Now())), 60e6);
  for (const auto& [table, rows] : body["deleted_rows"].items())
    EXPECT_EQ(stone.tombstone.deleted_rows.at(table), rows.get<int64_t>())
        << table;
  // The chain that was deleted was whole: its length is the rows deleted.
  EXPECT_EQ(stone.tombstone.audit_chain_length,
            body["deleted_rows"]["audit_log"].get<int64_t>());
  EXPECT_EQ(stone.tombstone.audit_chain_head_hex.size(), 64u);
  // Under another key, or once edited, it no longer verifies.
  auto wrong_key = ReadTombstones(connection, "gone", std::string(40, 'x'));
  ASSERT_TRUE(wrong_key.ok());
  EXPECT_FALSE(wrong_key->front().signature_valid);
  ASSERT_TRUE(suite_->db()
                  .ExecAsSuperuser("UPDATE tenant_tombstones SET purged_by = "
                                   "'someone else' WHERE purged_tenant_id = "
                                   "'gone'")
                  .ok());
  auto edited = ReadTombstones(connection, "gone", Suite::kAuditSigningKey);
  ASSERT_TRUE(edited.ok());
  EXPECT_FALSE(edited->front().signature_valid);
  // The purge role may add tombstones, never change or read them.
  pqxx::connection app(suite_->db().PurgeUrl());
  pqxx::work txn(app);
  EXPECT_THROW(txn.exec("SELECT count(*) FROM tenant_tombstones"),
               pqxx::insufficient_privilege);

  // The other tenant's chain is intact, and the id used again starts anew.
  ASSERT_EQ(Call("POST", "/system/tenants", TenantBody("gone").dump()).status,
            201);
  for (const char* tenant : {"keep", "gone"}) {
    auto chain = VerifyAuditChain(connection, tenant);
    ASSERT_TRUE(chain.ok()) << chain.status();
    EXPECT_GT(chain->rows, 0) << tenant;
    EXPECT_FALSE(chain->broken) << tenant << ": " << chain->broken->reason;
  }
}

}  // namespace
}  // namespace adcp::admin_gateway
