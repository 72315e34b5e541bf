// The move of a single-tenant deployment's database to the multi-tenant
// schema (seed section 10), in one transaction: the single-tenant tables
// (db/legacy/single_tenant_schema.sql) are set aside, the builtin migrations
// create the multi-tenant schema (tenant_id on every table, composite keys,
// indexes, row-level security), the default tenant is created from the
// legacy configuration, every row is copied into it with its tenant_id, the
// counts are checked, and the old tables are dropped. On a database that is
// already multi-tenant it changes nothing.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "libs/db/migrations.h"

namespace adcp::migrate {

struct MultiTenantMigrationOptions {
  std::string tenant_id = "default";
  std::string name = "Default Publisher";
  std::string subdomain;  // the tenant id when empty
  // The single-tenant deployment's configuration: a TenantConfig document
  // (adapters, creative_engine, features, branding), validated as such.
  nlohmann::json config = nlohmann::json::object();
  // The roles the migrations grant to.
  MigrationOptions roles;
};

struct MultiTenantMigrationReport {
  bool migrated = false;  // false: already multi-tenant, nothing was done
  std::map<std::string, int64_t> rows;  // table -> rows moved
  int schema_version = 0;
};

// Whether the database holds the single-tenant schema (principals without
// tenant_id), which the ordinary migrations must not run on.
absl::StatusOr<bool> IsSingleTenantSchema(const std::string& conninfo);

// `conninfo` connects as the owner role.
absl::StatusOr<MultiTenantMigrationReport> MigrateToMultiTenant(
    const std::string& conninfo, const MultiTenantMigrationOptions& options);

}  // namespace adcp::migrate
