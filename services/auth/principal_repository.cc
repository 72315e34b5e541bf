#include "services/auth/principal_repository.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "libs/base/status.h"

namespace adcp::auth {
namespace {

#define PRINCIPAL_COLUMNS                                                  \
  "tenant_id, principal_id, name, platform_mappings::text, token_prefix, " \
  "(extract(epoch FROM created_at) * 1000000)::bigint, "                   \
  "(extract(epoch FROM last_used_at) * 1000000)::bigint, "                 \
  "(extract(epoch FROM revoked_at) * 1000000)::bigint"

constexpr char kInsert[] = "principal_insert";
constexpr char kByTokenHash[] = "principal_by_token_hash";
constexpr char kList[] = "principal_list";
constexpr char kReplaceToken[] = "principal_replace_token";
constexpr char kSelectOne[] = "principal_select_one";
constexpr char kRevoke[] = "principal_revoke";
constexpr char kTouch[] = "principal_touch";
constexpr char kAudit[] = "principal_audit";

using google::protobuf::util::TimeUtil;

Principal FromRow(const pqxx::row& row) {
  Principal principal;
  principal.set_tenant_id(row[0].as<std::string>());
  principal.set_principal_id(row[1].as<std::string>());
  principal.set_name(row[2].as<std::string>());
  (void)google::protobuf::util::JsonStringToMessage(
      row[3].as<std::string>(), principal.mutable_platform_mappings());
  principal.set_token_prefix(row[4].as<std::string>());
  principal.set_is_admin(principal.principal_id() ==
                         principal.tenant_id() + "_admin");
  *principal.mutable_created_at() =
      TimeUtil::MicrosecondsToTimestamp(row[5].as<int64_t>());
  if (!row[6].is_null()) {
    *principal.mutable_last_used_at() =
        TimeUtil::MicrosecondsToTimestamp(row[6].as<int64_t>());
  }
  if (!row[7].is_null()) {
    *principal.mutable_revoked_at() =
        TimeUtil::MicrosecondsToTimestamp(row[7].as<int64_t>());
  }
  return principal;
}

void Audit(PgTxn& txn, const std::string& tenant_id, const char* operation,
           const std::string& actor, const std::string& principal_id) {
  txn.Exec0(kAudit, tenant_id, operation, actor,
            nlohmann::json{{"principal_id", principal_id}}.dump());
}

absl::Status PrincipalNotFound() {
  return absl::NotFoundError("principal not found");
}

}  // namespace

PgPool::Statements PrincipalRepository::Statements() {
  return {
      {kInsert,
       "INSERT INTO principals (tenant_id, principal_id, name, "
       "platform_mappings, token_hash, "
       "token_prefix) VALUES ($1, $2, $3, $4::jsonb, decode($5, 'hex'), $6) "
       "RETURNING " PRINCIPAL_COLUMNS},
      {kByTokenHash, "SELECT " PRINCIPAL_COLUMNS " FROM principals "
                     "WHERE tenant_id = $1 AND token_hash = decode($2, 'hex') "
                     "AND revoked_at IS NULL"},
      {kList, "SELECT " PRINCIPAL_COLUMNS " FROM principals "
              "WHERE tenant_id = $1 AND principal_id > $2 AND ($4 OR "
              "revoked_at IS NULL) "
              "ORDER BY principal_id LIMIT $3"},
      {kSelectOne,
       "SELECT " PRINCIPAL_COLUMNS
       " FROM principals WHERE tenant_id = $1 AND principal_id = $2"},
      {kReplaceToken,
       "UPDATE principals SET token_hash = decode($3, 'hex'), token_prefix = "
       "$4 "
       "WHERE tenant_id = $1 AND principal_id = $2 AND revoked_at IS NULL "
       "RETURNING " PRINCIPAL_COLUMNS},
      {kRevoke,
       "UPDATE principals SET revoked_at = now() "
       "WHERE tenant_id = $1 AND principal_id = $2 AND revoked_at IS NULL "
       "RETURNING " PRINCIPAL_COLUMNS},
      {kTouch,
       "UPDATE principals SET last_used_at = to_timestamp($3::double precision "
       "/ 1000000) "
       "WHERE tenant_id = $1 AND principal_id = $2 "
       "  AND (last_used_at IS NULL OR last_used_at < to_timestamp($3::double "
       "precision / 1000000))"},
      {kAudit,
       "INSERT INTO audit_log (tenant_id, operation, principal_id, success, "
       "details) "
       "VALUES ($1, $2, $3, true, $4::jsonb)"},
  };
}

RolePrivileges PrincipalRepository::Privileges() {
  return {.service = "auth",
          .tables = {{"schema_migrations", {"SELECT"}},
                     {"principals", {"SELECT", "INSERT", "UPDATE"}},
                     {"audit_log", {"INSERT"}}}};
}

absl::StatusOr<Principal> PrincipalRepository::Create(
    const std::string& tenant_id, const std::string& principal_id,
    const std::string& name, const nlohmann::json& mappings,
    const std::string& token_hash_hex, const std::string& token_prefix,
    const std::string& actor) {
  Principal principal;
  RETURN_IF_ERROR(
      pool_.WithTenantTransaction(tenant_id, [&](PgTxn& txn) -> absl::Status {
        try {
          principal =
              FromRow(txn.Exec1(kInsert, tenant_id, principal_id, name,
                                mappings.dump(), token_hash_hex, token_prefix));
        } catch (const pqxx::unique_violation&) {
          return absl::AlreadyExistsError(absl::StrCat(
              "principal_id: '", principal_id, "' already exists"));
        }
        Audit(txn, tenant_id, "principal_created", actor, principal_id);
        return absl::OkStatus();
      }));
  return principal;
}

absl::StatusOr<Principal> PrincipalRepository::FindByTokenHash(
    const std::string& tenant_id, const std::string& token_hash_hex) {
  Principal principal;
  RETURN_IF_ERROR(
      pool_.WithTenantTransaction(tenant_id, [&](PgTxn& txn) -> absl::Status {
        const pqxx::result rows =
            txn.Exec(kByTokenHash, tenant_id, token_hash_hex);
        if (rows.empty())
          return absl::UnauthenticatedError("invalid or revoked token");
        principal = FromRow(rows[0]);
        return absl::OkStatus();
      }));
  return principal;
}

absl::StatusOr<std::vector<Principal>> PrincipalRepository::List(
    const std::string& tenant_id, const std::string& after_principal_id,
    int limit, bool include_revoked) {
  std::vector<Principal> principals;
  RETURN_IF_ERROR(pool_.WithTenantTransaction(tenant_id, [&](PgTxn& txn) {
    for (const auto& row : txn.Exec(kList, tenant_id, after_principal_id, limit,
                                    include_revoked)) {
      principals.push_back(FromRow(row));
    }
    return absl::OkStatus();
  }));
  return principals;
}

absl::StatusOr<Principal> PrincipalRepository::ReplaceToken(
    const std::string& tenant_id, const std::string& principal_id,
    const std::string& token_hash_hex, const std::string& token_prefix,
    const std::string& actor) {
  Principal principal;
  RETURN_IF_ERROR(
      pool_.WithTenantTransaction(tenant_id, [&](PgTxn& txn) -> absl::Status {
        const pqxx::result rows =
            txn.Exec(kReplaceToken, tenant_id, principal_id, token_hash_hex,
                     token_prefix);
        if (rows.empty()) {
          if (txn.Exec(kSelectOne, tenant_id, principal_id).empty()) {
            return PrincipalNotFound();
          }
          return absl::FailedPreconditionError(
              "principal is revoked; create a new one");
        }
        principal = FromRow(rows[0]);
        Audit(txn, tenant_id, "principal_token_rotated", actor, principal_id);
        return absl::OkStatus();
      }));
  return principal;
}

absl::StatusOr<Principal> PrincipalRepository::Revoke(
    const std::string& tenant_id, const std::string& principal_id,
    const std::string& actor) {
  Principal principal;
  RETURN_IF_ERROR(
      pool_.WithTenantTransaction(tenant_id, [&](PgTxn& txn) -> absl::Status {
        const pqxx::result revoked = txn.Exec(kRevoke, tenant_id, principal_id);
        if (!revoked.empty()) {
          principal = FromRow(revoked[0]);
          Audit(txn, tenant_id, "principal_revoked", actor, principal_id);
          return absl::OkStatus();
        }
        const pqxx::result existing =
            txn.Exec(kSelectOne, tenant_id, principal_id);
        if (existing.empty()) return PrincipalNotFound();
        principal = FromRow(existing[0]);
        return absl::OkStatus();
      }));
  return principal;
}

absl::Status PrincipalRepository::RecordUses(const std::vector<Use>& uses) {
  std::map<std::string, std::vector<const Use*>> by_tenant;
  for (const Use& use : uses) by_tenant[use.tenant_id].push_back(&use);
  absl::Status result;
  for (const auto& [tenant_id, tenant_uses] : by_tenant) {
    result.Update(pool_.WithTenantTransaction(tenant_id, [&](PgTxn& txn) {
      for (const Use* use : tenant_uses) {
        txn.Exec0(kTouch, tenant_id, use->principal_id,
                  absl::ToUnixMicros(use->at));
      }
      return absl::OkStatus();
    }));
  }
  return result;
}

}  // namespace adcp::auth
