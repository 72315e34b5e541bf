// The admin UI's "Admins" page over real sockets, against real auth and
// PostgreSQL: listing, creating (errors next to their field), disabling
// (confirmed; never oneself), minting an API token (shown once) and
// revoking tokens, each CSRF-checked and audited under the signed-in admin.
// The same flow in a real browser: tests/browser/admin_accounts.mjs.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "services/admin-gateway/admin_ui_test_fixture.h"

namespace adcp::admin_gateway {
namespace {

using Cookie = std::map<std::string, std::string>;

constexpr char kBobPassword[] = "bobs-long-password";

class AdminAccountsUiTest : public AdminUiTest {
 protected:
  Cookie SignIn(const std::string& user, const std::string& password) {
    const HttpReply reply = LoginAttempt(password, user);
    EXPECT_EQ(reply.status, 303) << reply.body;
    return {{"Cookie",
             "adcp_admin_session=" + SetCookie(reply, "adcp_admin_session")}};
  }
  HttpReply Get(const Cookie& cookie, const std::string& target) {
    return HttpCall(gateway_->port(), "GET", target, "", cookie);
  }
  // Posts `form` with the CSRF token of the page at `from`.
  HttpReply Post(const Cookie& cookie, const std::string& target,
                 const std::string& form,
                 const std::string& from = "/admin/admins") {
    const std::string csrf = Csrf(Get(cookie, from));
    EXPECT_FALSE(csrf.empty());
    return HttpCall(gateway_->port(), "POST", target,
                    form + (form.empty() ? "" : "&") + "_csrf=" + csrf, cookie,
                    "application/x-www-form-urlencoded");
  }
  HttpReply CreateBob(const Cookie& cookie) {
    return Post(cookie, "/admin/admins",
                absl::StrCat("admin_id=bob%40example.com&name=Bob+Builder",
                             "&password=", kBobPassword));
  }
  int RestStatus(const std::string& token) {
    return HttpCall(gateway_->port(), "GET", "/system/tenants", "",
                    {{"X-System-Token", token}})
        .status;
  }
  // How many API tokens `admin_id`'s page lists.
  int ApiTokens(const Cookie& cookie, const std::string& admin_id) {
    const std::string page = Get(cookie, "/admin/admins/" + admin_id).body;
    int count = 0;
    for (size_t at = page.find("<td>api</td>"); at != std::string::npos;
         at = page.find("<td>api</td>", at + 1))
      ++count;
    return count;
  }
  // The token shown once on `page` (id="token"), or "".
  static std::string ShownToken(const HttpReply& page) {
    std::smatch match;
    if (!std::regex_search(page.body, match,
                           std::regex("id=\"token\">(adcp_[A-Za-z0-9_-]+)<")))
      return "";
    return match[1];
  }
  // The actors of auth's platform audit rows for `operation` on `subject`
  // (an admin id or a token id), oldest first.
  std::vector<std::string> Actors(const std::string& operation,
                                  const std::string& key,
                                  const std::string& subject) {
    pqxx::connection owner(suite_->db().OwnerUrl());
    pqxx::work txn(owner);
    std::vector<std::string> actors;
    for (const auto& row : txn.exec_params(
             "SELECT actor FROM system_admin_events WHERE operation = $1 "
             "AND details->>$2 = $3 ORDER BY occurred_at",
             operation, key, subject)) {
      actors.push_back(row[0].as<std::string>());
    }
    return actors;
  }
  static inline const std::vector<std::string> kBySuiteAdmin = {
      absl::StrCat("admin:", testing::kSuiteAdminId)};
};

TEST_F(AdminAccountsUiTest, ListsAndCreatesAdminsAuditedUnderTheActingAdmin) {
  const Cookie me = SignIn(testing::kSuiteAdminId, kPassword);
  const HttpReply tenants = Get(me, "/admin/tenants");
  EXPECT_NE(tenants.body.find("<a href=\"/admin/admins\" id=\"nav-admins\">"),
            std::string::npos);
  const HttpReply list = Get(me, "/admin/admins");
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("<td>bootstrap</td>"), std::string::npos);

  const HttpReply created = CreateBob(me);
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_NE(created.body.find("id=\"notice\">Admin created"),
            std::string::npos);
  EXPECT_NE(created.body.find("<code id=\"admin-id\">bob@example.com</code>"),
            std::string::npos);
  EXPECT_EQ(created.body.find(kBobPassword), std::string::npos);
  const HttpReply listed = Get(me, "/admin/admins");
  EXPECT_NE(listed.body.find("<a href=\"/admin/admins/bob@example.com\">"
                             "bob@example.com</a></td><td>Bob Builder</td>"),
            std::string::npos)
      << listed.body;
  EXPECT_NE(listed.body.find("<td>admin:suite-admin</td><td>no</td>"),
            std::string::npos);
  EXPECT_EQ(Actors("system_admin_created", "admin_id", "bob@example.com"),
            kBySuiteAdmin);
  // The new admin signs in with its own password.
  const Cookie bob = SignIn("bob@example.com", kBobPassword);
  EXPECT_EQ(Get(bob, "/admin/admins").status, 200);
  EXPECT_EQ(Get(me, "/admin/admins/nobody").status, 404);
}

TEST_F(AdminAccountsUiTest, ValidationErrorsAreShownNextToTheirField) {
  const Cookie me = SignIn(testing::kSuiteAdminId, kPassword);
  struct Case {
    std::string form;
    int status;
    std::string field;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"admin_id=carol&name=Carol&password=short", 400, "password",
            "password: 12 to 1024 bytes"},
           {"admin_id=carol&name=&password=carols-long-password", 400, "name",
            "name: required"},
           {"admin_id=&name=Carol&password=carols-long-password", 400,
            "admin_id", "admin_id: required"},
           {"admin_id=-carol%21&name=Carol&password=carols-long-password", 400,
            "admin_id",
            "admin_id: expected 1 to 100 of a-z, 0-9, &#39;.&#39;, &#39;_&#39;,"
            " &#39;@&#39;, &#39;+&#39; and &#39;-&#39;, starting with a letter "
            "or digit"},
           {"admin_id=suite-admin&name=Again&password=carols-long-password",
            409, "admin_id", "admin_id: &#39;suite-admin&#39; already exists"},
       }) {
    const HttpReply reply = Post(me, "/admin/admins", c.form);
    EXPECT_EQ(reply.status, c.status) << c.form << "\n" << reply.body;
    EXPECT_NE(reply.body.find("<span class=\"field-error\" id=\"" + c.field +
                              "-error\">" + c.message + "</span>"),
              std::string::npos)
        << c.form << "\n"
        << reply.body;
    EXPECT_EQ(reply.body.find("id=\"error\""), std::string::npos);
    // What was typed comes back, the password never.
    EXPECT_EQ(reply.body.find("carols-long-password"), std::string::npos);
  }
  const HttpReply kept =
      Post(me, "/admin/admins", "admin_id=carol&name=Carol+C&password=short");
  EXPECT_NE(kept.body.find("name=\"admin_id\" value=\"carol\""),
            std::string::npos);
  EXPECT_NE(kept.body.find("name=\"name\" value=\"Carol C\""),
            std::string::npos);
  EXPECT_EQ(Get(me, "/admin/admins/carol").status, 404);  // nothing created
}

TEST_F(AdminAccountsUiTest, EveryFormNeedsTheSessionsCsrfToken) {
  const Cookie me = SignIn(testing::kSuiteAdminId, kPassword);
  ASSERT_EQ(CreateBob(me).status, 200);
  const Cookie bob = SignIn("bob@example.com", kBobPassword);
  const std::string bob_token =
      ShownToken(Post(bob, "/admin/admins/bob@example.com/tokens", "",
                      "/admin/admins/bob@example.com"));
  ASSERT_FALSE(bob_token.empty());
  const std::string token_id = [&] {
    std::smatch match;
    const std::string page = Get(me, "/admin/admins/bob@example.com").body;
    return std::regex_search(page, match,
                             std::regex("id=\"revoke-(sat_[0-9a-f]+)\""))
               ? std::string(match[1])
               : std::string();
  }();
  ASSERT_FALSE(token_id.empty());
  const int api_tokens_before = ApiTokens(me, "suite-admin");
  // Another session's token is no better than none.
  const std::string bobs_csrf = Csrf(Get(bob, "/admin/admins"));
  for (const auto& [target, form] :
       std::vector<std::pair<std::string, std::string>>{
           {"/admin/admins",
            "admin_id=mallory&name=M&password=mallorys-password"},
           {"/admin/admins/bob@example.com/disable",
            "confirm_admin_id=bob@example.com"},
           {"/admin/admins/suite-admin/tokens", ""},
           {"/admin/admins/bob@example.com/tokens/" + token_id + "/revoke",
            ""}}) {
    for (const std::string& csrf : {std::string(), bobs_csrf}) {
      EXPECT_EQ(
          HttpCall(gateway_->port(), "POST", target, form + "&_csrf=" + csrf,
                   me, "application/x-www-form-urlencoded")
              .status,
          403)
          << target;
    }
  }
  EXPECT_EQ(Get(me, "/admin/admins/mallory").status, 404);
  EXPECT_EQ(RestStatus(bob_token), 200);  // neither revoked nor disabled
  EXPECT_EQ(ApiTokens(me, "suite-admin"), api_tokens_before);  // none minted
}

TEST_F(AdminAccountsUiTest, AnApiTokenIsShownOnceWorksAndIsRevokedAtOnce) {
  const Cookie me = SignIn(testing::kSuiteAdminId, kPassword);
  const std::string mine = "/admin/admins/suite-admin";
  const HttpReply minted = Post(me, mine + "/tokens", "", mine);
  ASSERT_EQ(minted.status, 200) << minted.body;
  EXPECT_NE(minted.body.find("id=\"notice\">Created API token"),
            std::string::npos);
  const std::string token = ShownToken(minted);
  ASSERT_FALSE(token.empty()) << minted.body;
  EXPECT_EQ(minted.headers.at("cache-control"), "no-store");
  EXPECT_EQ(Get(me, mine).body.find(token), std::string::npos);  // never again
  EXPECT_EQ(RestStatus(token), 200);

  std::smatch match;
  const std::string page = Get(me, mine).body;
  const std::string prefix = token.substr(0, 12);
  ASSERT_TRUE(std::regex_search(
      page, match,
      std::regex("<td>(sat_[0-9a-f]+)</td><td>api</td><td><code>" + prefix)))
      << page;
  const std::string token_id = match[1];
  EXPECT_EQ(Actors("system_admin_token_created", "token_id", token_id),
            kBySuiteAdmin);

  const HttpReply revoked =
      Post(me, mine + "/tokens/" + token_id + "/revoke", "", mine);
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_NE(revoked.body.find("id=\"notice\">Token revoked"),
            std::string::npos);
  EXPECT_EQ(RestStatus(token), 403);  // at once, no waiting on the stream
  EXPECT_EQ(Actors("system_admin_token_revoked", "token_id", token_id),
            kBySuiteAdmin);
  EXPECT_EQ(Post(me, mine + "/tokens/sat_unknown/revoke", "", mine).status,
            404);
}

TEST_F(AdminAccountsUiTest, RevokingAnotherAdminsTokenStopsItAtOnce) {
  const Cookie me = SignIn(testing::kSuiteAdminId, kPassword);
  ASSERT_EQ(CreateBob(me).status, 200);
  const Cookie bob = SignIn("bob@example.com", kBobPassword);
  const std::string bobs = "/admin/admins/bob@example.com";
  // Nobody mints a token in another admin's name.
  const HttpReply refused = Post(me, bobs + "/tokens", "", bobs);
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("admin_id: an admin mints API tokens only for "
                              "itself"),
            std::string::npos);
  EXPECT_NE(Get(me, bobs).body.find("An admin mints API tokens only for"),
            std::string::npos);
  const std::string token = ShownToken(Post(bob, bobs + "/tokens", "", bobs));
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(RestStatus(token), 200);  // cached by the gateway now

  std::smatch match;
  const std::string page = Get(me, bobs).body;
  ASSERT_TRUE(std::regex_search(
      page, match, std::regex("<td>(sat_[0-9a-f]+)</td><td>api</td>")));
  const std::string token_id = match[1];
  ASSERT_EQ(Post(me, bobs + "/tokens/" + token_id + "/revoke", "", bobs).status,
            200);
  EXPECT_EQ(RestStatus(token), 403);
  EXPECT_EQ(Actors("system_admin_token_revoked", "token_id", token_id),
            kBySuiteAdmin);
  // Bob's browser session is another token: it still works.
  EXPECT_EQ(Get(bob, "/admin/admins").status, 200);
}

TEST_F(AdminAccountsUiTest, DisablingIsConfirmedAndNeverOneself) {
  const Cookie me = SignIn(testing::kSuiteAdminId, kPassword);
  ASSERT_EQ(CreateBob(me).status, 200);
  const std::string bobs = "/admin/admins/bob@example.com";
  const Cookie bob = SignIn("bob@example.com", kBobPassword);
  const std::string token = ShownToken(Post(bob, bobs + "/tokens", "", bobs));
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(RestStatus(token), 200);

  // Oneself: refused, and no confirmation page is offered.
  const HttpReply self = Post(me, "/admin/admins/suite-admin/disable",
                              "confirm_admin_id=suite-admin");
  EXPECT_EQ(self.status, 409);
  EXPECT_NE(self.body.find(
                "admin_id: you cannot disable yourself; another admin can"),
            std::string::npos);
  EXPECT_EQ(Get(me, "/admin/admins/suite-admin/disable")
                .body.find("id=\"confirm-disable\""),
            std::string::npos);
  // Without the confirmation: nothing happens.
  const HttpReply unconfirmed = Post(me, bobs + "/disable", "");
  EXPECT_EQ(unconfirmed.status, 400);
  EXPECT_NE(unconfirmed.body.find("confirm_admin_id: must repeat the admin id"),
            std::string::npos);
  EXPECT_EQ(RestStatus(token), 200);

  const HttpReply confirm = Get(me, bobs + "/disable");
  ASSERT_EQ(confirm.status, 200);
  EXPECT_NE(confirm.body.find("name=\"confirm_admin_id\" "
                              "value=\"bob@example.com\""),
            std::string::npos);
  const HttpReply disabled =
      Post(me, bobs + "/disable", "confirm_admin_id=bob@example.com",
           bobs + "/disable");
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  EXPECT_NE(disabled.body.find("id=\"status\">disabled "), std::string::npos);
  EXPECT_EQ(RestStatus(token), 403);
  EXPECT_EQ(Get(bob, "/admin/admins").status, 303);  // its session is gone
  EXPECT_EQ(LoginAttempt(kBobPassword, "bob@example.com").status, 401);
  EXPECT_EQ(Actors("system_admin_disabled", "admin_id", "bob@example.com"),
            kBySuiteAdmin);
}

}  // namespace
}  // namespace adcp::admin_gateway
