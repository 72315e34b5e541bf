#include "services/admin-gateway/admin_ui.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/base/log.h"
#include "libs/base/secrets.h"
#include "libs/json/json_limits.h"
#include "libs/tenancy/tenant_config.h"
#include "services/admin-gateway/system_api.h"

namespace adcp::admin_gateway {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

constexpr char kSessionCookie[] = "adcp_admin_session";
constexpr char kLoginCsrfCookie[] = "adcp_login_csrf";
constexpr char kDeviceCookie[] = "adcp_admin_device";
// How long a sign-in form (its CSRF token) stays valid.
constexpr absl::Duration kLoginFormTtl = absl::Hours(1);

std::string Cookie(const http::Request& request, const std::string& name) {
  const auto header = request.find(bhttp::field::cookie);
  if (header == request.end()) return "";
  const std::string value(header->value());
  for (absl::string_view part : absl::StrSplit(value, ';')) {
    part = absl::StripLeadingAsciiWhitespace(part);
    if (absl::StartsWith(part, name + "="))
      return std::string(part.substr(name.size() + 1));
  }
  return "";
}

}  // namespace

json ReplacementPatch(const json& current, const json& wanted) {
  if (!current.is_object() || !wanted.is_object()) return wanted;
  json patch = json::object();
  for (const auto& [key, value] : current.items()) {
    if (!wanted.contains(key)) patch[key] = nullptr;
  }
  for (const auto& [key, value] : wanted.items()) {
    if (current.contains(key) && current[key].is_object() &&
        value.is_object()) {
      patch[key] = ReplacementPatch(current[key], value);
    } else {
      patch[key] = value;
    }
  }
  return patch;
}

AdminUi::AdminUi(AdminOperations& operations, AdminAuthenticator& authenticator,
                 AdminUiConfig config, std::unique_ptr<const AdminPages> pages)
    : operations_(operations),
      authenticator_(authenticator),
      config_(std::move(config)),
      pages_(std::move(pages)),
      session_token_(config_.session_secret, "",
                     SignedToken::Encoding::kBase64Url),
      device_token_(config_.session_secret, "device|",
                    SignedToken::Encoding::kBase64Url, 400),
      login_token_(config_.session_secret, "login|",
                   SignedToken::Encoding::kPlain, 200),
      form_csrf_(config_.session_secret, "csrf|",
                 SignedToken::Encoding::kPlain) {}

// The sign-in form's CSRF token: a nonce and an expiry signed by the
// server. Only a token this server made passes, so a cookie/field pair a
// stranger chose is refused.
std::string AdminUi::LoginCsrf() const {
  return login_token_.Sign(
      absl::StrCat(RandomHex(16), ".",
                   absl::ToUnixSeconds(config_.clock() + kLoginFormTtl)));
}

bool AdminUi::LoginCsrfValid(const std::string& token) const {
  const std::optional<std::string> payload = login_token_.Open(token);
  if (!payload) return false;
  int64_t expires = 0;
  return absl::SimpleAtoi(payload->substr(payload->find('.') + 1), &expires) &&
         absl::FromUnixSeconds(expires) > config_.clock();
}

// A browser that signed in before: user|nonce|expiry, signed.
std::string AdminUi::IssueDevice(const std::string& user) const {
  return device_token_.Sign(
      absl::StrCat(user, "|", RandomHex(16), "|",
                   absl::ToUnixSeconds(config_.clock() + config_.device_ttl)));
}

std::string AdminUi::DeviceOf(const http::Request& request,
                              const std::string& user) const {
  const std::optional<std::string> payload =
      device_token_.Open(Cookie(request, kDeviceCookie));
  if (!payload) return "";
  const std::vector<std::string> parts = absl::StrSplit(*payload, '|');
  int64_t expires = 0;
  if (parts.size() != 3 || parts[0] != user ||
      !absl::SimpleAtoi(parts[2], &expires) ||
      absl::FromUnixSeconds(expires) <= config_.clock())
    return "";
  return parts[1];
}

std::string AdminUi::IssueSession(const std::string& user,
                                  const std::string& token) const {
  const int64_t expires =
      absl::ToUnixSeconds(config_.clock() + config_.session_ttl);
  return session_token_.Sign(absl::StrCat(user, "|", expires, "|", token));
}

std::optional<AdminUi::Session> AdminUi::ReadSession(
    const http::Request& request) const {
  const std::optional<std::string> payload =
      session_token_.Open(Cookie(request, kSessionCookie));
  if (!payload) return std::nullopt;
  const std::vector<std::string> parts = absl::StrSplit(*payload, '|');
  int64_t expires = 0;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[1], &expires) ||
      absl::FromUnixSeconds(expires) <= config_.clock()) {
    return std::nullopt;
  }
  return Session{parts[0], parts[2], absl::FromUnixSeconds(expires)};
}

std::string AdminUi::CsrfToken(const Session& session) const {
  return form_csrf_.Mac(session.nonce);
}

http::Response AdminUi::LoginPage(const http::Request& request,
                                  const std::string& error, bool fresh_csrf,
                                  absl::Duration retry_after) {
  std::string csrf = Cookie(request, kLoginCsrfCookie);
  if (fresh_csrf || !LoginCsrfValid(csrf)) csrf = LoginCsrf();
  const bool throttled = retry_after > absl::ZeroDuration();
  http::Response response =
      HtmlResponse(request,
                   throttled       ? bhttp::status::too_many_requests
                   : error.empty() ? bhttp::status::ok
                                   : bhttp::status::unauthorized,
                   pages_->SignIn(csrf, error));
  if (throttled)
    response.set(bhttp::field::retry_after,
                 std::to_string(absl::ToInt64Seconds(
                     absl::Ceil(retry_after, absl::Seconds(1)))));
  response.set(bhttp::field::set_cookie,
               absl::StrCat(kLoginCsrfCookie, "=", csrf,
                            "; Path=/admin/login; HttpOnly; SameSite=Strict",
                            config_.secure_cookies ? "; Secure" : ""));
  return response;
}

http::Response AdminUi::Login(const http::Request& request,
                              const std::string& peer) {
  const Form form = ParseForm(request.body());
  auto field = [&](const char* name) {
    auto it = form.find(name);
    return it == form.end() ? std::string() : it->second;
  };
  const std::string csrf_cookie = Cookie(request, kLoginCsrfCookie);
  if (!LoginCsrfValid(csrf_cookie) ||
      !ConstantTimeEquals(csrf_cookie, field("_csrf"))) {
    return LoginPage(request, "Your sign-in form expired; please try again.",
                     true);
  }
  const std::string user = absl::AsciiStrToLower(field("username"));
  if (user.empty() || user.size() > 100)
    return LoginPage(request, "Wrong username or password.", false);
  // Slowed down, never locked out. A browser that signed in as this admin
  // before (device cookie) counts only its own failures. Any other caller
  // counts per client and admin name, per client address (a higher
  // threshold: behind a proxy many share one), and all of them together per
  // admin name (the throttle's memory is bounded, so made-up names cannot
  // grow it). Nothing a stranger does delays the admin's own browser.
  const std::string device = DeviceOf(request, user);
  AdminOperations::SignInThrottle throttle{.max_delay = config_.max_delay};
  auto key = [&](std::string name, int threshold, bool keep_on_success) {
    auth::v1::SignInThrottleKey& added = throttle.keys.emplace_back();
    added.set_key(std::move(name));
    added.set_threshold(threshold);
    added.set_keep_on_success(keep_on_success);
  };
  if (!device.empty()) {
    key("device:" + device, config_.max_failures, false);
  } else {
    key("peer:" + peer, 4 * config_.max_failures, false);
    key(absl::StrCat("pair:", peer, "|", user), config_.max_failures, false);
    key("user:" + user, 4 * config_.max_failures, true);
  }
  // Auth checks the password (scrypt) and issues the session's token, which
  // the cookie carries and every backend call forwards as x-system-token.
  // It refuses an attempt that must still wait before any scrypt.
  const absl::StatusOr<SystemAdminTokenWithSecret> session = operations_.SignIn(
      user, field("password"), config_.session_ttl, throttle);
  if (absl::IsResourceExhausted(session.status())) {
    log::Warn("admin login slowed down", {{"peer", peer}});
    const int64_t wait = RetryAfterSeconds(session.status());
    return LoginPage(request,
                     absl::StrCat("Too many failed sign-in attempts; try "
                                  "again in ",
                                  wait, " s."),
                     false, absl::Seconds(wait));
  }
  if (absl::IsUnauthenticated(session.status()) ||
      absl::IsInvalidArgument(session.status())) {
    log::Info("admin login failed", {{"peer", peer}});
    return LoginPage(request, "Wrong username or password.", false);
  }
  if (!session.ok()) {
    log::Warn("admin login unavailable",
              {{"peer", peer}, {"error", session.status().ToString()}});
    return LoginPage(request, "Sign-in is unavailable; try again shortly.",
                     false);
  }
  log::Info("admin login", {{"peer", peer}, {"user", user}});
  http::Response response = Redirect(request, "/admin/tenants");
  // The device cookie first: clients that keep one Set-Cookie per response
  // keep the session's.
  auto cookie = [&](const char* name, const std::string& value,
                    const char* path, absl::Duration ttl) {
    response.insert(bhttp::field::set_cookie,
                    absl::StrCat(name, "=", value, "; Path=", path,
                                 "; HttpOnly; SameSite=Strict; Max-Age=",
                                 absl::ToInt64Seconds(ttl),
                                 config_.secure_cookies ? "; Secure" : ""));
  };
  cookie(kDeviceCookie, IssueDevice(user), "/admin/login", config_.device_ttl);
  cookie(kSessionCookie, IssueSession(user, session->secret()), "/admin",
         config_.session_ttl);
  return response;
}

http::Response AdminUi::Handle(const http::Request& request,
                               const std::string& peer) {
  const std::vector<std::string> path = PathSegments(request.target());
  const bool post = request.method() == bhttp::verb::post;
  if (path.size() == 2 && path[1] == "login") {
    if (post) return Login(request, peer);
    return LoginPage(request, "", false);
  }
  std::optional<Session> session = ReadSession(request);
  // A session auth no longer honours (signed out elsewhere, revoked, the
  // admin disabled) is no session.
  if (session) {
    const absl::Status admin =
        authenticator_.Authenticate(session->nonce, peer).status();
    if (absl::IsPermissionDenied(admin)) session.reset();
    // This client is over its failed-authentication budget (a flood from
    // its address): slowed down like the sign-in page, not an outage.
    if (absl::IsResourceExhausted(admin)) {
      http::Response response = HtmlResponse(
          request, bhttp::status::too_many_requests, pages_->SignedOut());
      response.set(bhttp::field::retry_after,
                   std::to_string(RetryAfterSeconds(admin)));
      return response;
    }
    if (!admin.ok() && session) {
      return HtmlResponse(request, bhttp::status::service_unavailable,
                          pages_->SignedOut());
    }
  }
  if (!session) {
    if (post)
      return HtmlResponse(request, bhttp::status::forbidden,
                          pages_->SignedOut());
    return Redirect(request, "/admin/login");
  }
  // Every backend call of this request acts as the signed-in admin.
  ActingAdmin acting(session->nonce);
  Form form;
  if (post) {
    form = ParseForm(request.body());
    auto csrf = form.find("_csrf");
    if (csrf == form.end() ||
        !ConstantTimeEquals(csrf->second, CsrfToken(*session))) {
      log::Warn("admin form without a valid CSRF token", {{"peer", peer}});
      return HtmlResponse(request, bhttp::status::forbidden,
                          pages_->CsrfRefused());
    }
  }
  if (path.size() == 2 && path[1] == "logout" && post) {
    // Revoked in auth: the cookie stops working on every replica.
    if (const absl::Status out = operations_.SignOut(session->nonce);
        !out.ok()) {
      log::Warn("admin sign-out not recorded", {{"error", out.ToString()}});
    }
    authenticator_.Forget(session->nonce);
    http::Response response = Redirect(request, "/admin/login");
    response.set(
        bhttp::field::set_cookie,
        absl::StrCat(kSessionCookie,
                     "=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0",
                     config_.secure_cookies ? "; Secure" : ""));
    return response;
  }
  if (path.size() == 1 || (path.size() == 2 && path[1] == "tenants")) {
    if (!post) return TenantList(request, *session, {}, "");
    auto created =
        operations_.CreateTenant(json{{"tenant_id", form["tenant_id"]},
                                      {"name", form["name"]},
                                      {"subdomain", form["subdomain"]},
                                      {"billing_plan", form["billing_plan"]}});
    if (!created.ok())
      return TenantList(request, *session, {},
                        std::string(created.status().message()));
    return TenantDetail(
        request, *session, created->tenant_id,
        {"Tenant created with its admin principal",
         IssuedToken{created->tenant_id + "_admin", created->admin_token}},
        "", nullptr);
  }
  if (path.size() >= 2 && path[1] == "admins") {
    return post ? AdminsPost(request, *session, path, form)
                : AdminsGet(request, *session, path);
  }
  if (path.size() >= 3 && path[1] == "tenants") {
    if (post) return TenantPost(request, *session, path, form);
    if (path.size() == 3)
      return TenantDetail(request, *session, path[2], {}, "", nullptr);
    if (path.size() == 4 && path[3] == "audit")
      return AuditPage(request, *session, path[2]);
  }
  return HtmlResponse(request, bhttp::status::not_found, pages_->NotFound());
}

http::Response AdminUi::TenantPost(const http::Request& request,
                                   const Session& session,
                                   const std::vector<std::string>& path,
                                   const Form& form) {
  const std::string& tenant_id = path[2];
  auto value = [&](const char* name) {
    auto it = form.find(name);
    return it == form.end() ? std::string() : it->second;
  };
  auto show = [&](const absl::Status& status, const std::string& notice) {
    return TenantDetail(
        request, session, tenant_id, {status.ok() ? notice : ""},
        status.ok() ? "" : std::string(status.message()), nullptr);
  };
  if (path.size() == 4 && path[3] == "config") {
    const std::string text = value("config");
    absl::StatusOr<json> parsed = ParseJsonBounded(text, "config");
    if (!parsed.ok()) {
      constexpr absl::string_view kInvalid = "config: not valid JSON: ";
      absl::string_view message = parsed.status().message();
      if (absl::StartsWith(message, kInvalid))
        message.remove_prefix(kInvalid.size());
      return TenantDetail(request, session, tenant_id, {},
                          "Invalid JSON configuration: " + std::string(message),
                          &text);
    }
    json wanted = *std::move(parsed);
    if (!wanted.is_object()) {
      return TenantDetail(
          request, session, tenant_id, {},
          "Invalid configuration: config: expected a JSON object", &text);
    }
    auto current = operations_.GetTenant(tenant_id);
    if (!current.ok()) return show(current.status(), "");
    auto updated = operations_.UpdateConfig(
        tenant_id,
        ReplacementPatch(ConfigToDocument(current->config()), wanted));
    if (!updated.ok()) {
      return TenantDetail(
          request, session, tenant_id, {},
          "Invalid configuration: " + std::string(updated.status().message()),
          &text);
    }
    return TenantDetail(request, session, tenant_id,
                        {"Configuration updated successfully"}, "", nullptr);
  }
  if (path.size() == 4 && path[3] == "active") {
    const bool active = value("is_active") == "true";
    const auto updated =
        operations_.PatchTenant(tenant_id, json{{"is_active", active}});
    return show(updated.status(),
                active ? "Tenant reactivated" : "Tenant deactivated");
  }
  if (path.size() == 4 && path[3] == "principals") {
    json body{{"name", value("name")}};
    if (!value("principal_id").empty())
      body["principal_id"] = value("principal_id");
    auto issued = operations_.CreatePrincipal(tenant_id, body);
    if (!issued.ok()) return show(issued.status(), "");
    return TenantDetail(request, session, tenant_id,
                        {"Created principal", *issued}, "", nullptr);
  }
  if (path.size() == 6 && path[3] == "principals" && path[5] == "rotate") {
    auto issued = operations_.RotateToken(tenant_id, path[4]);
    if (!issued.ok()) return show(issued.status(), "");
    return TenantDetail(request, session, tenant_id, {"New token for", *issued},
                        "", nullptr);
  }
  if (path.size() == 6 && path[3] == "principals" && path[5] == "revoke") {
    return show(operations_.RevokePrincipal(tenant_id, path[4]),
                "Principal revoked");
  }
  return HtmlResponse(request, bhttp::status::not_found, pages_->NotFound());
}

http::Response AdminUi::TenantList(const http::Request& request,
                                   const Session& session, const Notice& notice,
                                   const std::string& error) {
  return HtmlResponse(
      request, error.empty() ? bhttp::status::ok : bhttp::status::bad_request,
      pages_->TenantList(CsrfToken(session), notice, error,
                         operations_.ListTenants()));
}

http::Response AdminUi::TenantDetail(const http::Request& request,
                                     const Session& session,
                                     const std::string& tenant_id,
                                     const Notice& notice,
                                     const std::string& error,
                                     const std::string* config_text) {
  const std::string csrf = CsrfToken(session);
  auto tenant = operations_.GetTenant(tenant_id);
  if (!tenant.ok()) {
    return HtmlResponse(
        request,
        HttpStatusFor(static_cast<grpc::StatusCode>(tenant.status().code())),
        pages_->Error("Tenant", csrf, std::string(tenant.status().message())));
  }
  const std::string text =
      config_text
          ? *config_text
          : RedactCredentials(ConfigToDocument(tenant->config())).dump(2);
  return HtmlResponse(
      request, error.empty() ? bhttp::status::ok : bhttp::status::bad_request,
      pages_->TenantDetail(csrf, *tenant, notice, error, text,
                           operations_.ListPrincipals(tenant_id)));
}

http::Response AdminUi::AuditPage(const http::Request& request,
                                  const Session& session,
                                  const std::string& tenant_id) {
  const std::string csrf = CsrfToken(session);
  const std::string page_token = QueryParameter(request.target(), "page_token");
  auto page = operations_.ListAudit(tenant_id, 50, page_token);
  auto tenant = operations_.GetTenant(tenant_id);
  if (!page.ok() || !tenant.ok()) {
    const absl::Status status = page.ok() ? tenant.status() : page.status();
    return HtmlResponse(
        request, HttpStatusFor(static_cast<grpc::StatusCode>(status.code())),
        pages_->Error("Audit log", csrf, std::string(status.message())));
  }
  return HtmlResponse(request, bhttp::status::ok,
                      pages_->Audit(csrf, *tenant, *page));
}

}  // namespace adcp::admin_gateway
