// The system admin UI's pages, each a whole HTML document rendered from
// templates/*.tpl (compiled into the binary). Every value is escaped by the
// templates (html/template_set.h); nothing here writes markup.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/admin-gateway/admin_operations.h"
#include "services/admin-gateway/html/template_set.h"

namespace adcp::admin_gateway {

// The templates of templates/, generated at build time.
std::span<const html::TemplateSource> SystemAdminTemplates();

// A notice at the top of a page; with `issued`, the principal and the token
// just issued, shown this once after the message.
struct Notice {
  std::string message;
  std::optional<IssuedToken> issued;
};

// The create-admin form shown again after auth refused it: the values typed
// (never the password), and auth's message, shown next to `field` when it is
// one of the form's (admin_id, name, password), else at the top.
struct AdminForm {
  std::string admin_id;
  std::string name;
  std::string field;
  std::string error;
};

class AdminPages {
 public:
  // Parses SystemAdminTemplates().
  static absl::StatusOr<std::unique_ptr<const AdminPages>> Load();

  // `csrf` is the form's token: the sign-in form's own, or on the other
  // pages the session's, which also goes into the header's log-out form.
  std::string SignIn(const std::string& csrf, const std::string& error) const;
  std::string TenantList(
      const std::string& csrf, const Notice& notice, const std::string& error,
      const absl::StatusOr<std::vector<Tenant>>& tenants) const;
  // `config_text` is the editor's text: the tenant's config (credentials
  // redacted) unless a rejected edit is shown again.
  std::string TenantDetail(
      const std::string& csrf, const Tenant& tenant, const Notice& notice,
      const std::string& error, const std::string& config_text,
      const absl::StatusOr<std::vector<Principal>>& principals) const;
  std::string Audit(const std::string& csrf, const Tenant& tenant,
                    const AuditPage& page) const;
  // The system admins (disabled ones included) and the create-admin form.
  std::string AdminList(
      const std::string& csrf, const Notice& notice, const AdminForm& form,
      const absl::StatusOr<std::vector<SystemAdmin>>& admins) const;
  // One admin and its tokens; `self` when it is the signed-in admin.
  std::string AdminDetail(
      const std::string& csrf, const SystemAdmin& admin, bool self,
      const Notice& notice, const std::string& error,
      const absl::StatusOr<std::vector<SystemAdminToken>>& tokens) const;
  // Asks before disabling `admin`.
  std::string DisableAdmin(const std::string& csrf,
                           const SystemAdmin& admin) const;
  // A page titled `title` that shows only `error`.
  std::string Error(const std::string& title, const std::string& csrf,
                    const std::string& error) const;
  std::string SignedOut() const;
  std::string CsrfRefused() const;
  std::string NotFound() const;

 private:
  explicit AdminPages(std::unique_ptr<html::TemplateSet> templates)
      : templates_(std::move(templates)) {}

  std::unique_ptr<html::TemplateSet> templates_;
};

}  // namespace adcp::admin_gateway
