#include "tools/migrate/multi_tenant_migration.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "db/builtin_migrations.h"
#include "libs/base/identifiers.h"
#include "libs/base/log.h"
#include "libs/base/status.h"
#include "libs/db/migrations.h"
#include "libs/db/pg_pool.h"
#include "libs/tenancy/tenant_config.h"

namespace adcp::migrate {
namespace {

// The single-tenant tables, parents first.
const char* const kLegacyTables[] = {"principals", "creatives", "media_buys",
                                     "human_tasks"};
constexpr char kLegacySchema[] = "adcp_single_tenant";
// Shared with no other lock of the suite ("ADCPMTMG").
constexpr long long kLockKey = 0x4144'4350'4d54'4d47LL;

bool PrincipalsHasTenantId(pqxx::work& txn) {
  return txn
      .exec1(
          "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE "
          "table_schema = 'public' AND table_name = 'principals' AND "
          "column_name = 'tenant_id')")[0]
      .as<bool>();
}

bool HasPrincipals(pqxx::work& txn) {
  return txn.exec1("SELECT to_regclass('public.principals') IS NOT NULL")[0]
      .as<bool>();
}

// Columns of the legacy table that the new table has too, in order.
std::vector<std::string> SharedColumns(pqxx::work& txn,
                                       const std::string& table) {
  std::vector<std::string> columns;
  for (const auto& row : txn.exec_params(
           "SELECT l.column_name FROM information_schema.columns l JOIN "
           "information_schema.columns n ON n.table_schema = 'public' AND "
           "n.table_name = l.table_name AND n.column_name = l.column_name "
           "WHERE l.table_schema = $1 AND l.table_name = $2 ORDER BY "
           "l.ordinal_position",
           kLegacySchema, table)) {
    columns.push_back(txn.quote_name(row[0].as<std::string>()));
  }
  return columns;
}

}  // namespace

absl::StatusOr<bool> IsSingleTenantSchema(const std::string& conninfo) {
  try {
    pqxx::connection connection(conninfo);
    pqxx::work txn(connection);
    return HasPrincipals(txn) && !PrincipalsHasTenantId(txn);
  } catch (const std::exception& e) {
    return PgExceptionToStatus(e);
  }
}

absl::StatusOr<MultiTenantMigrationReport> MigrateToMultiTenant(
    const std::string& conninfo, const MultiTenantMigrationOptions& options) {
  const std::string subdomain =
      options.subdomain.empty() ? options.tenant_id : options.subdomain;
  if (!IsDnsLabel(options.tenant_id))
    return absl::InvalidArgumentError(
        "default tenant id: expected a lowercase DNS label");
  if (!IsDnsLabel(subdomain))
    return absl::InvalidArgumentError(
        "subdomain: expected a lowercase DNS label");
  if (options.name.empty()) return absl::InvalidArgumentError("name: required");
  // The document as the registry stores it: merged over {} (nulls dropped)
  // and valid as a TenantConfig.
  const nlohmann::json config =
      DeepMerge(nlohmann::json::object(), options.config);
  if (auto parsed = ParseConfigDocument(config); !parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("legacy config: ", parsed.status().message()));
  }

  MultiTenantMigrationReport report;
  try {
    pqxx::connection connection(conninfo);
    pqxx::work txn(connection);
    txn.exec_params("SELECT pg_advisory_xact_lock($1)", kLockKey);
    if (!HasPrincipals(txn)) {
      return absl::FailedPreconditionError(
          "no single-tenant schema here (there is no principals table)");
    }
    if (PrincipalsHasTenantId(txn)) {
      report.schema_version =
          txn.exec1(
                 "SELECT COALESCE(max(version), 0) FROM schema_migrations")[0]
              .as<int>();
      return report;  // already multi-tenant: nothing to do
    }

    // Set the single-tenant tables aside (their indexes and constraints go
    // with them), then build the multi-tenant schema beside them.
    txn.exec0(absl::StrCat("CREATE SCHEMA ", kLegacySchema));
    for (const char* table : kLegacyTables) {
      txn.exec0(absl::StrCat("ALTER TABLE public.", txn.quote_name(table),
                             " SET SCHEMA ", kLegacySchema));
    }
    ASSIGN_OR_RETURN(
        const MigrationReport migrations,
        ApplyAllMigrationsIn(txn, db::BuiltinMigrations(), options.roles));
    report.schema_version = migrations.version;

    // The default tenant, then every row under it (row-level security lets
    // this transaction write only that tenant's rows).
    RETURN_IF_ERROR(SetTransactionTenant(txn, options.tenant_id));
    txn.exec_params(
        "INSERT INTO tenants (tenant_id, name, subdomain, config) VALUES ($1, "
        "$2, $3, $4::jsonb)",
        options.tenant_id, options.name, subdomain, config.dump());
    for (const char* table : kLegacyTables) {
      const std::vector<std::string> columns = SharedColumns(txn, table);
      const std::string list = absl::StrJoin(columns, ", ");
      const pqxx::result inserted = txn.exec_params(
          absl::StrCat("INSERT INTO public.", txn.quote_name(table),
                       " (tenant_id, ", list, ") SELECT $1, ", list, " FROM ",
                       kLegacySchema, ".", txn.quote_name(table)),
          options.tenant_id);
      const int64_t legacy =
          txn.exec1(absl::StrCat("SELECT count(*) FROM ", kLegacySchema, ".",
                                 txn.quote_name(table)))[0]
              .as<int64_t>();
      if (static_cast<int64_t>(inserted.affected_rows()) != legacy) {
        return absl::InternalError(
            absl::StrCat(table, ": moved ", inserted.affected_rows(), " of ",
                         legacy, " rows; nothing was changed"));
      }
      report.rows[table] = legacy;
    }
    nlohmann::json details = nlohmann::json::object();
    for (const auto& [table, rows] : report.rows) details[table] = rows;
    txn.exec_params(
        "INSERT INTO audit_log (tenant_id, operation, principal_id, "
        "adapter_id, success, details) VALUES ($1, "
        "'migrated_from_single_tenant', 'system', 'system', true, $2::jsonb)",
        options.tenant_id, nlohmann::json{{"rows", details}}.dump());
    txn.exec0(absl::StrCat("DROP SCHEMA ", kLegacySchema, " CASCADE"));
    txn.commit();
    report.migrated = true;
  } catch (const pqxx::sql_error& e) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the move to the multi-tenant schema failed and changed nothing: ",
        e.what()));
  } catch (const std::exception& e) {
    return PgExceptionToStatus(e);
  }
  return report;
}

}  // namespace adcp::migrate
