// The admin web UI under /admin: server-rendered pages for system admins.
// Sign-in by a named admin's id and password, checked by auth
// (SignInSystemAdmin, scrypt), which issues a session token; an HMAC-signed
// session cookie carries it (HttpOnly, SameSite=Strict, Secure when
// configured), every backend call forwards it as x-system-token, and
// signing out revokes it in auth (so on every replica); a CSRF token on every
// form (the sign-in form's a server-signed nonce), and failed sign-ins slowed
// down, never locked out (counted by auth in PostgreSQL, so across replicas).
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "libs/http/http_server.h"
#include "services/admin-gateway/admin_authenticator.h"
#include "services/admin-gateway/admin_html.h"
#include "services/admin-gateway/admin_operations.h"
#include "services/admin-gateway/admin_pages.h"
#include "services/admin-gateway/signed_token.h"

namespace adcp::admin_gateway {

struct AdminUiConfig {
  std::string session_secret;  // HMAC key, 32+ bytes
  absl::Duration session_ttl = absl::Hours(8);
  bool secure_cookies = false;
  // Failed sign-ins a caller makes before each further attempt waits: 1 s,
  // doubling per failure, up to max_delay. Counted per client address for
  // untrusted clients, per admin name across untrusted clients, and per
  // device for a browser that signed in before (its device cookie), so a
  // stranger's failures slow strangers down but never the admin's browser.
  // Auth keeps the counts in PostgreSQL: they hold across replicas.
  int max_failures = 5;
  absl::Duration max_delay = absl::Minutes(15);
  absl::Duration device_ttl = absl::Hours(24 * 90);
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class AdminUi {
 public:
  AdminUi(AdminOperations& operations, AdminAuthenticator& authenticator,
          AdminUiConfig config, std::unique_ptr<const AdminPages> pages);

  // For a target under /admin.
  http::Response Handle(const http::Request& request, const std::string& peer);

 private:
  struct Session {
    std::string user;
    std::string nonce;  // auth's session token
    absl::Time expires;
  };
  using Form = absl::flat_hash_map<std::string, std::string>;
  using bhttp_status = boost::beast::http::status;

  std::optional<Session> ReadSession(const http::Request& request) const;
  std::string IssueSession(const std::string& user,
                           const std::string& token) const;
  std::string CsrfToken(const Session& session) const;
  std::string LoginCsrf() const;
  bool LoginCsrfValid(const std::string& token) const;
  std::string IssueDevice(const std::string& user) const;
  // The device nonce of a valid device cookie for `user`, or "".
  std::string DeviceOf(const http::Request& request,
                       const std::string& user) const;

  http::Response Login(const http::Request& request, const std::string& peer);
  http::Response LoginPage(const http::Request& request,
                           const std::string& error, bool fresh_csrf,
                           absl::Duration retry_after = absl::ZeroDuration());
  http::Response TenantList(const http::Request& request,
                            const Session& session, const Notice& notice,
                            const std::string& error);
  http::Response TenantDetail(const http::Request& request,
                              const Session& session,
                              const std::string& tenant_id,
                              const Notice& notice, const std::string& error,
                              const std::string* config_text);
  http::Response AuditPage(const http::Request& request, const Session& session,
                           const std::string& tenant_id);
  http::Response TenantPost(const http::Request& request,
                            const Session& session,
                            const std::vector<std::string>& path,
                            const Form& form);

  // /admin/admins... (admin_ui_admins.cc): the system admins and their
  // tokens.
  http::Response AdminsGet(const http::Request& request, const Session& session,
                           const std::vector<std::string>& path);
  http::Response AdminsPost(const http::Request& request,
                            const Session& session,
                            const std::vector<std::string>& path,
                            const Form& form);
  http::Response AdminList(const http::Request& request, const Session& session,
                           const Notice& notice, const AdminForm& form,
                           bhttp_status status);
  // Admin `admin_id`'s page (404 for an unknown one), with `status` (the
  // outcome of the action just taken).
  http::Response AdminDetail(const http::Request& request,
                             const Session& session,
                             const std::string& admin_id, const Notice& notice,
                             const absl::Status& status);

  AdminOperations& operations_;
  AdminAuthenticator& authenticator_;
  const AdminUiConfig config_;
  const std::unique_ptr<const AdminPages> pages_;
  // Under config_.session_secret: the session cookie (user|expiry|nonce),
  // the device cookie (user|nonce|expiry), the sign-in form's token
  // (nonce.expiry), and each session's form CSRF token (its nonce's MAC).
  const SignedToken session_token_;
  const SignedToken device_token_;
  const SignedToken login_token_;
  const SignedToken form_csrf_;
};

// The merge patch that turns `current` into `wanted` (nulls for removed keys).
nlohmann::json ReplacementPatch(const nlohmann::json& current,
                                const nlohmann::json& wanted);

}  // namespace adcp::admin_gateway
