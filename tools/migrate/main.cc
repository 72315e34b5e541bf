// adcp-migrate: applies the builtin SQL migrations. Connects as the owner
// role (DATABASE_URL). The roles it grants to: DB_REGISTRY_ROLE
// (adcp_registry), DB_AUTH_ROLE (adcp_auth), DB_MEDIA_BUY_ROLE
// (adcp_media_buy), DB_PURGE_ROLE (adcp_purge: the registry's hard delete),
// and DB_APP_ROLE (adcp_app: the role the services once shared, which the
// first migrations grant to and 0011 strips; it must exist). Every one must
// exist before the run (docs/security.md).
//
//   adcp-migrate
//   adcp-migrate --to-multi-tenant --config FILE [--default-tenant ID]
//                [--name NAME] [--subdomain SUBDOMAIN]
//
// The second form moves a single-tenant deployment's database to the
// multi-tenant schema (seed section 10): the default tenant (id "default"
// unless given) is created from FILE, the single-tenant configuration as a
// JSON document, and every row becomes that tenant's, in one transaction.
// Running it again changes nothing.
#include <fstream>
#include <iostream>
#include <sstream>

#include "db/builtin_migrations.h"
#include "libs/base/env.h"
#include "libs/base/log.h"
#include "libs/db/migrations.h"
#include "tools/migrate/multi_tenant_migration.h"

namespace {

int Usage() {
  std::cerr << "usage: adcp-migrate [--to-multi-tenant --config FILE "
               "[--default-tenant ID] [--name NAME] [--subdomain SUBDOMAIN]]\n";
  return 2;
}

adcp::MigrationOptions RolesFromEnv() {
  adcp::MigrationOptions roles;
  const std::pair<std::string*, const char*> settings[] = {
      {&roles.app_role, "DB_APP_ROLE"},
      {&roles.registry_role, "DB_REGISTRY_ROLE"},
      {&roles.auth_role, "DB_AUTH_ROLE"},
      {&roles.media_buy_role, "DB_MEDIA_BUY_ROLE"},
      {&roles.purge_role, "DB_PURGE_ROLE"}};
  for (const auto& [role, variable] : settings)
    *role = adcp::env::String(variable, *role);
  return roles;
}

}  // namespace

int main(int argc, char** argv) {
  adcp::log::Init("adcp-migrate", adcp::log::Level::kInfo);
  auto url = adcp::env::Required("DATABASE_URL");
  if (!url.ok()) {
    adcp::log::Error("invalid configuration",
                     {{"error", url.status().message()}});
    return 2;
  }
  const adcp::MigrationOptions roles = RolesFromEnv();

  bool to_multi_tenant = false;
  adcp::migrate::MultiTenantMigrationOptions options;
  options.roles = roles;
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      return i + 1 < argc ? argv[++i] : nullptr;
    };
    const char* v = nullptr;
    if (arg == "--to-multi-tenant") {
      to_multi_tenant = true;
    } else if (arg == "--config" && (v = value())) {
      config_path = v;
    } else if (arg == "--default-tenant" && (v = value())) {
      options.tenant_id = v;
    } else if (arg == "--name" && (v = value())) {
      options.name = v;
    } else if (arg == "--subdomain" && (v = value())) {
      options.subdomain = v;
    } else {
      return Usage();
    }
  }

  if (to_multi_tenant) {
    if (config_path.empty()) return Usage();
    std::ifstream file(config_path);
    std::stringstream text;
    text << file.rdbuf();
    options.config = nlohmann::json::parse(text.str(), nullptr, false);
    if (!file || !options.config.is_object()) {
      adcp::log::Error(
          "cannot read the legacy config",
          {{"file", config_path}, {"error", "expected a JSON object"}});
      return 2;
    }
    auto report = adcp::migrate::MigrateToMultiTenant(*url, options);
    if (!report.ok()) {
      adcp::log::Error("migration to multi-tenant failed",
                       {{"error", report.status().ToString()}});
      return 1;
    }
    if (!report->migrated) {
      adcp::log::Info("already multi-tenant; nothing to do",
                      {{"version", report->schema_version}});
      return 0;
    }
    nlohmann::json rows = nlohmann::json::object();
    for (const auto& [table, count] : report->rows) rows[table] = count;
    adcp::log::Info("migrated to multi-tenant",
                    {{"tenant_id", options.tenant_id},
                     {"version", report->schema_version},
                     {"rows", rows.dump()}});
    return 0;
  }

  // The ordinary migrations cannot run over the single-tenant tables.
  auto legacy = adcp::migrate::IsSingleTenantSchema(*url);
  if (legacy.ok() && *legacy) {
    adcp::log::Error(
        "this database holds the single-tenant schema",
        {{"hint",
          "move it first: adcp-migrate --to-multi-tenant --config FILE "
          "(./dev migrate-to-multi-tenant)"}});
    return 1;
  }
  auto report =
      adcp::ApplyMigrations(*url, adcp::db::BuiltinMigrations(), roles);
  if (!report.ok()) {
    adcp::log::Error("migration failed",
                     {{"error", report.status().ToString()}});
    return 1;
  }
  adcp::log::Info("schema up to date",
                  {{"version", report->version}, {"applied", report->applied}});
  return 0;
}
