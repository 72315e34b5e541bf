// adcp-migrate: applies the builtin SQL migrations. Connects as the owner
// role (DATABASE_URL); DB_APP_ROLE names the role that services use.
#include "adcp/common/env.h"
#include "adcp/common/log.h"
#include "adcp/common/migrations.h"
#include "adcp/db/builtin_migrations.h"

int main() {
  adcp::log::Init("adcp-migrate", adcp::log::Level::kInfo);
  auto url = adcp::env::Required("DATABASE_URL");
  if (!url.ok()) {
    adcp::log::Error("invalid configuration",
                     {{"error", url.status().message()}});
    return 2;
  }
  adcp::MigrationOptions options;
  options.app_role = adcp::env::String("DB_APP_ROLE", "adcp_app");
  auto report =
      adcp::ApplyMigrations(*url, adcp::db::BuiltinMigrations(), options);
  if (!report.ok()) {
    adcp::log::Error("migration failed",
                     {{"error", report.status().ToString()}});
    return 1;
  }
  adcp::log::Info("schema up to date",
                  {{"version", report->version}, {"applied", report->applied}});
  return 0;
}
