// The admin web UI under /admin: server-rendered pages for system admins.
// Login by username and password (scrypt-hashed in memory), a stateless
// HMAC-signed session cookie (HttpOnly, SameSite=Strict, Secure when
// configured), a CSRF token on every form, lock-out after repeated failures.
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adcp/common/http/http_server.h"
#include "admin_operations.h"

namespace adcp::admin_gateway {

struct AdminUiConfig {
  std::string username = "admin";
  std::string password;        // required
  std::string session_secret;  // HMAC key, 32+ bytes
  absl::Duration session_ttl = absl::Hours(8);
  bool secure_cookies = false;
  int max_failures = 5;
  absl::Duration lockout = absl::Minutes(15);
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class AdminUi {
 public:
  AdminUi(AdminOperations& operations, AdminUiConfig config);

  // For a target under /admin.
  http::Response Handle(const http::Request& request, const std::string& peer);

 private:
  struct Session {
    std::string user;
    std::string nonce;
    absl::Time expires;
  };
  struct Failures {
    int count = 0;
    absl::Time window_start;
    absl::Time locked_until = absl::InfinitePast();
  };
  using Form = absl::flat_hash_map<std::string, std::string>;

  std::optional<Session> ReadSession(const http::Request& request) const;
  std::string IssueSession(const std::string& user) const;
  std::string CsrfToken(const Session& session) const;
  bool CheckPassword(const std::string& user,
                     const std::string& password) const;
  bool LockedOut(const std::string& key) const;
  void RecordFailure(const std::string& key, int threshold);

  http::Response Login(const http::Request& request, const std::string& peer);
  http::Response LoginPage(const http::Request& request,
                           const std::string& error, bool fresh_csrf);
  http::Response TenantList(const http::Request& request,
                            const Session& session, const std::string& notice,
                            const std::string& error);
  http::Response TenantDetail(const http::Request& request,
                              const Session& session,
                              const std::string& tenant_id,
                              const std::string& notice,
                              const std::string& error,
                              const std::string* config_text);
  http::Response AuditPage(const http::Request& request, const Session& session,
                           const std::string& tenant_id);
  http::Response TenantPost(const http::Request& request,
                            const Session& session,
                            const std::vector<std::string>& path,
                            const Form& form);

  AdminOperations& operations_;
  const AdminUiConfig config_;
  std::string password_salt_;
  std::string password_hash_;
  mutable std::mutex mutex_;
  absl::flat_hash_map<std::string, Failures> failures_;
  // Signed-out session nonces -> their expiry. Per process: with several
  // replicas, a signed-out cookie stays valid elsewhere until it expires.
  absl::flat_hash_map<std::string, absl::Time> logged_out_;
};

// HTML-escapes text for element content and attribute values.
std::string Html(std::string_view text);
// Decodes an application/x-www-form-urlencoded body.
absl::flat_hash_map<std::string, std::string> ParseForm(std::string_view body);
// The merge patch that turns `current` into `wanted` (nulls for removed keys).
nlohmann::json ReplacementPatch(const nlohmann::json& current,
                                const nlohmann::json& wanted);

}  // namespace adcp::admin_gateway
