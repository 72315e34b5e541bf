#include "services/auth/system_admin_repository.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "libs/base/status.h"

namespace adcp::auth {
namespace {

#define ADMIN_COLUMNS                                    \
  "admin_id, name, created_by, "                         \
  "(extract(epoch FROM created_at) * 1000000)::bigint, " \
  "(extract(epoch FROM disabled_at) * 1000000)::bigint"
#define TOKEN_COLUMNS                                    \
  "token_id, admin_id, kind, prefix, "                   \
  "(extract(epoch FROM created_at) * 1000000)::bigint, " \
  "(extract(epoch FROM expires_at) * 1000000)::bigint, " \
  "(extract(epoch FROM revoked_at) * 1000000)::bigint, " \
  "(extract(epoch FROM last_used_at) * 1000000)::bigint"

constexpr char kInsertAdmin[] = "system_admin_insert";
constexpr char kLockAdmins[] = "system_admin_lock";
constexpr char kAnyEnabled[] = "system_admin_any_enabled";
constexpr char kListAdmins[] = "system_admin_list";
constexpr char kSelectAdmin[] = "system_admin_select";
constexpr char kDisableAdmin[] = "system_admin_disable";
constexpr char kRevokeAllTokens[] = "system_admin_revoke_all_tokens";
constexpr char kCredentials[] = "system_admin_credentials";
constexpr char kInsertToken[] = "system_admin_token_insert";
constexpr char kResolve[] = "system_admin_token_resolve";
constexpr char kTouch[] = "system_admin_token_touch";
constexpr char kListTokens[] = "system_admin_token_list";
constexpr char kSelectToken[] = "system_admin_token_select";
constexpr char kRevokeToken[] = "system_admin_token_revoke";
constexpr char kRevokeByHash[] = "system_admin_token_revoke_by_hash";
constexpr char kEvent[] = "system_admin_event";
constexpr char kPruneSessions[] = "system_admin_prune_sessions";

using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;

void SetTime(const pqxx::field& field, Timestamp* out) {
  if (!field.is_null())
    *out = TimeUtil::MicrosecondsToTimestamp(field.as<int64_t>());
}

SystemAdmin AdminFromRow(const pqxx::row& row) {
  SystemAdmin admin;
  admin.set_admin_id(row[0].as<std::string>());
  admin.set_name(row[1].as<std::string>());
  admin.set_created_by(row[2].as<std::string>());
  SetTime(row[3], admin.mutable_created_at());
  if (!row[4].is_null()) SetTime(row[4], admin.mutable_disabled_at());
  return admin;
}

SystemAdminToken TokenFromRow(const pqxx::row& row) {
  SystemAdminToken token;
  token.set_token_id(row[0].as<std::string>());
  token.set_admin_id(row[1].as<std::string>());
  token.set_kind(row[2].as<std::string>());
  token.set_prefix(row[3].as<std::string>());
  SetTime(row[4], token.mutable_created_at());
  if (!row[5].is_null()) SetTime(row[5], token.mutable_expires_at());
  if (!row[6].is_null()) SetTime(row[6], token.mutable_revoked_at());
  if (!row[7].is_null()) SetTime(row[7], token.mutable_last_used_at());
  return token;
}

void Event(PgTxn& txn, const char* operation, const std::string& actor,
           const nlohmann::json& details) {
  txn.Exec0(kEvent, operation, actor, details.dump());
}

}  // namespace

PgPool::Statements SystemAdminRepository::Statements() {
  return {
      {kInsertAdmin,
       "INSERT INTO system_admins (admin_id, name, password_hash, created_by) "
       "VALUES ($1, $2, $3, $4) RETURNING " ADMIN_COLUMNS},
      {kLockAdmins, "LOCK TABLE system_admins IN SHARE ROW EXCLUSIVE MODE"},
      {kAnyEnabled,
       "SELECT EXISTS (SELECT 1 FROM system_admins WHERE disabled_at IS NULL)"},
      {kListAdmins, "SELECT " ADMIN_COLUMNS " FROM system_admins "
                    "WHERE $1 OR disabled_at IS NULL ORDER BY admin_id"},
      {kSelectAdmin,
       "SELECT " ADMIN_COLUMNS " FROM system_admins WHERE admin_id = $1"},
      {kDisableAdmin,
       "UPDATE system_admins SET disabled_at = now() "
       "WHERE admin_id = $1 AND disabled_at IS NULL RETURNING " ADMIN_COLUMNS},
      {kRevokeAllTokens,
       "UPDATE system_admin_tokens SET revoked_at = now() "
       "WHERE admin_id = $1 AND revoked_at IS NULL"},
      {kCredentials,
       "SELECT password_hash, disabled_at IS NOT NULL FROM system_admins "
       "WHERE admin_id = $1"},
      {kInsertToken,
       "INSERT INTO system_admin_tokens (token_id, admin_id, token_sha256, "
       "kind, prefix, expires_at) VALUES ($1, $2, decode($3, 'hex'), $4, $5, "
       "to_timestamp(NULLIF($6::bigint, 0)::double precision / 1000000)) "
       "RETURNING " TOKEN_COLUMNS},
      {kResolve,
       "SELECT t.token_id, t.kind, a.admin_id, a.name, "
       "(extract(epoch FROM t.expires_at) * 1000000)::bigint, "
       "t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' "
       "FROM system_admin_tokens t JOIN system_admins a USING (admin_id) "
       "WHERE t.token_sha256 = decode($1, 'hex') AND t.revoked_at IS NULL "
       "AND a.disabled_at IS NULL "
       "AND (t.expires_at IS NULL OR t.expires_at > now())"},
      {kTouch,
       "UPDATE system_admin_tokens SET last_used_at = now() "
       "WHERE token_id = $1"},
      {kListTokens, "SELECT " TOKEN_COLUMNS " FROM system_admin_tokens "
                    "WHERE admin_id = $1 AND ($2 OR revoked_at IS NULL) "
                    "ORDER BY created_at, token_id LIMIT $3"},
      {kPruneSessions,
       "DELETE FROM system_admin_tokens WHERE token_id IN ("
       "SELECT token_id FROM system_admin_tokens WHERE admin_id = $1 "
       "AND kind = 'session' AND expires_at < now() "
       "ORDER BY expires_at LIMIT $2)"},
      {kSelectToken, "SELECT " TOKEN_COLUMNS " FROM system_admin_tokens "
                     "WHERE admin_id = $1 AND token_id = $2"},
      {kRevokeToken,
       "UPDATE system_admin_tokens SET revoked_at = now() "
       "WHERE admin_id = $1 AND token_id = $2 AND revoked_at IS NULL "
       "RETURNING " TOKEN_COLUMNS},
      {kRevokeByHash,
       "UPDATE system_admin_tokens SET revoked_at = now() "
       "WHERE token_sha256 = decode($1, 'hex') AND revoked_at IS NULL "
       "RETURNING admin_id, token_id"},
      {kEvent,
       "INSERT INTO system_admin_events (operation, actor, success, details) "
       "VALUES ($1, $2, true, $3::jsonb)"},
  };
}

RolePrivileges SystemAdminRepository::Privileges() {
  return {.service = "auth",
          .tables = {
              {"system_admins", {"SELECT", "INSERT", "UPDATE"}},
              // DELETE: expired sessions (migration 0017).
              {"system_admin_tokens", {"SELECT", "INSERT", "UPDATE", "DELETE"}},
              {"system_admin_events", {"INSERT"}}}};
}

absl::StatusOr<SystemAdmin> SystemAdminRepository::Create(
    const std::string& admin_id, const std::string& name,
    const std::string& password_hash, const std::string& actor,
    bool only_if_none) {
  SystemAdmin admin;
  RETURN_IF_ERROR(pool_.WithTransaction([&](PgTxn& txn) -> absl::Status {
    if (only_if_none) {
      txn.Exec0(kLockAdmins);
      if (txn.Exec1(kAnyEnabled)[0].as<bool>()) {
        return absl::FailedPreconditionError(
            "the bootstrap token creates only the first admin; an admin "
            "exists");
      }
    }
    try {
      admin = AdminFromRow(
          txn.Exec1(kInsertAdmin, admin_id, name, password_hash, actor));
    } catch (const pqxx::unique_violation&) {
      return absl::AlreadyExistsError(
          absl::StrCat("admin_id: '", admin_id, "' already exists"));
    }
    Event(txn, "system_admin_created", actor, {{"admin_id", admin_id}});
    return absl::OkStatus();
  }));
  return admin;
}

absl::StatusOr<bool> SystemAdminRepository::AnyEnabled() {
  bool any = false;
  RETURN_IF_ERROR(pool_.WithTransaction([&](PgTxn& txn) {
    any = txn.Exec1(kAnyEnabled)[0].as<bool>();
    return absl::OkStatus();
  }));
  return any;
}

absl::StatusOr<std::vector<SystemAdmin>> SystemAdminRepository::List(
    bool include_disabled) {
  std::vector<SystemAdmin> admins;
  RETURN_IF_ERROR(pool_.WithTransaction([&](PgTxn& txn) {
    for (const auto& row : txn.Exec(kListAdmins, include_disabled))
      admins.push_back(AdminFromRow(row));
    return absl::OkStatus();
  }));
  return admins;
}

absl::StatusOr<SystemAdmin> SystemAdminRepository::Disable(
    const std::string& admin_id, const std::string& actor) {
  SystemAdmin admin;
  RETURN_IF_ERROR(pool_.WithTransaction([&](PgTxn& txn) -> absl::Status {
    const pqxx::result disabled = txn.Exec(kDisableAdmin, admin_id);
    if (disabled.empty()) {
      const pqxx::result existing = txn.Exec(kSelectAdmin, admin_id);
      if (existing.empty()) return absl::NotFoundError("admin not found");
      admin = AdminFromRow(existing[0]);
      return absl::OkStatus();
    }
    admin = AdminFromRow(disabled[0]);
    txn.Exec0(kRevokeAllTokens, admin_id);
    Event(txn, "system_admin_disabled", actor, {{"admin_id", admin_id}});
    return absl::OkStatus();
  }));
  return admin;
}

absl::StatusOr<SystemAdminRepository::Credentials>
SystemAdminRepository::CredentialsOf(const std::string& admin_id) {
  Credentials credentials;
  RETURN_IF_ERROR(pool_.WithTransaction([&](PgTxn& txn) -> absl::Status {
    const pqxx::result rows = txn.Exec(kCredentials, admin_id);
    if (rows.empty()) return absl::NotFoundError("admin not found");
    credentials.password_hash = rows[0][0].as<std::string>();
    credentials.disabled = rows[0][1].as<bool>();
    return absl::OkStatus();
  }));
  return credentials;
}

absl::StatusOr<SystemAdminToken> SystemAdminRepository::AddToken(
    const NewToken& token, const std::string& actor) {
  SystemAdminToken added;
  // 0: no expiry (NULL).
  const int64_t expires =
      token.expires_at ? absl::ToUnixMicros(*token.expires_at) : 0;
  RETURN_IF_ERROR(pool_.WithTransaction([&](PgTxn& txn) {
    added = TokenFromRow(txn.Exec1(kInsertToken, token.token_id, token.admin_id,
                                   token.hash_hex, token.kind, token.prefix,
                                   expires));
    // A sign-in also removes a bounded batch of the admin's expired
    // sessions, so they never pile up: each sign-in adds one and may remove
    // up to kPruneBatch.
    if (token.kind == "session")
      txn.Exec0(kPruneSessions, token.admin_id, kPruneBatch);
    // Sessions are routine; API tokens are credentials worth an event.
    if (token.kind == "api") {
      Event(txn, "system_admin_token_created", actor,
            {{"admin_id", token.admin_id}, {"token_id", token.token_id}});
    }
    return absl::OkStatus();
  }));
  return added;
}

absl::StatusOr<ResolvedSystemAdmin> SystemAdminRepository::Resolve(
    const std::string& hash_hex) {
  ResolvedSystemAdmin resolved;
  RETURN_IF_ERROR(pool_.WithTransaction([&](PgTxn& txn) -> absl::Status {
    const pqxx::result rows = txn.Exec(kResolve, hash_hex);
    if (rows.empty())
      return absl::UnauthenticatedError("invalid or revoked system token");
    resolved.set_token_id(rows[0][0].as<std::string>());
    resolved.set_kind(rows[0][1].as<std::string>());
    resolved.set_admin_id(rows[0][2].as<std::string>());
    resolved.set_name(rows[0][3].as<std::string>());
    SetTime(rows[0][4], resolved.mutable_expires_at());
    if (rows[0][4].is_null()) resolved.clear_expires_at();
    if (rows[0][5].as<bool>()) txn.Exec0(kTouch, resolved.token_id());
    return absl::OkStatus();
  }));
  return resolved;
}

absl::StatusOr<std::vector<SystemAdminToken>> SystemAdminRepository::ListTokens(
    const std::string& admin_id, bool include_revoked) {
  std::vector<SystemAdminToken> tokens;
  RETURN_IF_ERROR(pool_.WithTransaction([&](PgTxn& txn) {
    const pqxx::result rows =
        txn.Exec(kListTokens, admin_id, include_revoked, kMaxListedTokens + 1);
    if (rows.size() > static_cast<size_t>(kMaxListedTokens)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "admin_id: more than ", kMaxListedTokens,
          " tokens to list; revoke unused API tokens",
          include_revoked ? ", or leave out the revoked ones" : ""));
    }
    for (const auto& row : rows) tokens.push_back(TokenFromRow(row));
    return absl::OkStatus();
  }));
  return tokens;
}

absl::StatusOr<SystemAdminToken> SystemAdminRepository::RevokeToken(
    const std::string& admin_id, const std::string& token_id,
    const std::string& actor) {
  SystemAdminToken token;
  RETURN_IF_ERROR(pool_.WithTransaction([&](PgTxn& txn) -> absl::Status {
    const pqxx::result revoked = txn.Exec(kRevokeToken, admin_id, token_id);
    if (revoked.empty()) {
      const pqxx::result existing = txn.Exec(kSelectToken, admin_id, token_id);
      if (existing.empty()) return absl::NotFoundError("token not found");
      token = TokenFromRow(existing[0]);
      return absl::OkStatus();
    }
    token = TokenFromRow(revoked[0]);
    Event(txn, "system_admin_token_revoked", actor,
          {{"admin_id", admin_id}, {"token_id", token_id}});
    return absl::OkStatus();
  }));
  return token;
}

absl::Status SystemAdminRepository::RevokeTokenByHash(
    const std::string& hash_hex) {
  return pool_.WithTransaction([&](PgTxn& txn) -> absl::Status {
    if (txn.Exec(kRevokeByHash, hash_hex).empty())
      return absl::NotFoundError("token not found");
    return absl::OkStatus();
  });
}

}  // namespace adcp::auth
