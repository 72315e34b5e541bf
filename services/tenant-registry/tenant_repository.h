// All SQL of the tenant registry. Reads of `tenants` run without a tenant
// (the table is platform data); every write runs in a tenant transaction so
// that its audit_log row passes row-level security.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "adcp/tenant/v1/tenant_registry.pb.h"
#include "libs/db/pg_pool.h"
#include "libs/db/service_role.h"

namespace adcp::tenant_registry {

using ::adcp::tenant::v1::AuditEvent;
using ::adcp::tenant::v1::Tenant;

struct NewTenant {
  std::string tenant_id;
  std::string name;
  std::string subdomain;
  std::string virtual_host;  // empty: none
  nlohmann::json config;     // a validated document
  std::string billing_plan;
  std::string billing_contact;  // empty: none
  // Inactive and uninitialized until CompleteInitialization.
  bool pending_initialization = false;
};

struct TenantChanges {
  std::optional<std::string> name;
  std::optional<std::string> billing_plan;
  std::optional<std::string> billing_contact;  // "" clears
  std::optional<std::string> virtual_host;     // "" clears
  std::optional<bool> is_active;
};

// Given the stored document, returns the new (validated) one or an error.
using ConfigEdit = std::function<absl::StatusOr<nlohmann::json>(
    const nlohmann::json& current)>;

class TenantRepository {
 public:
  // The prepared statements this repository needs on every connection.
  static PgPool::Statements Statements();
  // The hard delete's statements, on the purge role's connections.
  static PgPool::Statements PurgeStatements();
  // What the registry's role may do: tenants, reading and adding audit rows.
  static RolePrivileges Privileges();
  // What the purge role may do: run purge_tenant and audit_chain_head, add
  // tombstones. Nothing else of the registry uses it.
  static RolePrivileges PurgePrivileges();

  // `actor` is recorded in the audit log as principal_id.
  // `audit_signing_key` signs the tombstone of a hard delete. `purge_pool`
  // (PurgeStatements, the purge role) runs Purge; without one, Purge is
  // FAILED_PRECONDITION.
  TenantRepository(PgPool& pool, PgPool* purge_pool,
                   std::string audit_signing_key)
      : pool_(pool),
        purge_pool_(purge_pool),
        audit_signing_key_(std::move(audit_signing_key)) {}

  // ALREADY_EXISTS naming tenant_id, subdomain or virtual_host when taken.
  absl::StatusOr<Tenant> Create(const NewTenant& tenant,
                                const std::string& actor);
  absl::StatusOr<Tenant> Get(const std::string& tenant_id);
  absl::StatusOr<Tenant> FindBySubdomain(const std::string& subdomain);
  absl::StatusOr<Tenant> FindByVirtualHost(const std::string& virtual_host);
  // Tenants ordered by tenant_id, after `after_tenant_id` ("" for the start).
  absl::StatusOr<std::vector<Tenant>> List(const std::string& after_tenant_id,
                                           int limit);
  // Locks the row, applies `edit` to the stored document, stores the result.
  absl::StatusOr<Tenant> EditConfig(const std::string& tenant_id,
                                    const ConfigEdit& edit,
                                    const std::string& actor);
  absl::StatusOr<Tenant> SetActive(const std::string& tenant_id, bool is_active,
                                   const std::string& actor);
  absl::StatusOr<Tenant> Update(const std::string& tenant_id,
                                const TenantChanges& changes,
                                const std::string& actor);
  // Marks an uninitialized tenant initialized and active, once; returns the
  // tenant either way. NOT_FOUND for an unknown tenant.
  absl::StatusOr<Tenant> CompleteInitialization(const std::string& tenant_id,
                                                const std::string& actor);
  // Deletes every row of the tenant (purge_tenant), the tenant included, and
  // leaves a signed tombstone (who, when, rows per table, the audit chain's
  // final length and head) in the same transaction; rows removed per table.
  // NOT_FOUND for an unknown tenant; FAILED_PRECONDITION without a purge
  // pool.
  absl::StatusOr<std::map<std::string, int64_t>> Purge(
      const std::string& tenant_id, const std::string& actor);
  // Audit rows of the tenant with audit_id < `before_id` (0: from the newest),
  // newest first. NOT_FOUND for an unknown tenant.
  absl::StatusOr<std::vector<AuditEvent>> ListAudit(
      const std::string& tenant_id, int64_t before_id, int limit);

 private:
  PgPool& pool_;
  PgPool* const purge_pool_;
  const std::string audit_signing_key_;
};

}  // namespace adcp::tenant_registry
