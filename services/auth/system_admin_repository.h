// All SQL of the system admins: accounts, their tokens (SHA-256 only) and
// the platform's admin events. Platform tables (no tenant_id): every
// statement runs in a transaction without a tenant.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adcp/auth/v1/auth.pb.h"
#include "libs/db/pg_pool.h"
#include "libs/db/service_role.h"

namespace adcp::auth {

using ::adcp::auth::v1::ResolvedSystemAdmin;
using ::adcp::auth::v1::SystemAdmin;
using ::adcp::auth::v1::SystemAdminToken;

class SystemAdminRepository {
 public:
  static PgPool::Statements Statements();
  // The auth role's privileges on the system admin tables.
  static RolePrivileges Privileges();

  explicit SystemAdminRepository(PgPool& pool) : pool_(pool) {}

  // ALREADY_EXISTS naming admin_id when taken. With `only_if_none`, the
  // bootstrap's creation: FAILED_PRECONDITION when an enabled admin exists
  // (checked under a table lock, so two bootstraps cannot both succeed).
  // Writes the admin event.
  absl::StatusOr<SystemAdmin> Create(const std::string& admin_id,
                                     const std::string& name,
                                     const std::string& password_hash,
                                     const std::string& actor,
                                     bool only_if_none);
  absl::StatusOr<bool> AnyEnabled();
  absl::StatusOr<std::vector<SystemAdmin>> List(bool include_disabled);
  // Disables the admin and revokes its tokens; NOT_FOUND when missing;
  // disabling a disabled admin returns it unchanged.
  absl::StatusOr<SystemAdmin> Disable(const std::string& admin_id,
                                      const std::string& actor);

  struct Credentials {
    std::string password_hash;
    bool disabled = false;
  };
  // NOT_FOUND when there is no such admin.
  absl::StatusOr<Credentials> CredentialsOf(const std::string& admin_id);

  struct NewToken {
    std::string token_id;
    std::string admin_id;
    std::string hash_hex;
    std::string kind;  // "api" or "session"
    std::string prefix;
    std::optional<absl::Time> expires_at;
  };
  // Writes the admin event under `actor`. A session (a sign-in) also
  // deletes up to kPruneBatch of the admin's expired sessions.
  absl::StatusOr<SystemAdminToken> AddToken(const NewToken& token,
                                            const std::string& actor);
  // The live token (not revoked, not expired, of an enabled admin) whose
  // SHA-256 is `hash_hex`, or UNAUTHENTICATED. Notes its use (at most once
  // a minute).
  absl::StatusOr<ResolvedSystemAdmin> Resolve(const std::string& hash_hex);
  // At most kMaxListedTokens, oldest first; FAILED_PRECONDITION (naming
  // admin_id and what to do) when there are more.
  absl::StatusOr<std::vector<SystemAdminToken>> ListTokens(
      const std::string& admin_id, bool include_revoked);
  static constexpr int kMaxListedTokens = 500;
  // Expired sessions of the admin removed by one sign-in (AddToken of a
  // session), at most.
  static constexpr int kPruneBatch = 100;
  // NOT_FOUND when the admin has no such token; revoking a revoked token
  // returns it unchanged.
  absl::StatusOr<SystemAdminToken> RevokeToken(const std::string& admin_id,
                                               const std::string& token_id,
                                               const std::string& actor);
  // Revokes the live token whose SHA-256 is `hash_hex` (a sign-out);
  // NOT_FOUND when none.
  absl::Status RevokeTokenByHash(const std::string& hash_hex);

 private:
  PgPool& pool_;
};

}  // namespace adcp::auth
