// The admin UI's "Admins" page: the system admins, each one's tokens, and
// the forms that create an admin, disable one (after a confirmation page),
// mint an API token for oneself (shown once) and revoke a token. Each goes
// through the AdminOperations calls the REST API (/system/admins) makes, as
// the signed-in admin, so auth audits it under that admin. An admin cannot
// disable itself here: another admin must (REST and adcpctl allow it, to
// retire an account that holds an API token).
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "services/admin-gateway/admin_ui.h"

namespace adcp::admin_gateway {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

// The form's field an error message names ("admin_id: ..."), if any.
std::string FieldOf(const absl::Status& status) {
  for (const char* field : {"admin_id", "name", "password"}) {
    if (absl::StartsWith(status.message(), std::string(field) + ":"))
      return field;
  }
  return "";
}

bhttp::status StatusFor(const absl::Status& status) {
  return status.ok()
             ? bhttp::status::ok
             : HttpStatusFor(static_cast<grpc::StatusCode>(status.code()));
}

}  // namespace

http::Response AdminUi::AdminList(const http::Request& request,
                                  const Session& session, const Notice& notice,
                                  const AdminForm& form, bhttp::status status) {
  return HtmlResponse(request, status,
                      pages_->AdminList(CsrfToken(session), notice, form,
                                        operations_.ListAdmins(true)));
}

http::Response AdminUi::AdminDetail(const http::Request& request,
                                    const Session& session,
                                    const std::string& admin_id,
                                    const Notice& notice,
                                    const absl::Status& status) {
  const std::string csrf = CsrfToken(session);
  const std::string id = absl::AsciiStrToLower(admin_id);
  // Auth has no single-admin read: the list is short (people, not tenants).
  auto admins = operations_.ListAdmins(true);
  if (!admins.ok()) {
    return HtmlResponse(
        request, StatusFor(admins.status()),
        pages_->Error("Admin", csrf, std::string(admins.status().message())));
  }
  const auto admin =
      std::find_if(admins->begin(), admins->end(),
                   [&](const SystemAdmin& a) { return a.admin_id() == id; });
  if (admin == admins->end()) {
    return HtmlResponse(request, bhttp::status::not_found,
                        pages_->Error("Admin", csrf, "admin not found"));
  }
  return HtmlResponse(
      request, StatusFor(status),
      pages_->AdminDetail(csrf, *admin, id == session.user,
                          status.ok() ? notice : Notice{},
                          std::string(status.message()),
                          operations_.ListAdminTokens(id, true)));
}

http::Response AdminUi::AdminsGet(const http::Request& request,
                                  const Session& session,
                                  const std::vector<std::string>& path) {
  if (path.size() == 2)
    return AdminList(request, session, {}, {}, bhttp::status::ok);
  if (path.size() == 3) return AdminDetail(request, session, path[2], {}, {});
  if (path.size() == 4 && path[3] == "disable") {
    auto admins = operations_.ListAdmins(false);
    const std::string id = absl::AsciiStrToLower(path[2]);
    if (admins.ok()) {
      for (const SystemAdmin& admin : *admins) {
        if (admin.admin_id() == id && id != session.user)
          return HtmlResponse(request, bhttp::status::ok,
                              pages_->DisableAdmin(CsrfToken(session), admin));
      }
    }
    // Unknown, already disabled, or oneself: the admin's page says which.
    return AdminDetail(request, session, path[2], {}, {});
  }
  return HtmlResponse(request, bhttp::status::not_found, pages_->NotFound());
}

http::Response AdminUi::AdminsPost(const http::Request& request,
                                   const Session& session,
                                   const std::vector<std::string>& path,
                                   const Form& form) {
  auto value = [&](const char* name) {
    auto it = form.find(name);
    return it == form.end() ? std::string() : it->second;
  };
  // /admin/admins: create.
  if (path.size() == 2) {
    auto created =
        operations_.CreateAdmin(json{{"admin_id", value("admin_id")},
                                     {"name", value("name")},
                                     {"password", value("password")}});
    if (!created.ok()) {
      const absl::Status& status = created.status();
      return AdminList(request, session, {},
                       {value("admin_id"), value("name"), FieldOf(status),
                        std::string(status.message())},
                       StatusFor(status));
    }
    return AdminDetail(request, session, created->admin_id(), {"Admin created"},
                       {});
  }
  const std::string& admin_id = path[2];
  // /admin/admins/{id}/disable: confirmed by repeating the id.
  if (path.size() == 4 && path[3] == "disable") {
    if (absl::AsciiStrToLower(admin_id) == session.user) {
      return AdminDetail(request, session, admin_id, {},
                         absl::FailedPreconditionError(
                             "admin_id: you cannot disable yourself; another "
                             "admin can"));
    }
    if (value("confirm_admin_id") != admin_id) {
      return AdminDetail(request, session, admin_id, {},
                         absl::InvalidArgumentError(
                             "confirm_admin_id: must repeat the admin id"));
    }
    auto disabled = operations_.DisableAdmin(admin_id);
    if (disabled.ok()) authenticator_.ForgetAdmin(disabled->admin_id());
    return AdminDetail(request, session, admin_id,
                       {"Admin disabled; its tokens and sessions are revoked"},
                       disabled.status());
  }
  // /admin/admins/{id}/tokens: an API token for oneself, shown this once.
  if (path.size() == 4 && path[3] == "tokens") {
    if (const absl::Status mine = CheckMintsForItself(admin_id, session.user);
        !mine.ok())
      return AdminDetail(request, session, admin_id, {}, mine);
    auto issued = operations_.CreateAdminToken();
    if (!issued.ok())
      return AdminDetail(request, session, admin_id, {}, issued.status());
    return AdminDetail(
        request, session, admin_id,
        {"Created API token",
         IssuedToken{issued->token().token_id(), issued->secret()}},
        {});
  }
  // /admin/admins/{id}/tokens/{token_id}/revoke
  if (path.size() == 6 && path[3] == "tokens" && path[5] == "revoke") {
    auto revoked = operations_.RevokeAdminToken(admin_id, path[4]);
    if (revoked.ok()) authenticator_.ForgetAdmin(revoked->admin_id());
    return AdminDetail(request, session, admin_id, {"Token revoked"},
                       revoked.status());
  }
  return HtmlResponse(request, bhttp::status::not_found, pages_->NotFound());
}

}  // namespace adcp::admin_gateway
