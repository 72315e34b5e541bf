#include "services/auth/system_admin_directory.h"

#include <openssl/crypto.h>

#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "libs/tenancy/metadata.h"
#include "services/auth/access_token.h"

namespace adcp::auth {
namespace {

v1::SystemAdminChange Change(v1::SystemAdminChange::Kind kind,
                             const std::string& admin_id = "") {
  v1::SystemAdminChange change;
  change.set_kind(kind);
  change.set_admin_id(admin_id);
  return change;
}

}  // namespace

SystemAdminDirectory::SystemAdminDirectory(std::string conninfo,
                                           SystemAdminRepository& repository,
                                           AuditLog& audit,
                                           std::string bootstrap_sha256)
    : repository_(repository),
      audit_(audit),
      bootstrap_sha256_(std::move(bootstrap_sha256)),
      changes_(Change(v1::SystemAdminChange::RESYNC)),
      listener_(
          std::move(conninfo), "adcp_system_admin_changes",
          [this](const std::string& admin_id) {
            Publish(v1::SystemAdminChange::CHANGED, admin_id);
          },
          // Changes made while not listening are unknown: caches start over.
          [this] { Publish(v1::SystemAdminChange::RESYNC, ""); },
          [this] { Publish(v1::SystemAdminChange::SUSPEND, ""); }) {}

SystemAdminDirectory::~SystemAdminDirectory() { Stop(); }

void SystemAdminDirectory::Start() { listener_.Start(); }

void SystemAdminDirectory::Stop() {
  listener_.Stop();
  changes_.Close();
}

bool SystemAdminDirectory::WaitUntilListening(absl::Duration timeout) {
  return listener_.WaitUntilListening(timeout);
}

void SystemAdminDirectory::Publish(v1::SystemAdminChange::Kind kind,
                                   const std::string& admin_id) {
  changes_.Publish(Change(kind, admin_id));
}

void SystemAdminDirectory::AuditFailure(const std::string& client,
                                        const std::string& reason,
                                        const std::string& admin_id) const {
  nlohmann::json details = {
      {"reason", reason},
      {"client",
       client.empty() ? nlohmann::json(nullptr) : nlohmann::json(client)}};
  if (!admin_id.empty()) details["admin_id"] = admin_id;
  audit_.Count(AuditEvent{.operation = "system_auth_failed",
                          .principal_id = "anonymous",
                          .success = false,
                          .details = std::move(details)});
}

absl::StatusOr<v1::ResolvedSystemAdmin> SystemAdminDirectory::ResolveNamed(
    const std::string& token, const std::string& client) const {
  if (!IsBearerToken(token)) {
    AuditFailure(client, "malformed system token");
    return absl::UnauthenticatedError("invalid or revoked system token");
  }
  absl::StatusOr<v1::ResolvedSystemAdmin> resolved =
      repository_.Resolve(TokenHashHex(token));
  if (absl::IsUnauthenticated(resolved.status()))
    AuditFailure(client, "invalid or revoked system token");
  return resolved;
}

absl::StatusOr<SystemAdminIdentity> SystemAdminDirectory::Resolve(
    const std::string& token, const std::string& client) const {
  if (!bootstrap_sha256_.empty() && IsBearerToken(token)) {
    const std::string digest = Sha256(token);
    if (CRYPTO_memcmp(digest.data(), bootstrap_sha256_.data(), digest.size()) ==
        0) {
      ASSIGN_OR_RETURN(const bool any, repository_.AnyEnabled());
      if (!any) return SystemAdminIdentity{.bootstrap = true};
      AuditFailure(client, "bootstrap token after the first admin");
      return absl::UnauthenticatedError("invalid or revoked system token");
    }
  }
  ASSIGN_OR_RETURN(const v1::ResolvedSystemAdmin resolved,
                   ResolveNamed(token, client));
  return SystemAdminIdentity{.admin_id = resolved.admin_id()};
}

}  // namespace adcp::auth
