#include "libs/db/service_role.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/base/status.h"

namespace adcp {
namespace {

// Every privilege the role has on a relation of schema public (column
// privileges included; an extension's objects, e.g. pg_stat_statements'
// views, are the extension's business), and CREATE on the schema and the
// database.
constexpr char kRelationPrivileges[] =
    "SELECT c.relname::text, p.privilege "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', "
    "  'TRUNCATE', 'REFERENCES', 'TRIGGER', 'USAGE']) AS p(privilege) "
    "WHERE n.nspname = 'public' "
    "  AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') "
    "  AND NOT EXISTS (SELECT 1 FROM pg_depend d "
    "    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
    "      AND d.deptype = 'e') "
    "  AND CASE WHEN c.relkind = 'S' THEN "
    "         CASE WHEN p.privilege IN ('SELECT', 'UPDATE', 'USAGE') "
    "           THEN has_sequence_privilege(current_user, c.oid, p.privilege) "
    "           ELSE false END "
    "       WHEN p.privilege = 'USAGE' THEN false "
    "       WHEN p.privilege IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES') "
    "         THEN has_any_column_privilege(current_user, c.oid, p.privilege) "
    "       ELSE has_table_privilege(current_user, c.oid, p.privilege) END "
    "UNION ALL SELECT 'schema public', 'CREATE' "
    "  WHERE has_schema_privilege(current_user, 'public', 'CREATE') "
    "UNION ALL SELECT 'database ' || current_database(), 'CREATE' "
    "  WHERE has_database_privilege(current_user, current_database(), "
    "                               'CREATE')";

// The guarded functions (see RolePrivileges::functions) the role may run.
constexpr char kFunctionPrivileges[] =
    "SELECT DISTINCT p.proname::text "
    "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname = 'public' AND p.prorettype <> 'trigger'::regtype "
    "  AND NOT EXISTS (SELECT 1 FROM pg_depend d "
    "    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid "
    "      AND d.deptype = 'e') "
    "  AND (p.prosecdef OR NOT EXISTS ("
    "    SELECT 1 FROM aclexplode(COALESCE(p.proacl, "
    "                                      acldefault('f', p.proowner))) a "
    "    WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')) "
    "  AND has_function_privilege(current_user, p.oid, 'EXECUTE')";

absl::Status CheckRoleAttributes(pqxx::work& txn, std::string& user) {
  const pqxx::row role = txn.exec1(
      "SELECT current_user, r.rolsuper, r.rolbypassrls, "
      "  EXISTS (SELECT 1 FROM pg_class c "
      "          JOIN pg_namespace n ON n.oid = c.relnamespace "
      "          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
      "            AND pg_has_role(current_user, c.relowner, 'USAGE')) "
      "FROM pg_roles r WHERE r.rolname = current_user");
  user = role[0].as<std::string>();
  if (role[1].as<bool>()) {
    return absl::FailedPreconditionError(
        absl::StrCat("database role '", user,
                     "' is a superuser; services must connect as the app role "
                     "of their own service (docs/security.md)"));
  }
  if (role[2].as<bool>()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database role '", user, "' has BYPASSRLS; use the service's role"));
  }
  if (role[3].as<bool>()) {
    return absl::FailedPreconditionError(
        absl::StrCat("database role '", user,
                     "' owns tables (row-level security does not bind "
                     "owners); use the service's role"));
  }
  return absl::OkStatus();
}

absl::Status CheckSchemaVersion(pqxx::work& txn, int min_schema_version) {
  const pqxx::row version =
      txn.exec1("SELECT to_regclass('public.schema_migrations') IS NOT NULL");
  int applied = 0;
  if (version[0].as<bool>()) {
    applied =
        txn.exec1("SELECT COALESCE(max(version), 0) FROM schema_migrations")[0]
            .as<int>();
  }
  if (applied < min_schema_version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database schema is at version ", applied, ", this build needs ",
        min_schema_version, ": run adcp-migrate first"));
  }
  return absl::OkStatus();
}

// "PRIVILEGE on OBJECT" for each grant in `a` that `b` lacks.
std::vector<std::string> Difference(
    const std::map<std::string, std::set<std::string>>& a,
    const std::map<std::string, std::set<std::string>>& b) {
  std::vector<std::string> out;
  for (const auto& [object, privileges] : a) {
    const auto other = b.find(object);
    for (const std::string& privilege : privileges) {
      if (other == b.end() || !other->second.count(privilege))
        out.push_back(absl::StrCat(privilege, " on ", object));
    }
  }
  return out;
}

absl::Status CheckPrivileges(pqxx::work& txn, const std::string& user,
                             const RolePrivileges& expected) {
  std::map<std::string, std::set<std::string>> actual, wanted = expected.tables;
  for (const auto& row : txn.exec(kRelationPrivileges))
    actual[row[0].as<std::string>()].insert(row[1].as<std::string>());
  for (const auto& row : txn.exec(kFunctionPrivileges))
    actual["function " + row[0].as<std::string>()].insert("EXECUTE");
  for (const std::string& function : expected.functions)
    wanted["function " + function].insert("EXECUTE");
  const std::vector<std::string> extra = Difference(actual, wanted);
  if (!extra.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("database role '", user, "' can do more than ",
                     expected.service, " needs: ", absl::StrJoin(extra, ", "),
                     "; give each service its own role (docs/security.md)"));
  }
  const std::vector<std::string> missing = Difference(wanted, actual);
  if (!missing.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("database role '", user, "' lacks what ", expected.service,
                     " needs: ", absl::StrJoin(missing, ", "),
                     "; run adcp-migrate with this role named for ",
                     expected.service, " (docs/security.md)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status VerifyServiceRole(PgPool& pool, int min_schema_version,
                               const RolePrivileges& expected) {
  return pool.WithTransaction([&](pqxx::work& txn) -> absl::Status {
    std::string user;
    RETURN_IF_ERROR(CheckRoleAttributes(txn, user));
    RETURN_IF_ERROR(CheckSchemaVersion(txn, min_schema_version));
    return CheckPrivileges(txn, user, expected);
  });
}

}  // namespace adcp
