// Versioned SQL migrations. Each migration runs in its own transaction and is
// recorded in schema_migrations with a checksum; an applied migration whose
// text has changed is an error. A session advisory lock makes a second
// concurrent run fail fast instead of racing the first.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace adcp {

struct Migration {
  int version = 0;
  std::string name;  // e.g. "0001_tenants.sql"
  std::string sql;
};

// Parses "NNNN_description.sql" into its version; an error names the file.
absl::StatusOr<int> MigrationVersion(std::string_view filename);

// The roles migrations grant to, read in SQL as current_setting('adcp.*').
// Each must exist (roles are cluster objects the operator creates).
struct MigrationOptions {
  // The legacy role every service once shared (adcp.app_role): migrations
  // 0001-0010 grant to it, 0011 revokes it all. Nothing connects as it.
  std::string app_role = "adcp_app";
  // One role per service since 0011 (issue 28).
  std::string registry_role = "adcp_registry";    // adcp.registry_role
  std::string auth_role = "adcp_auth";            // adcp.auth_role
  std::string media_buy_role = "adcp_media_buy";  // adcp.media_buy_role
  // The registry's hard delete only (adcp.purge_role).
  std::string purge_role = "adcp_purge";
};

struct MigrationReport {
  std::vector<std::string> applied;  // names, in order
  int version = 0;                   // schema version after the run
};

// Applies, in version order, every migration newer than the database's.
// `migrations` must have distinct, positive versions.
absl::StatusOr<MigrationReport> ApplyMigrations(
    const std::string& conninfo, std::vector<Migration> migrations,
    const MigrationOptions& options);

// Applies every migration inside the caller's transaction `txn` (the
// database must have none applied yet; schema_migrations is created and
// filled), for steps that must commit together with other work (the move
// from the single-tenant schema).
absl::StatusOr<MigrationReport> ApplyAllMigrationsIn(
    pqxx::work& txn, std::vector<Migration> migrations,
    const MigrationOptions& options);

}  // namespace adcp
