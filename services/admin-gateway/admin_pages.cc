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
