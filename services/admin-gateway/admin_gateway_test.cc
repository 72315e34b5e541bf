// The system admin REST API over real sockets, in front of a real registry
// and auth service on a throwaway PostgreSQL.
#include "services/admin-gateway/admin_gateway.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/admin-gateway/gateway_test_config.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/suite.h"

namespace adcp::admin_gateway {
namespace {

using ::adcp::testing::HttpCall;
using ::adcp::testing::HttpReply;
using ::adcp::testing::Suite;
using nlohmann::json;

class AdminGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto suite = Suite::Start();
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = *std::move(suite);
    auto gateway = AdminGateway::Start(TestGatewayConfig(*suite_));
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
  }

  HttpReply Call(const std::string& method, const std::string& target,
                 const std::string& body = "") {
    return HttpCall(gateway_->port(), method, target, body,
                    {{"X-System-Token", suite_->system_token()}});
  }
  HttpReply CreateTenant(const std::string& id,
                         const json& extra = json::object()) {
    json body = {
        {"tenant_id", id}, {"name", "Publisher " + id}, {"subdomain", id}};
    body.update(extra);
    return Call("POST", "/system/tenants", body.dump());
  }

  std::unique_ptr<Suite> suite_;
  std::unique_ptr<AdminGateway> gateway_;
};

void ExpectError(const HttpReply& reply, int status,
                 const std::string& message_prefix) {
  EXPECT_EQ(reply.status, status) << reply.body;
  const json body = reply.Json();
  ASSERT_TRUE(body.is_object() && body.contains("error") &&
              body["error"].is_string())
      << reply.body;
  EXPECT_TRUE(body["error"].get<std::string>().starts_with(message_prefix))
      << "want '" << message_prefix << "', got " << reply.body;
  EXPECT_EQ(reply.headers.at("content-type"), "application/json");
}

TEST_F(AdminGatewayTest, EveryRouteNeedsTheSystemToken) {
  ASSERT_EQ(CreateTenant("alpha").status, 201);
  auto admin = suite_->CreatePrincipal("alpha", "buyer");
  ASSERT_TRUE(admin.ok());
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/system/tenants"},
      {"POST", "/system/tenants"},
      {"GET", "/system/tenants/alpha"},
      {"PATCH", "/system/tenants/alpha"},
      {"DELETE", "/system/tenants/alpha"},
      {"PUT", "/system/tenants/alpha/config"},
      {"GET", "/system/tenants/alpha/audit"},
      {"GET", "/system/tenants/alpha/webhook_deliveries"},
      {"GET", "/system/tenants/alpha/principals"},
      {"POST", "/system/tenants/alpha/principals"},
      {"POST", "/system/tenants/alpha/principals/buyer/rotate"},
      {"DELETE", "/system/tenants/alpha/principals/buyer"},
      {"GET", "/system/admins"},
      {"POST", "/system/admins"},
      {"DELETE", "/system/admins/suite-admin"},
      {"GET", "/system/admins/suite-admin/tokens"},
      {"POST", "/system/admins/suite-admin/tokens"},
      {"DELETE", "/system/admins/suite-admin/tokens/sat_0"},
      {"GET", "/system/nothing"},
  };
  const std::string alpha_admin = "alpha's principal token";
  for (const auto& [method, target] : routes) {
    for (const std::map<std::string, std::string>& headers :
         std::vector<std::map<std::string, std::string>>{
             {},
             {{"X-System-Token", "wrong"}},
             {{"X-System-Token", suite_->system_token() + "x"}},
             {{"X-System-Token", admin->access_token()}},
             {{"Authorization", "Bearer " + suite_->system_token()}}}) {
      const HttpReply reply =
          HttpCall(gateway_->port(), method, target, "{}", headers);
      EXPECT_EQ(reply.status, 403) << method << " " << target;
      EXPECT_EQ(reply.Json(), json({{"error", "Unauthorized"}})) << reply.body;
    }
  }
  // Nothing changed: the principal still works, no tenant was created.
  EXPECT_EQ(Call("GET", "/system/tenants").Json()["tenants"].size(), 1u);
  EXPECT_EQ(Call("GET", "/system/admins").Json()["admins"].size(), 1u);
}

TEST_F(AdminGatewayTest, NamedAdminsAndTheirTokens) {
  const HttpReply created = Call(
      "POST", "/system/admins",
      R"({"admin_id":"bob@example.com","name":"Bob","password":"bobs-long-password"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Json()["created_by"],
            absl::StrCat("admin:", testing::kSuiteAdminId));
  EXPECT_FALSE(created.Json().contains("password"));
  ExpectError(Call("POST", "/system/admins",
                   R"({"admin_id":"bob2","name":"Bob","password":"short"})"),
              400, "password: 12 to 1024 bytes");
  ExpectError(Call("POST", "/system/admins", R"({"admin_id":"bob2"})"), 400,
              "name: required");
  ExpectError(
      Call(
          "POST", "/system/admins",
          R"({"admin_id":"bob@example.com","name":"B","password":"bobs-long-password"})"),
      409, "admin_id: 'bob@example.com' already exists");
  EXPECT_EQ(Call("GET", "/system/admins").Json()["admins"].size(), 2u);

  // An admin mints tokens for itself only.
  ExpectError(Call("POST", "/system/admins/bob@example.com/tokens"), 403,
              "admin_id: an admin mints API tokens only for itself");
  const std::string me =
      absl::StrCat("/system/admins/", testing::kSuiteAdminId, "/tokens");
  const HttpReply minted = Call("POST", me);
  ASSERT_EQ(minted.status, 201) << minted.body;
  const std::string token = minted.Json()["token"];
  const std::string token_id = minted.Json()["token_id"];
  const HttpReply listed = Call("GET", me);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find(token), std::string::npos);  // never again
  auto as_new_token = [&] {
    return HttpCall(gateway_->port(), "GET", "/system/tenants", "",
                    {{"X-System-Token", token}})
        .status;
  };
  EXPECT_EQ(as_new_token(), 200);
  const HttpReply revoked = Call("DELETE", me + "/" + token_id);
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_FALSE(revoked.Json()["revoked_at"].is_null());
  EXPECT_TRUE(testing::Eventually([&] { return as_new_token() == 403; },
                                  absl::Seconds(2)));
  ExpectError(Call("DELETE", me + "/sat_unknown"), 404, "token not found");

  // Disabling bob: listed only with include_disabled.
  const HttpReply disabled = Call("DELETE", "/system/admins/bob@example.com");
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  EXPECT_FALSE(disabled.Json()["disabled_at"].is_null());
  EXPECT_EQ(Call("GET", "/system/admins").Json()["admins"].size(), 1u);
  EXPECT_EQ(Call("GET", "/system/admins?include_disabled=true")
                .Json()["admins"]
                .size(),
            2u);
}

TEST(AdminGatewayFailures, WrongSystemTokensAreThrottledPerClient) {
  auto suite = Suite::Start();
  ASSERT_TRUE(suite.ok()) << suite.status();
  GatewayConfig config = TestGatewayConfig(**suite);
  config.admin_token_failures = {.per_second = 0.2, .burst = 3};
  auto gateway = AdminGateway::Start(config);
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  auto get = [&](const std::string& token) {
    return HttpCall((*gateway)->port(), "GET", "/system/tenants", "",
                    {{"X-System-Token", token}});
  };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get("adcp_wrong").status, 403);
  const HttpReply throttled = get("adcp_wrong");
  EXPECT_EQ(throttled.status, 429) << throttled.body;
  EXPECT_FALSE(throttled.headers.at("retry-after").empty());
  // Before any lookup: even the right token waits.
  EXPECT_EQ(get((*suite)->system_token()).status, 429);
}

TEST_F(AdminGatewayTest, CreatesATenantWithItsAdminTokenShownOnce) {
  const HttpReply created = CreateTenant(
      "nytimes", {{"billing_plan", "enterprise"},
                  {"config", {{"features", {{"max_daily_budget", 1000000}}}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const json body = created.Json();
  EXPECT_EQ(body["status"], "created");
  EXPECT_EQ(body["tenant_id"], "nytimes");
  const std::string token = body["admin_token"].get<std::string>();
  ASSERT_TRUE(token.starts_with("adcp_"));

  auth::v1::ResolvePrincipalRequest resolve;
  resolve.set_token(token);
  auth::v1::Principal principal;
  ASSERT_TRUE(suite_->auth()
                  .ResolvePrincipal(Suite::Context("nytimes", "", "").get(),
                                    resolve, &principal)
                  .ok());
  EXPECT_EQ(principal.principal_id(), "nytimes_admin");
  EXPECT_TRUE(principal.is_admin());

  const json list = Call("GET", "/system/tenants").Json();
  ASSERT_EQ(list["tenants"].size(), 1u);
  const json& summary = list["tenants"][0];
  EXPECT_EQ(summary["tenant_id"], "nytimes");
  EXPECT_EQ(summary["name"], "Publisher nytimes");
  EXPECT_EQ(summary["subdomain"], "nytimes");
  EXPECT_EQ(summary["is_active"], true);
  EXPECT_EQ(summary["billing_plan"], "enterprise");
  EXPECT_TRUE(summary["created_at"].is_string());
  EXPECT_EQ(summary.size(), 6u);

  const HttpReply one = Call("GET", "/system/tenants/nytimes");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.Json()["config"]["features"]["max_daily_budget"], 1000000);
  EXPECT_EQ(one.body.find(token.substr(5)), std::string::npos);
  // The token appears nowhere afterwards.
  EXPECT_EQ(Call("GET", "/system/tenants/nytimes/principals")
                .body.find(token.substr(5)),
            std::string::npos);
}

TEST_F(AdminGatewayTest, CreateRejectsBadBodiesNamingTheField) {
  ExpectError(Call("POST", "/system/tenants", "{not json"), 400,
              "body: not valid JSON");
  ExpectError(Call("POST", "/system/tenants", "[]"), 400,
              "body: expected a JSON object");
  ExpectError(
      Call("POST", "/system/tenants", R"({"tenant_id":"a1","subdomain":"a1"})"),
      400, "name: required");
  ExpectError(Call("POST", "/system/tenants",
                   R"({"tenant_id":"a1","name":7,"subdomain":"a1"})"),
              400, "name: expected a string");
  ExpectError(CreateTenant("a1", {{"colour", "red"}}), 400,
              "colour: unknown field");
  ExpectError(CreateTenant("a1", {{"subdomain", "www"}}), 400,
              "subdomain: 'www' is a reserved");
  ExpectError(CreateTenant("a1", {{"billing_plan", "gold"}}), 400,
              "billing_plan:");
  ExpectError(
      CreateTenant("a1",
                   {{"config", {{"features", {{"max_daily_budget", "x"}}}}}}),
      400, "features.max_daily_budget: expected a number");
  ExpectError(CreateTenant("a1", {{"config", "x"}}), 400,
              "config: expected an object");
  EXPECT_EQ(Call("GET", "/system/tenants").Json()["tenants"].size(), 0u);
  ASSERT_EQ(CreateTenant("a1").status, 201);
  ExpectError(CreateTenant("a2", {{"subdomain", "a1"}}), 409,
              "subdomain: 'a1' is already taken");
  ExpectError(CreateTenant("a1", {{"subdomain", "a3"}}), 409,
              "tenant_id: 'a1' already exists");
}

TEST_F(AdminGatewayTest, ConfigUpdatesDeepMergeAndValidate) {
  ASSERT_EQ(CreateTenant("alpha", {{"config",
                                    {{"features",
                                      {{"max_daily_budget", 10},
                                       {"enable_aee_signals", true}}}}}})
                .status,
            201);
  const HttpReply updated = Call("PUT", "/system/tenants/alpha/config",
                                 R"({"features":{"max_daily_budget":25},
                                     "branding":{"primary_color":"#112233"}})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.Json(), json({{"status", "updated"}}));
  const json config = Call("GET", "/system/tenants/alpha").Json()["config"];
  EXPECT_EQ(config["features"]["max_daily_budget"], 25);
  EXPECT_EQ(config["features"]["enable_aee_signals"], true);
  EXPECT_EQ(config["branding"]["primary_color"], "#112233");
  ExpectError(Call("PUT", "/system/tenants/alpha/config",
                   R"({"features":{"max_daily_budget":-1}})"),
              400, "features.max_daily_budget: must be a number >= 0");
  ExpectError(Call("PUT", "/system/tenants/alpha/config", R"({"nope":{}})"),
              400, "nope: unknown key");
  ExpectError(Call("PUT", "/system/tenants/alpha/config", "7"), 400,
              "config: expected a JSON object");
  ExpectError(Call("PUT", "/system/tenants/ghost/config", "{}"), 404,
              "tenant not found");
  EXPECT_EQ(Call("GET", "/system/tenants/alpha").Json()["config"], config);
}

TEST_F(AdminGatewayTest, AdapterCredentialsAreReferencesNeverKeys) {
  const std::string key = "KEVEL-KEY-1234567890";
  // A key in clear is refused, on create and on update, without echoing it.
  const HttpReply refused = CreateTenant(
      "beta", {{"config", {{"adapters", {{"kevel", {{"api_key", key}}}}}}}});
  ExpectError(refused, 400,
              "adapters.kevel.api_key: credentials are not stored in tenant "
              "config");
  EXPECT_EQ(refused.body.find(key), std::string::npos);
  ASSERT_EQ(CreateTenant("beta", {{"config",
                                   {{"adapters",
                                     {{"kevel",
                                       {{"enabled", true},
                                        {"network_id", "789"},
                                        {"api_key_secret", "kevel-beta"}}}}}}}})
                .status,
            201);
  const HttpReply update =
      Call("PUT", "/system/tenants/beta/config",
           json({{"adapters",
                  {{"google_ad_manager", {{"service_account_key", key}}}}}})
               .dump());
  ExpectError(update, 400,
              "adapters.google_ad_manager.service_account_key: credentials "
              "are not stored in tenant config");
  EXPECT_EQ(update.body.find(key), std::string::npos);
  // Reads show the reference, and no read shows a key.
  const HttpReply one = Call("GET", "/system/tenants/beta");
  EXPECT_EQ(one.Json()["config"]["adapters"]["kevel"]["api_key_secret"],
            "kevel-beta");
  for (const char* target : {"/system/tenants", "/system/tenants/beta",
                             "/system/tenants/beta/principals"}) {
    const HttpReply read = Call("GET", target);
    EXPECT_EQ(read.status, 200) << target;
    EXPECT_EQ(read.body.find(key), std::string::npos) << target;
  }
}

TEST_F(AdminGatewayTest, PatchChangesNameStatePlanAndContact) {
  ASSERT_EQ(CreateTenant("alpha").status, 201);
  const HttpReply patched =
      Call("PATCH", "/system/tenants/alpha",
           R"({"name":"Alpha Media","billing_plan":"premium",
                                     "billing_contact":"ap@alpha.test","is_active":false})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  const json tenant = Call("GET", "/system/tenants/alpha").Json();
  EXPECT_EQ(tenant["name"], "Alpha Media");
  EXPECT_EQ(tenant["billing_plan"], "premium");
  EXPECT_EQ(tenant["billing_contact"], "ap@alpha.test");
  EXPECT_EQ(tenant["is_active"], false);
  ExpectError(Call("PATCH", "/system/tenants/alpha", R"({"is_active":"no"})"),
              400, "is_active: expected true or false");
  ExpectError(Call("PATCH", "/system/tenants/alpha", R"({"subdomain":"x"})"),
              400, "subdomain: unknown field");
  ExpectError(Call("PATCH", "/system/tenants/alpha", "{}"), 400,
              "body: set at least one");
  ExpectError(
      Call("PATCH", "/system/tenants/alpha", R"({"billing_plan":"gold"})"), 400,
      "billing_plan:");
  ExpectError(Call("PATCH", "/system/tenants/ghost", R"({"name":"x"})"), 404,
              "tenant not found");
  ExpectError(Call("GET", "/system/tenants/ghost"), 404, "tenant not found");
  // A bad field anywhere changes nothing, is_active included.
  ExpectError(Call("PATCH", "/system/tenants/alpha",
                   R"({"is_active":true,"billing_plan":"gold"})"),
              400, "billing_plan:");
  EXPECT_EQ(Call("GET", "/system/tenants/alpha").Json()["is_active"], false);
}

TEST_F(AdminGatewayTest, PrincipalsAreCreatedListedRotatedAndRevoked) {
  ASSERT_EQ(CreateTenant("alpha").status, 201);
  const HttpReply created =
      Call("POST", "/system/tenants/alpha/principals",
           R"({"name":"Acme Agent","principal_id":"acme"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Json()["principal_id"], "acme");
  const std::string token = created.Json()["access_token"].get<std::string>();

  const json list =
      Call("GET", "/system/tenants/alpha/principals").Json()["principals"];
  ASSERT_EQ(list.size(), 2u);  // alpha_admin and acme
  for (const json& principal : list) {
    EXPECT_FALSE(principal.contains("access_token"));
    EXPECT_TRUE(principal["token_prefix"].is_string());
  }
  const HttpReply rotated =
      Call("POST", "/system/tenants/alpha/principals/acme/rotate");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_NE(rotated.Json()["access_token"], token);
  auth::v1::ResolvePrincipalRequest resolve;
  resolve.set_token(token);
  auth::v1::Principal principal;
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  grpc::Status status;
  do {
    status = suite_->auth().ResolvePrincipal(
        Suite::Context("alpha", "", "").get(), resolve, &principal);
  } while (status.ok() && absl::Now() < deadline);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  const HttpReply revoked =
      Call("DELETE", "/system/tenants/alpha/principals/acme");
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(revoked.Json()["status"], "revoked");
  ExpectError(Call("POST", "/system/tenants/alpha/principals/acme/rotate"), 409,
              "principal is revoked");
  ExpectError(Call("DELETE", "/system/tenants/alpha/principals/ghost"), 404,
              "principal not found");
  ExpectError(Call("POST", "/system/tenants/alpha/principals",
                   R"({"principal_id":"x"})"),
              400, "name: required");
  ExpectError(Call("POST", "/system/tenants/alpha/principals",
                   R"({"name":"A","principal_id":"acme"})"),
              409, "principal_id: 'acme' already exists");
  ExpectError(Call("GET", "/system/tenants/ghost/principals"), 404,
              "tenant not found");

  const json audit =
      Call("GET", "/system/tenants/alpha/audit").Json()["events"];
  std::vector<std::string>
      changes;  // newest first; the failed resolutions above aside
  int64_t previous_id = INT64_MAX;
  for (const json& event : audit) {
    EXPECT_LT(event["audit_id"].get<int64_t>(), previous_id);
    previous_id = event["audit_id"].get<int64_t>();
    if (event["operation"] != "auth_failed")
      changes.push_back(event["operation"]);
  }
  EXPECT_EQ(changes, (std::vector<std::string>{
                         "principal_revoked", "principal_token_rotated",
                         "principal_created",
                         // initialization: the tenant, its creative defaults,
                         // its admin principal, done
                         "tenant_initialized", "principal_created",
                         "tenant_config_updated", "tenant_created"}));
}

TEST_F(AdminGatewayTest, WebhookDeliveriesAreListedPerTenant) {
  ASSERT_EQ(CreateTenant("alpha").status, 201);
  const HttpReply listed =
      Call("GET", "/system/tenants/alpha/webhook_deliveries");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.Json()["deliveries"], json::array());
  ExpectError(
      Call("GET", "/system/tenants/alpha/webhook_deliveries?status=lost"), 400,
      "status: must be one of pending, delivered, expired");
  // Refused at the gateway, before media-buy sees them (bytes that are not
  // UTF-8 could not even travel in its request).
  ExpectError(
      Call("GET", "/system/tenants/alpha/webhook_deliveries?status=%FF%FE"),
      400, "status: must be one of pending, delivered, expired");
  for (const char* size : {"0", "101", "-1", "ten", "1e2", "99999999999"})
    ExpectError(Call("GET", absl::StrCat("/system/tenants/alpha/"
                                         "webhook_deliveries?page_size=",
                                         size)),
                400, "page_size: an integer from 1 to 100");
  for (const char* token : {"abc", "-5", "12345678901234567890", "%00"})
    ExpectError(Call("GET", absl::StrCat("/system/tenants/alpha/"
                                         "webhook_deliveries?page_token=",
                                         token)),
                400,
                "page_token: must be a next_page_token of an earlier answer");
  EXPECT_EQ(Call("GET",
                 "/system/tenants/alpha/webhook_deliveries?status=pending&"
                 "page_size=5&page_token=42")
                .status,
            200);
  ExpectError(Call("POST", "/system/tenants/alpha/webhook_deliveries"), 405,
              "method not allowed");
  EXPECT_EQ(Call("GET", "/system/tenants/nobody/webhook_deliveries").status,
            404);
}

TEST_F(AdminGatewayTest, RefusesOversizedBodiesUnknownRoutesAndWrongMethods) {
  const std::string big = "{\"name\":\"" + std::string(1 << 20, 'x') + "\"}";
  const HttpReply too_big = Call("POST", "/system/tenants", big);
  ExpectError(too_big, 413, "request body over");
  ExpectError(Call("GET", "/system/other"), 404, "not found");
  ExpectError(Call("GET", "/elsewhere"), 404, "not found");
  ExpectError(Call("DELETE", "/system/tenants"), 405, "method not allowed");
  ExpectError(Call("POST", "/system/tenants/x/config"), 405,
              "method not allowed");
}

TEST_F(AdminGatewayTest, HealthzFollowsTheBackends) {
  EXPECT_EQ(HttpCall(gateway_->port(), "GET", "/healthz").status, 200);
}

TEST(AdminGatewayMetricsTest, CountsRequestsByAreaAndStatus) {
  auto suite = Suite::Start();
  ASSERT_TRUE(suite.ok()) << suite.status();
  GatewayConfig config = TestGatewayConfig(**suite);
  config.metrics_port = 0;
  auto gateway = AdminGateway::Start(config);
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  EXPECT_EQ(HttpCall((*gateway)->port(), "GET", "/system/tenants").status, 403);
  EXPECT_EQ(HttpCall((*gateway)->port(), "GET", "/system/tenants").status, 403);
  const HttpReply metrics =
      HttpCall((*gateway)->metrics_port(), "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(
      metrics.body.find(R"(http_requests_total{area="system",code="403"} 2)"),
      std::string::npos)
      << metrics.body;
}

TEST(AdminGatewayBackendsDownTest, AnswersServiceUnavailable) {
  auto suite = Suite::Start();
  ASSERT_TRUE(suite.ok()) << suite.status();
  // Nothing listens on port 1.
  auto gateway = AdminGateway::Start(
      TestGatewayConfig(**suite, "127.0.0.1:1", "127.0.0.1:1", "127.0.0.1:1"));
  ASSERT_TRUE(gateway.ok());
  const HttpReply health = HttpCall((*gateway)->port(), "GET", "/healthz");
  EXPECT_EQ(health.status, 503);
  const HttpReply list =
      HttpCall((*gateway)->port(), "GET", "/system/tenants", "",
               {{"X-System-Token", (*suite)->system_token()}});
  ExpectError(list, 503, "");
  const HttpReply create =
      HttpCall((*gateway)->port(), "POST", "/system/tenants",
               R"({"tenant_id":"a","name":"A","subdomain":"a"})",
               {{"X-System-Token", (*suite)->system_token()}});
  ExpectError(create, 503, "");
}

}  // namespace
}  // namespace adcp::admin_gateway
