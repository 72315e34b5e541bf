// The admin UI's sign-in, session and CSRF rules over real sockets, and its
// small pure helpers. The page flow itself is driven in a real browser by
// tests/browser/admin_ui.mjs.
#include "services/admin-gateway/admin_ui.h"

#include <gtest/gtest.h>

#include <regex>

#include "libs/tenancy/tenant_config.h"
#include "services/admin-gateway/admin_ui_test_fixture.h"
#include "tests/support/eventually.h"
#include "tests/support/http_client.h"
#include "tests/support/suite.h"

namespace adcp::admin_gateway {
namespace {

using ::adcp::testing::HttpCall;
using ::adcp::testing::HttpReply;
using ::adcp::testing::Suite;
using nlohmann::json;

TEST(AdminUiHelpersTest, EscapesHtml) {
  auto pages = AdminPages::Load();
  ASSERT_TRUE(pages.ok()) << pages.status();
  const std::string page =
      (*pages)->Error("Error", "", R"(<script>alert("x") & 'y'</script>)");
  EXPECT_NE(page.find("<div class=\"error\" id=\"error\">"
                      "&lt;script&gt;alert(&quot;x&quot;) &amp; "
                      "&#39;y&#39;&lt;/script&gt;</div>"),
            std::string::npos)
      << page;
}

TEST(AdminUiHelpersTest, ParsesUrlEncodedForms) {
  const auto form = ParseForm(
      "a=1&name=Acme+Agent%21&empty=&config=%7B%22x%22%3A1%7D&bad=%zz");
  EXPECT_EQ(form.at("a"), "1");
  EXPECT_EQ(form.at("name"), "Acme Agent!");
  EXPECT_EQ(form.at("empty"), "");
  EXPECT_EQ(form.at("config"), R"({"x":1})");
  EXPECT_EQ(form.at("bad"), "%zz");
}

TEST(AdminUiHelpersTest, ReplacementPatchTurnsOneDocumentIntoAnother) {
  const json current =
      json::parse(R"({"features":{"a":1,"b":2},"branding":{"logo_url":"x"}})");
  const json wanted = json::parse(
      R"({"features":{"a":3},"adapters":{"mock":{"enabled":true}}})");
  const json patch = ReplacementPatch(current, wanted);
  EXPECT_EQ(patch, json::parse(R"({"features":{"a":3,"b":null},"branding":null,
                                   "adapters":{"mock":{"enabled":true}}})"));
  EXPECT_EQ(DeepMerge(current, patch), wanted);
}

TEST_F(AdminUiTest, SignInSetsAStrictHttpOnlySessionCookie) {
  EXPECT_EQ(HttpCall(gateway_->port(), "GET", "/admin/tenants").status,
            303);  // to the login
  const HttpReply wrong = LoginAttempt("nope");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(wrong.body.find("Wrong username or password."), std::string::npos);
  const HttpReply right = LoginAttempt(kPassword);
  ASSERT_EQ(right.status, 303) << right.body;
  EXPECT_EQ(right.headers.at("location"), "/admin/tenants");
  const std::string cookie = right.headers.at("set-cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  const std::string session = SetCookie(right, "adcp_admin_session");
  const HttpReply tenants =
      HttpCall(gateway_->port(), "GET", "/admin/tenants", "",
               {{"Cookie", "adcp_admin_session=" + session}});
  EXPECT_EQ(tenants.status, 200);
  EXPECT_NE(tenants.body.find("Create a tenant"), std::string::npos);
  // A forged or altered cookie is no session.
  for (const std::string& forged :
       {session + "0", "e30." + std::string(64, '0')}) {
    EXPECT_EQ(HttpCall(gateway_->port(), "GET", "/admin/tenants", "",
                       {{"Cookie", "adcp_admin_session=" + forged}})
                  .status,
              303);
  }
}

TEST_F(AdminUiTest, SignInWithoutItsFormTokenIsRefused) {
  const HttpReply reply =
      HttpCall(gateway_->port(), "POST", "/admin/login",
               std::string("username=" + std::string(testing::kSuiteAdminId) +
                           "&password=") +
                   FormValue(kPassword),
               {}, "application/x-www-form-urlencoded");
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(SetCookie(reply, "adcp_admin_session"), "");
}

TEST_F(AdminUiTest, RepeatedFailuresSlowACallerDownButNeverLockTheAdminOut) {
  // The admin signed in from this browser before: it holds a device cookie.
  const HttpReply first = LoginAttempt(kPassword);
  ASSERT_EQ(first.status, 303);
  std::string device;
  for (const std::string& cookie : first.set_cookies)
    if (cookie.starts_with("adcp_admin_device="))
      device = cookie.substr(0, cookie.find(';'));
  ASSERT_FALSE(device.empty());

  // A stranger fails five times: its sixth attempt waits, even with the
  // right password, and is told how long (429, Retry-After). The waits are
  // auth's, in the database's time: this test sleeps through them.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(LoginAttempt("wrong").status, 401);
  const HttpReply slowed = LoginAttempt(kPassword);
  EXPECT_EQ(slowed.status, 429);
  EXPECT_NE(slowed.body.find("Too many failed sign-in attempts; try again in"),
            std::string::npos);
  EXPECT_EQ(slowed.headers.at("retry-after"), "1");
  // Not a lock-out: after the wait the next attempt is heard, and each
  // further failure doubles the wait.
  absl::SleepFor(absl::Milliseconds(1100));
  EXPECT_EQ(LoginAttempt("wrong").status, 401);
  EXPECT_EQ(LoginAttempt(kPassword).status, 429);
  absl::SleepFor(absl::Milliseconds(1000));
  EXPECT_EQ(LoginAttempt(kPassword).status, 429);  // 2 s now

  // Meanwhile the admin's own browser signs in at once.
  const HttpReply page = HttpCall(gateway_->port(), "GET", "/admin/login");
  const std::string csrf = SetCookie(page, "adcp_login_csrf");
  const HttpReply admin = HttpCall(
      gateway_->port(), "POST", "/admin/login",
      "_csrf=" + csrf + "&username=" + std::string(testing::kSuiteAdminId) +
          "&password=" + FormValue(kPassword),
      {{"Cookie", "adcp_login_csrf=" + csrf + "; " + device}},
      "application/x-www-form-urlencoded");
  EXPECT_EQ(admin.status, 303) << admin.body;
  // And the stranger, once its wait is over, too.
  absl::SleepFor(absl::Milliseconds(1100));
  EXPECT_EQ(LoginAttempt(kPassword).status, 303);
}

TEST_F(AdminUiTest, FailuresSpreadOverReplicasSlowACallerDownOnEachOfThem) {
  GatewayConfig config = TestGatewayConfig(*suite_);
  config.ui.clock = [this] { return now_; };
  auto replica = AdminGateway::Start(config);
  ASSERT_TRUE(replica.ok()) << replica.status();
  // Five failures, alternating between the two gateways: the sixth attempt
  // waits on both, as if one gateway had seen them all.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(LoginAttempt("wrong", testing::kSuiteAdminId,
                           i % 2 ? (*replica)->port() : gateway_->port())
                  .status,
              401);
  }
  EXPECT_EQ(LoginAttempt(kPassword, testing::kSuiteAdminId, (*replica)->port())
                .status,
            429);
  EXPECT_EQ(LoginAttempt(kPassword).status, 429);
}

TEST_F(AdminUiTest, SignInFormTokensAreSignedByTheServer) {
  // Any cookie/field pair a stranger picks is refused, equal or not.
  for (const std::string& forged :
       {std::string(32, 'a'),
        "0." + std::to_string(absl::ToUnixSeconds(now_) + 600) + "." +
            std::string(64, '0')}) {
    const HttpReply reply = HttpCall(
        gateway_->port(), "POST", "/admin/login",
        "_csrf=" + forged + "&username=" + std::string(testing::kSuiteAdminId) +
            "&password=" + FormValue(kPassword),
        {{"Cookie", "adcp_login_csrf=" + forged}},
        "application/x-www-form-urlencoded");
    EXPECT_EQ(reply.status, 401) << forged;
    EXPECT_NE(reply.body.find("Your sign-in form expired"), std::string::npos);
  }
  // A real one expires.
  const HttpReply page = HttpCall(gateway_->port(), "GET", "/admin/login");
  const std::string csrf = SetCookie(page, "adcp_login_csrf");
  now_ += absl::Hours(2);
  EXPECT_EQ(HttpCall(gateway_->port(), "POST", "/admin/login",
                     "_csrf=" + csrf +
                         "&username=" + std::string(testing::kSuiteAdminId) +
                         "&password=" + FormValue(kPassword),
                     {{"Cookie", "adcp_login_csrf=" + csrf}},
                     "application/x-www-form-urlencoded")
                .status,
            401);
}

TEST_F(AdminUiTest, FailuresUnderOtherNamesDoNotLockTheAdminOut) {
  for (int i = 0; i < 10; ++i) {
    const HttpReply page = HttpCall(gateway_->port(), "GET", "/admin/login");
    const std::string csrf = SetCookie(page, "adcp_login_csrf");
    EXPECT_EQ(HttpCall(gateway_->port(), "POST", "/admin/login",
                       "_csrf=" + csrf + "&username=mallory" +
                           std::to_string(i) + "&password=x",
                       {{"Cookie", "adcp_login_csrf=" + csrf}},
                       "application/x-www-form-urlencoded")
                  .status,
              401);
  }
  EXPECT_EQ(LoginAttempt(kPassword).status, 303);
}

TEST_F(AdminUiTest, FormsNeedTheSessionsCsrfTokenAndSessionsExpire) {
  const std::string session =
      SetCookie(LoginAttempt(kPassword), "adcp_admin_session");
  const std::map<std::string, std::string> cookie = {
      {"Cookie", "adcp_admin_session=" + session}};
  const HttpReply page =
      HttpCall(gateway_->port(), "GET", "/admin/tenants", "", cookie);
  const std::string csrf = Csrf(page);
  ASSERT_FALSE(csrf.empty());
  const std::string form =
      "tenant_id=csrf1&name=Csrf&subdomain=csrf1&billing_plan=standard";
  EXPECT_EQ(HttpCall(gateway_->port(), "POST", "/admin/tenants", form, cookie,
                     "application/x-www-form-urlencoded")
                .status,
            403);
  EXPECT_EQ(HttpCall(gateway_->port(), "POST", "/admin/tenants",
                     form + "&_csrf=" + std::string(64, 'a'), cookie,
                     "application/x-www-form-urlencoded")
                .status,
            403);
  EXPECT_EQ(HttpCall(gateway_->port(), "GET", "/system/tenants/csrf1", "",
                     {{"X-System-Token", suite_->system_token()}})
                .status,
            404);
  const HttpReply created = HttpCall(gateway_->port(), "POST", "/admin/tenants",
                                     form + "&_csrf=" + csrf, cookie,
                                     "application/x-www-form-urlencoded");
  EXPECT_EQ(created.status, 200) << created.body;
  EXPECT_NE(created.body.find("id=\"token\">adcp_"), std::string::npos);

  now_ += absl::Minutes(31);
  EXPECT_EQ(
      HttpCall(gateway_->port(), "GET", "/admin/tenants", "", cookie).status,
      303);
}

TEST_F(AdminUiTest, SignOutEndsTheSessionOnEveryReplica) {
  // A second replica with the same SESSION_SECRET.
  GatewayConfig config = TestGatewayConfig(*suite_);
  config.ui.session_ttl = absl::Minutes(30);
  config.ui.clock = [this] { return now_; };
  auto replica = AdminGateway::Start(config);
  ASSERT_TRUE(replica.ok()) << replica.status();
  const std::string session =
      SetCookie(LoginAttempt(kPassword), "adcp_admin_session");
  const std::map<std::string, std::string> cookie = {
      {"Cookie", "adcp_admin_session=" + session}};
  EXPECT_EQ(
      HttpCall((*replica)->port(), "GET", "/admin/tenants", "", cookie).status,
      200);
  const std::string csrf =
      Csrf(HttpCall(gateway_->port(), "GET", "/admin/tenants", "", cookie));
  const HttpReply out =
      HttpCall(gateway_->port(), "POST", "/admin/logout", "_csrf=" + csrf,
               cookie, "application/x-www-form-urlencoded");
  EXPECT_EQ(out.status, 303);
  EXPECT_NE(out.headers.at("set-cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(
      HttpCall(gateway_->port(), "GET", "/admin/tenants", "", cookie).status,
      303);
  // Revoked in auth, so the other replica refuses it too (once its cache
  // hears of the change).
  EXPECT_TRUE(testing::Eventually(
      [&] {
        return HttpCall((*replica)->port(), "GET", "/admin/tenants", "", cookie)
                   .status == 303;
      },
      absl::Seconds(2)));
}

TEST_F(AdminUiTest, AHostileTenantNameIsEscapedOnEveryPage) {
  const std::string hostile = R"(<script>alert(1)</script>"'&)";
  const std::string escaped =
      "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;";
  const std::map<std::string, std::string> cookie = {
      {"Cookie", "adcp_admin_session=" +
                     SetCookie(LoginAttempt(kPassword), "adcp_admin_session")}};
  const std::string csrf =
      Csrf(HttpCall(gateway_->port(), "GET", "/admin/tenants", "", cookie));
  auto post = [&](const std::string& target, const std::string& form) {
    return HttpCall(gateway_->port(), "POST", target, form + "&_csrf=" + csrf,
                    cookie, "application/x-www-form-urlencoded");
  };
  // The form-encoded hostile text.
  const std::string encoded = "%3Cscript%3Ealert(1)%3C%2Fscript%3E%22'%26";
  const HttpReply created =
      post("/admin/tenants", "tenant_id=hostile&name=" + encoded +
                                 "&subdomain=hostile&billing_plan=standard");
  ASSERT_EQ(created.status, 200) << created.body;
  // A rejected config edit comes back in the editor as it was typed.
  const HttpReply rejected = post("/admin/tenants/hostile/config",
                                  "config=%7B%22x%22%3A+%22" + encoded + "%7D");
  EXPECT_EQ(rejected.status, 400);
  const std::map<std::string, HttpReply> pages = {
      {"created", created},
      {"rejected edit", rejected},
      {"list", HttpCall(gateway_->port(), "GET", "/admin/tenants", "", cookie)},
      {"detail",
       HttpCall(gateway_->port(), "GET", "/admin/tenants/hostile", "", cookie)},
      {"audit", HttpCall(gateway_->port(), "GET",
                         "/admin/tenants/hostile/audit", "", cookie)}};
  for (const auto& [name, page] : pages) {
    EXPECT_EQ(page.body.find(hostile), std::string::npos) << name;
    EXPECT_EQ(page.body.find("<script"), std::string::npos) << name;
  }
  EXPECT_NE(pages.at("list").body.find("<a href=\"/admin/tenants/hostile\">" +
                                       escaped + "</a>"),
            std::string::npos);
  for (const char* name : {"created", "rejected edit", "detail"}) {
    EXPECT_NE(pages.at(name).body.find("<title>" + escaped + "</title>"),
              std::string::npos)
        << name;
    EXPECT_NE(pages.at(name).body.find("<h1>" + escaped + "</h1>"),
              std::string::npos)
        << name;
  }
  EXPECT_NE(pages.at("rejected edit")
                .body.find("rows=\"18\">{&quot;x&quot;: &quot;" + escaped +
                           "}</textarea>"),
            std::string::npos)
      << pages.at("rejected edit").body;
  EXPECT_NE(pages.at("audit").body.find("<h1>Audit log &middot; " + escaped +
                                        "</h1>"),
            std::string::npos);
}

}  // namespace
}  // namespace adcp::admin_gateway
