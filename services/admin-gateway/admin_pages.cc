#include "services/admin-gateway/admin_pages.h"

#include <nlohmann/json.hpp>

namespace adcp::admin_gateway {
namespace {

using html::Dictionary;
using nlohmann::json;

// What the frame shows around a page's body.
struct Frame {
  std::string title;
  std::string csrf;  // a session's: the header's log-out form
  std::string brand_color;
  std::string logo_url;
};

// Fills the frame's part of `page`; returns the dictionary of its body,
// expanded from `body_template`.
Dictionary* FillFrame(Dictionary& page, const Frame& frame,
                      const std::string& body_template) {
  page.SetValue("TITLE", frame.title);
  if (!frame.brand_color.empty())
    page.SetValueAndShowSection("COLOR", frame.brand_color, "BRAND");
  if (!frame.logo_url.empty())
    page.SetValueAndShowSection("URL", frame.logo_url, "LOGO");
  if (!frame.csrf.empty())
    page.SetValueAndShowSection("CSRF", frame.csrf, "LOGOUT");
  return html::Include(page, "BODY", body_template);
}

// The notices include `marker` of `body`; empty boxes are left out.
void FillNotices(Dictionary& body, const std::string& marker,
                 const Notice& notice, const std::string& error) {
  Dictionary* notices = html::Include(body, marker, "notices.tpl");
  if (!notice.message.empty()) {
    Dictionary* box = notices->AddSectionDictionary("NOTICE");
    box->SetValue("MESSAGE", notice.message);
    if (notice.issued) {
      Dictionary* token = box->AddSectionDictionary("TOKEN");
      token->SetValue("PRINCIPAL_ID", notice.issued->principal_id);
      token->SetValue("ACCESS_TOKEN", notice.issued->access_token);
    }
  }
  if (!error.empty())
    notices->SetValueAndShowSection("MESSAGE", error, "ERROR");
}

// Shows section `yes` when `condition` holds, `no` otherwise (ctemplate has
// no "else").
void ShowEither(Dictionary& dictionary, bool condition, const char* yes,
                const char* no) {
  dictionary.ShowSection(condition ? yes : no);
}

Frame TenantFrame(const std::string& title, const std::string& csrf,
                  const Tenant& tenant) {
  const auto& branding = tenant.config().branding();
  return {title, csrf, branding.primary_color(), branding.logo_url()};
}

// `at` (an RFC 3339 time or null) as section `name`'s AT, or section
// `otherwise` when null.
void ShowTime(Dictionary& dictionary, const json& at, const char* name,
              const char* otherwise) {
  if (at.is_null()) {
    dictionary.ShowSection(otherwise);
  } else {
    dictionary.SetValueAndShowSection("AT", at.get<std::string>(), name);
  }
}

// An RFC 3339 time, or `absent` for null.
std::string TimeText(const json& at, const std::string& absent) {
  return at.is_null() ? absent : at.get<std::string>();
}

// An admin's facts as the REST API shows them.
void FillAdmin(Dictionary& dictionary, const SystemAdmin& admin) {
  const json shown = SystemAdminJson(admin);
  dictionary.SetValue("ADMIN_ID", admin.admin_id());
  dictionary.SetValue("NAME", admin.name());
  dictionary.SetValue("CREATED_AT", shown["created_at"].get<std::string>());
  dictionary.SetValue("CREATED_BY", admin.created_by());
  ShowTime(dictionary, shown["disabled_at"], "DISABLED", "ENABLED");
}

}  // namespace

absl::StatusOr<std::unique_ptr<const AdminPages>> AdminPages::Load() {
  absl::StatusOr<std::unique_ptr<html::TemplateSet>> templates =
      html::TemplateSet::Load(SystemAdminTemplates());
  if (!templates.ok()) return templates.status();
  return std::unique_ptr<const AdminPages>(
      new AdminPages(*std::move(templates)));
}

std::string AdminPages::SignIn(const std::string& csrf,
                               const std::string& error) const {
  Dictionary page("sign_in");
  Dictionary* body = FillFrame(page, {.title = "Sign in"}, "sign_in.tpl");
  body->SetValue("CSRF", csrf);
  FillNotices(*body, "NOTICES", {}, error);
  return templates_->Render("frame.tpl", page);
}

std::string AdminPages::TenantList(
    const std::string& csrf, const Notice& notice, const std::string& error,
    const absl::StatusOr<std::vector<Tenant>>& tenants) const {
  Dictionary page("tenant_list");
  Dictionary* body =
      FillFrame(page, {.title = "Tenants", .csrf = csrf}, "tenant_list.tpl");
  body->SetValue("CSRF", csrf);
  FillNotices(*body, "NOTICES", notice, error);
  if (!tenants.ok()) {
    FillNotices(*body, "TENANTS_ERROR", {},
                std::string(tenants.status().message()));
    return templates_->Render("frame.tpl", page);
  }
  Dictionary* table = body->AddSectionDictionary("TENANTS");
  for (const Tenant& tenant : *tenants) {
    Dictionary* row = table->AddSectionDictionary("TENANT");
    row->SetValue("TENANT_ID", tenant.tenant_id());
    row->SetValue("NAME", tenant.name());
    row->SetValue("SUBDOMAIN", tenant.subdomain());
    ShowEither(*row, tenant.is_active(), "ACTIVE", "INACTIVE");
    row->SetValue("BILLING_PLAN", tenant.billing_plan());
    row->SetValue("CREATED_AT",
                  TenantSummaryJson(tenant)["created_at"].get<std::string>());
  }
  return templates_->Render("frame.tpl", page);
}

std::string AdminPages::TenantDetail(
    const std::string& csrf, const Tenant& tenant, const Notice& notice,
    const std::string& error, const std::string& config_text,
    const absl::StatusOr<std::vector<Principal>>& principals) const {
  Dictionary page("tenant_detail");
  Dictionary* body = FillFrame(page, TenantFrame(tenant.name(), csrf, tenant),
                               "tenant_detail.tpl");
  body->SetValue("CSRF", csrf);
  FillNotices(*body, "NOTICES", notice, error);
  body->SetValue("TENANT_ID", tenant.tenant_id());
  body->SetValue("NAME", tenant.name());
  body->SetValue("SUBDOMAIN", tenant.subdomain());
  body->SetValue("BILLING_PLAN", tenant.billing_plan());
  ShowEither(*body, tenant.is_active(), "ACTIVE", "INACTIVE");
  body->SetValue("CONFIG", config_text);
  if (!principals.ok()) {
    FillNotices(*body, "PRINCIPALS_ERROR", {},
                std::string(principals.status().message()));
    return templates_->Render("frame.tpl", page);
  }
  Dictionary* table = body->AddSectionDictionary("PRINCIPALS");
  for (const Principal& principal : *principals) {
    Dictionary* row = table->AddSectionDictionary("PRINCIPAL");
    const json shown = PrincipalJson(principal);
    row->SetValue("PRINCIPAL_ID", principal.principal_id());
    row->SetValue("NAME", principal.name());
    row->SetValue("TOKEN_PREFIX", principal.token_prefix());
    if (shown["last_used_at"].is_null()) {
      row->ShowSection("NEVER_USED");
    } else {
      row->SetValueAndShowSection(
          "AT", shown["last_used_at"].get<std::string>(), "LAST_USED");
    }
    ShowEither(*row, !principal.has_revoked_at(), "LIVE", "REVOKED");
  }
  return templates_->Render("frame.tpl", page);
}

std::string AdminPages::Audit(const std::string& csrf, const Tenant& tenant,
                              const AuditPage& events) const {
  Dictionary page("audit");
  Dictionary* body =
      FillFrame(page, TenantFrame("Audit log", csrf, tenant), "audit.tpl");
  body->SetValue("TENANT_ID", tenant.tenant_id());
  body->SetValue("NAME", tenant.name());
  for (const json& event : events.events) {
    Dictionary* row = body->AddSectionDictionary("EVENT");
    row->SetValue("OCCURRED_AT", event["occurred_at"].get<std::string>());
    row->SetValue("OPERATION", event["operation"].get<std::string>());
    row->SetValue("PRINCIPAL_ID", event["principal_id"].get<std::string>());
    ShowEither(*row, event["success"].get<bool>(), "SUCCEEDED", "FAILED");
    row->SetValue("DETAILS", event["details"].dump());
  }
  if (!events.next_page_token.empty())
    body->SetValueAndShowSection("PAGE_TOKEN", events.next_page_token, "OLDER");
  return templates_->Render("frame.tpl", page);
}

std::string AdminPages::AdminList(
    const std::string& csrf, const Notice& notice, const AdminForm& form,
    const absl::StatusOr<std::vector<SystemAdmin>>& admins) const {
  Dictionary page("admin_list");
  Dictionary* body = FillFrame(page, {.title = "System admins", .csrf = csrf},
                               "admin_list.tpl");
  body->SetValue("CSRF", csrf);
  body->SetValue("FORM_ADMIN_ID", form.admin_id);
  body->SetValue("FORM_NAME", form.name);
  const char* field_section = form.field == "admin_id"   ? "ADMIN_ID_ERROR"
                              : form.field == "name"     ? "NAME_ERROR"
                              : form.field == "password" ? "PASSWORD_ERROR"
                                                         : nullptr;
  if (field_section) {
    body->SetValueAndShowSection("MESSAGE", form.error, field_section);
    FillNotices(*body, "NOTICES", notice, "");
  } else {
    FillNotices(*body, "NOTICES", notice, form.error);
  }
  if (!admins.ok()) {
    FillNotices(*body, "ADMINS_ERROR", {},
                std::string(admins.status().message()));
    return templates_->Render("frame.tpl", page);
  }
  Dictionary* table = body->AddSectionDictionary("ADMINS");
  for (const SystemAdmin& admin : *admins)
    FillAdmin(*table->AddSectionDictionary("ADMIN"), admin);
  return templates_->Render("frame.tpl", page);
}

std::string AdminPages::AdminDetail(
    const std::string& csrf, const SystemAdmin& admin, bool self,
    const Notice& notice, const std::string& error,
    const absl::StatusOr<std::vector<SystemAdminToken>>& tokens) const {
  Dictionary page("admin_detail");
  Dictionary* body = FillFrame(page, {.title = admin.name(), .csrf = csrf},
                               "admin_detail.tpl");
  body->SetValue("CSRF", csrf);
  FillNotices(*body, "NOTICES", notice, error);
  FillAdmin(*body, admin);
  ShowEither(*body, self, "SELF", "OTHER");
  if (!tokens.ok()) {
    FillNotices(*body, "TOKENS_ERROR", {},
                std::string(tokens.status().message()));
    return templates_->Render("frame.tpl", page);
  }
  Dictionary* table = body->AddSectionDictionary("TOKENS");
  for (const SystemAdminToken& token : *tokens) {
    const json shown = SystemAdminTokenJson(token);
    Dictionary* row = table->AddSectionDictionary("TOKEN");
    row->SetValue("TOKEN_ID", token.token_id());
    row->SetValue("KIND", token.kind());
    row->SetValue("PREFIX", token.prefix());
    row->SetValue("CREATED_AT", shown["created_at"].get<std::string>());
    row->SetValue("EXPIRES_AT", TimeText(shown["expires_at"], "never"));
    row->SetValue("LAST_USED_AT", TimeText(shown["last_used_at"], "never"));
    ShowTime(*row, shown["revoked_at"], "REVOKED", "LIVE");
  }
  return templates_->Render("frame.tpl", page);
}

std::string AdminPages::DisableAdmin(const std::string& csrf,
                                     const SystemAdmin& admin) const {
  Dictionary page("admin_disable");
  Dictionary* body =
      FillFrame(page, {.title = "Disable " + admin.name(), .csrf = csrf},
                "admin_disable.tpl");
  body->SetValue("CSRF", csrf);
  body->SetValue("ADMIN_ID", admin.admin_id());
  body->SetValue("NAME", admin.name());
  return templates_->Render("frame.tpl", page);
}

std::string AdminPages::Error(const std::string& title, const std::string& csrf,
                              const std::string& error) const {
  Dictionary page("error");
  Dictionary* body =
      FillFrame(page, {.title = title, .csrf = csrf}, "error.tpl");
  FillNotices(*body, "NOTICES", {}, error);
  return templates_->Render("frame.tpl", page);
}

std::string AdminPages::SignedOut() const {
  Dictionary page("signed_out");
  FillFrame(page, {.title = "Signed out"}, "signed_out.tpl");
  return templates_->Render("frame.tpl", page);
}

std::string AdminPages::CsrfRefused() const {
  Dictionary page("csrf_refused");
  FillFrame(page, {.title = "Forbidden"}, "csrf_refused.tpl");
  return templates_->Render("frame.tpl", page);
}

std::string AdminPages::NotFound() const {
  Dictionary page("not_found");
  FillFrame(page, {.title = "Not found"}, "not_found.tpl");
  return templates_->Render("frame.tpl", page);
}

}  // namespace adcp::admin_gateway
