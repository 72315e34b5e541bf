// The system admin UI's pages escape whatever a tenant, a principal, the
// audit log or an error message holds, on every page that shows it.
#include "services/admin-gateway/admin_pages.h"

#include <gtest/gtest.h>

namespace adcp::admin_gateway {
namespace {

using nlohmann::json;

constexpr char kHostile[] = R"(<script>alert(1)</script>"'&)";
constexpr char kEscaped[] =
    "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;";
constexpr char kCsrf[] = "00ff";

class AdminPagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pages = AdminPages::Load();
    ASSERT_TRUE(pages.ok()) << pages.status();
    pages_ = *std::move(pages);
    tenant_.set_tenant_id("t1");
    tenant_.set_name(kHostile);
    tenant_.set_subdomain(kHostile);
    tenant_.set_billing_plan(kHostile);
    tenant_.set_is_active(true);
    auto* branding = tenant_.mutable_config()->mutable_branding();
    // A valid config's: an http(s) URL without spaces, a #rrggbb colour.
    branding->set_logo_url(std::string("https://logo.example/") + kHostile);
    branding->set_primary_color("#336699");
    principal_.set_principal_id("acme");
    principal_.set_name(kHostile);
    principal_.set_token_prefix(kHostile);
  }

  // No markup of the hostile text made it into `page`.
  static void ExpectNoScript(const std::string& page) {
    EXPECT_EQ(page.find("<script"), std::string::npos) << page;
  }

  std::unique_ptr<const AdminPages> pages_;
  Tenant tenant_;
  Principal principal_;
};

TEST_F(AdminPagesTest, TheTenantListEscapesTenants) {
  const std::string page = pages_->TenantList(kCsrf, {kHostile}, kHostile,
                                              std::vector<Tenant>{tenant_});
  ExpectNoScript(page);
  for (const std::string& expected :
       {"<a href=\"/admin/tenants/t1\">" + std::string(kEscaped) + "</a>",
        "<td>" + std::string(kEscaped) + "</td><td>yes</td><td>" + kEscaped +
            "</td>",
        "<div class=\"notice\" id=\"notice\">" + std::string(kEscaped) +
            "</div>",
        "<div class=\"error\" id=\"error\">" + std::string(kEscaped) +
            "</div>"}) {
    EXPECT_NE(page.find(expected), std::string::npos) << expected;
  }
  const std::string failed =
      pages_->TenantList(kCsrf, {}, "", absl::UnavailableError(kHostile));
  ExpectNoScript(failed);
  EXPECT_NE(failed.find(std::string("id=\"error\">") + kEscaped),
            std::string::npos);
}

TEST_F(AdminPagesTest, TheTenantPageEscapesItsTextFormsAndAttributes) {
  const std::string config = std::string("{\"x\": \"") + kHostile + "\",\n}";
  const std::string page = pages_->TenantDetail(
      kCsrf, tenant_, {kHostile, IssuedToken{kHostile, kHostile}}, kHostile,
      config, std::vector<Principal>{principal_});
  ExpectNoScript(page);
  for (const std::string& expected : {
           "<title>" + std::string(kEscaped) + "</title>",
           "<h1>" + std::string(kEscaped) + "</h1>",
           "subdomain <code>" + std::string(kEscaped) + "</code>",
           // The config editor keeps the text's newlines.
           "<textarea name=\"config\" id=\"config\" rows=\"18\">{&quot;x&quot;:"
           " &quot;" +
               std::string(kEscaped) + "&quot;,\n}</textarea>",
           "<img alt=\"logo\" src=\"https://logo.example/" +
               std::string(kEscaped) + "\">",
           std::string("<style>:root{--brand:#336699}</style>"),
           std::string(kEscaped) + " <b>" + kEscaped +
               "</b>. Its access token is shown once: <div class=\"token\" "
               "id=\"token\">" +
               kEscaped + "</div>",
           "<td>acme</td><td>" + std::string(kEscaped) + "</td><td><code>" +
               kEscaped + "&hellip;</code></td><td>never</td><td>live</td>",
       }) {
    EXPECT_NE(page.find(expected), std::string::npos) << expected;
  }
}

TEST_F(AdminPagesTest, ALogoThatIsNoHttpUrlIsNotLinked) {
  // The config refuses one; the template would still not emit it.
  tenant_.mutable_config()->mutable_branding()->set_logo_url(
      "javascript:alert(1)");
  tenant_.mutable_config()->mutable_branding()->set_primary_color(
      "red}</style><script>alert(1)</script>");
  const std::string page = pages_->TenantDetail(kCsrf, tenant_, {}, "", "{}",
                                                std::vector<Principal>{});
  ExpectNoScript(page);
  EXPECT_NE(page.find("<img alt=\"logo\" src=\"#\">"), std::string::npos);
  EXPECT_EQ(page.find("javascript:"), std::string::npos);
}

TEST_F(AdminPagesTest, TheAuditLogEscapesEvents) {
  AuditPage events{json::array({{{"occurred_at", kHostile},
                                 {"operation", kHostile},
                                 {"principal_id", kHostile},
                                 {"success", false},
                                 {"details", {{"name", kHostile}}}}}),
                   kHostile};
  const std::string page = pages_->Audit(kCsrf, tenant_, events);
  ExpectNoScript(page);
  for (const std::string& expected :
       {"<h1>Audit log &middot; " + std::string(kEscaped) + "</h1>",
        "<tr><td>" + std::string(kEscaped) + "</td><td>" + kEscaped +
            "</td><td>" + kEscaped + "</td><td>failed</td>",
        "<a id=\"older\" href=\"/admin/tenants/t1/audit?page_token=" +
            std::string(kEscaped) + "\">"}) {
    EXPECT_NE(page.find(expected), std::string::npos) << expected;
  }
}

TEST_F(AdminPagesTest, ErrorAndSignInPagesEscapeTheirMessage) {
  for (const std::string& page :
       {pages_->SignIn(kHostile, kHostile),
        pages_->Error(kHostile, kHostile, kHostile)}) {
    ExpectNoScript(page);
    EXPECT_NE(page.find(std::string("name=\"_csrf\" value=\"") + kEscaped),
              std::string::npos);
    EXPECT_NE(page.find(std::string("id=\"error\">") + kEscaped + "</div>"),
              std::string::npos);
  }
}

TEST_F(AdminPagesTest, TheAdminPagesEscapeAdminsTokensAndTheForm) {
  SystemAdmin admin;
  admin.set_admin_id(kHostile);
  admin.set_name(kHostile);
  admin.set_created_by(kHostile);
  SystemAdminToken token;
  token.set_token_id("sat_1");
  token.set_kind(kHostile);
  token.set_prefix(kHostile);
  const std::string list =
      pages_->AdminList(kCsrf, {}, {kHostile, kHostile, "name", kHostile},
                        std::vector<SystemAdmin>{admin});
  const std::string detail = pages_->AdminDetail(
      kCsrf, admin, false, {kHostile, IssuedToken{kHostile, kHostile}}, "",
      std::vector<SystemAdminToken>{token});
  const std::string confirm = pages_->DisableAdmin(kCsrf, admin);
  for (const std::string* page : {&list, &detail, &confirm}) {
    ExpectNoScript(*page);
    // No template text leaks (a comment closed early, say).
    EXPECT_EQ(page->find("}}"), std::string::npos) << *page;
    EXPECT_EQ(page->find("once per"), std::string::npos) << *page;
  }
  const std::string e = kEscaped;
  for (const std::string& expected :
       {"<td><a href=\"/admin/admins/" + e + "\">" + e + "</a></td><td>" + e +
            "</td>",
        "<td>" + e + "</td><td>no</td>",
        "name=\"admin_id\" value=\"" + e + "\"",
        "name=\"name\" value=\"" + e + "\"",
        "<span class=\"field-error\" id=\"name-error\">" + e + "</span>"}) {
    EXPECT_NE(list.find(expected), std::string::npos) << expected;
  }
  EXPECT_EQ(list.find("id=\"error\""), std::string::npos);
  for (const std::string& expected :
       {"<h1>" + e + "</h1>", "<td>sat_1</td><td>" + e + "</td><td><code>" + e,
        "<a id=\"disable\" href=\"/admin/admins/" + e + "/disable\">",
        "<b>" + e + "</b>. Its access token is shown once"}) {
    EXPECT_NE(detail.find(expected), std::string::npos) << expected;
  }
  // Another admin's page offers no token of its own, one's own page no
  // disabling.
  EXPECT_EQ(detail.find("id=\"create-token\""), std::string::npos);
  const std::string own = pages_->AdminDetail(kCsrf, admin, true, {}, "",
                                              std::vector<SystemAdminToken>{});
  EXPECT_NE(own.find("id=\"create-token\""), std::string::npos);
  EXPECT_EQ(own.find("id=\"disable\""), std::string::npos);
  EXPECT_NE(confirm.find("name=\"confirm_admin_id\" value=\"" + e + "\""),
            std::string::npos);
}

}  // namespace
}  // namespace adcp::admin_gateway
