#include "services/tenant-registry/tenant_repository.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/base/log.h"
#include "libs/base/status.h"
#include "libs/tenancy/audit_chain.h"

namespace adcp::tenant_registry {
namespace {

// Column list shared by every statement that returns a tenant; FromRow reads
// it by position.
#define TENANT_COLUMNS                                                     \
  "tenant_id, name, subdomain, COALESCE(virtual_host, ''), config::text, " \
  "is_active, "                                                            \
  "billing_plan, COALESCE(billing_contact, ''), "                          \
  "(extract(epoch FROM created_at) * 1000000)::bigint, "                   \
  "(extract(epoch FROM updated_at) * 1000000)::bigint, "                   \
  "initialized_at IS NOT NULL"

constexpr char kInsert[] = "tenant_insert";
constexpr char kSelectById[] = "tenant_select_by_id";
constexpr char kSelectBySubdomain[] = "tenant_select_by_subdomain";
constexpr char kSelectByVirtualHost[] = "tenant_select_by_virtual_host";
constexpr char kList[] = "tenant_list";
constexpr char kLockConfig[] = "tenant_lock_config";
constexpr char kUpdateConfig[] = "tenant_update_config";
constexpr char kSetActive[] = "tenant_set_active";
constexpr char kCompleteInit[] = "tenant_complete_initialization";
constexpr char kPurge[] = "tenant_purge";
constexpr char kChainHead[] = "tenant_audit_chain_head";
constexpr char kTombstone[] = "tenant_tombstone_insert";
constexpr char kUpdateFields[] = "tenant_update_fields";
constexpr char kInsertAudit[] = "audit_insert";
constexpr char kListAudit[] = "audit_list";

Tenant FromRow(const pqxx::row& row) {
  Tenant tenant;
  tenant.set_tenant_id(row[0].as<std::string>());
  tenant.set_name(row[1].as<std::string>());
  tenant.set_subdomain(row[2].as<std::string>());
  tenant.set_virtual_host(row[3].as<std::string>());
  google::protobuf::util::JsonParseOptions options;
  // A document stored by an older build may hold keys this one dropped; the
  // tenant must stay readable (and fixable) regardless.
  options.ignore_unknown_fields = true;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      row[4].as<std::string>(), tenant.mutable_config(), options);
  if (!parsed.ok()) {
    log::Error(
        "stored tenant config does not parse",
        {{"tenant_id", tenant.tenant_id()}, {"error", parsed.ToString()}});
  }
  tenant.set_is_active(row[5].as<bool>());
  tenant.set_billing_plan(row[6].as<std::string>());
  tenant.set_billing_contact(row[7].as<std::string>());
  *tenant.mutable_created_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
          row[8].as<int64_t>());
  *tenant.mutable_updated_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
          row[9].as<int64_t>());
  tenant.set_initialized(row[10].as<bool>());
  return tenant;
}

// An uninitialized tenant cannot be activated (tenants_active_only_when_
// initialized).
absl::Status NotInitialized() {
  return absl::FailedPreconditionError(
      "is_active: the tenant's initialization has not completed");
}

std::optional<std::string> NullIfEmpty(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

absl::Status TenantNotFound() {
  return absl::NotFoundError("tenant not found");
}

void Audit(PgTxn& txn, const std::string& tenant_id, const char* operation,
           const std::string& actor, const nlohmann::json& details) {
  txn.Exec0(kInsertAudit, tenant_id, operation, actor, details.dump());
}

absl::StatusOr<Tenant> SelectOne(PgPool& pool, const char* statement,
                                 const std::string& key) {
  Tenant tenant;
  RETURN_IF_ERROR(pool.WithTransaction([&](PgTxn& txn) -> absl::Status {
    const pqxx::result rows = txn.Exec(statement, key);
    if (rows.empty()) return TenantNotFound();
    tenant = FromRow(rows[0]);
    return absl::OkStatus();
  }));
  return tenant;
}

// Maps a unique violation on tenants to the field that collided.
absl::Status TakenField(const pqxx::unique_violation& e,
                        const std::string& tenant_id,
                        const std::string& subdomain) {
  const std::string constraint = ViolatedConstraint(e);
  if (constraint == "tenants_subdomain_key") {
    return absl::AlreadyExistsError(
        absl::StrCat("subdomain: '", subdomain, "' is already taken"));
  }
  if (constraint == "tenants_virtual_host_key") {
    return absl::AlreadyExistsError("virtual_host: already in use");
  }
  if (constraint == "tenants_pkey") {
    return absl::AlreadyExistsError(
        absl::StrCat("tenant_id: '", tenant_id, "' already exists"));
  }
  return absl::AlreadyExistsError("tenant already exists");
}

}  // namespace

PgPool::Statements TenantRepository::Statements() {
  return {
      {kInsert,
       "INSERT INTO tenants (tenant_id, name, subdomain, virtual_host, config, "
       "billing_plan, billing_contact, is_active, initialized_at) VALUES ($1, "
       "$2, $3, $4, $5::jsonb, $6, $7, $8, CASE WHEN $8 THEN now() END) "
       "RETURNING " TENANT_COLUMNS},
      {kCompleteInit,
       "UPDATE tenants SET initialized_at = now(), is_active = true, "
       "updated_at = now() WHERE tenant_id = $1 AND initialized_at IS NULL "
       "RETURNING " TENANT_COLUMNS},
      {kSelectById,
       "SELECT " TENANT_COLUMNS " FROM tenants WHERE tenant_id = $1"},
      {kSelectBySubdomain,
       "SELECT " TENANT_COLUMNS " FROM tenants WHERE subdomain = $1"},
      {kSelectByVirtualHost,
       "SELECT " TENANT_COLUMNS " FROM tenants WHERE virtual_host = $1"},
      {kList, "SELECT " TENANT_COLUMNS
              " FROM tenants WHERE tenant_id > $1 ORDER BY tenant_id LIMIT $2"},
      {kLockConfig,
       "SELECT config::text FROM tenants WHERE tenant_id = $1 FOR UPDATE"},
      {kUpdateConfig,
       "UPDATE tenants SET config = $2::jsonb, updated_at = now() WHERE "
       "tenant_id = $1 "
       "RETURNING " TENANT_COLUMNS},
      {kSetActive,
       "UPDATE tenants SET is_active = $2, updated_at = now() WHERE tenant_id "
       "= $1 "
       "RETURNING " TENANT_COLUMNS},
      // $N::text IS NULL keeps the column; '' clears a nullable one.
      {kUpdateFields,
       "UPDATE tenants SET name = COALESCE($2, name), "
       "billing_plan = COALESCE($3, billing_plan), "
       "billing_contact = CASE WHEN $4::text IS NULL THEN billing_contact "
       "                       ELSE NULLIF($4, '') END, "
       "virtual_host = CASE WHEN $5::text IS NULL THEN virtual_host ELSE "
       "NULLIF($5, '') END, "
       "is_active = COALESCE($6, is_active), "
       "updated_at = now() WHERE tenant_id = $1 RETURNING " TENANT_COLUMNS},
      {kListAudit,
       "SELECT audit_id, tenant_id, (extract(epoch FROM occurred_at) * "
       "1000000)::bigint, "
       "operation, principal_id, COALESCE(adapter_id, ''), success, "
       "details::text "
       "FROM audit_log WHERE tenant_id = $1 AND ($2::bigint = 0 OR audit_id < "
       "$2::bigint) "
       "ORDER BY audit_id DESC LIMIT $3"},
      {kInsertAudit,
       "INSERT INTO audit_log (tenant_id, operation, principal_id, adapter_id, "
       "success, details) "
       "VALUES ($1, $2, $3, 'system', true, $4::jsonb)"},
  };
}

PgPool::Statements TenantRepository::PurgeStatements() {
  return {
      {kPurge, "SELECT table_name, deleted FROM purge_tenant($1)"},
      {kChainHead, "SELECT seq, encode(head, 'hex') FROM audit_chain_head($1)"},
      {kTombstone,
       "INSERT INTO tenant_tombstones (purged_tenant_id, purged_at, "
       "purged_by, deleted_rows, audit_chain_length, audit_chain_head, "
       "signature) VALUES ($1, 'epoch'::timestamptz + $2 * interval "
       "'1 microsecond', $3, $4::jsonb, $5, decode($6, 'hex'), "
       "decode($7, 'hex'))"},
  };
}

RolePrivileges TenantRepository::Privileges() {
  return {.service = "tenant-registry",
          .tables = {{"schema_migrations", {"SELECT"}},
                     {"tenants", {"SELECT", "INSERT", "UPDATE"}},
                     {"audit_log", {"SELECT", "INSERT"}}}};
}

RolePrivileges TenantRepository::PurgePrivileges() {
  return {.service = "the tenant-registry's hard delete",
          .tables = {{"schema_migrations", {"SELECT"}},
                     {"tenant_tombstones", {"INSERT"}}},
          .functions = {"purge_tenant", "audit_chain_head"}};
}

absl::StatusOr<Tenant> TenantRepository::Create(const NewTenant& input,
                                                const std::string& actor) {
  Tenant tenant;
  RETURN_IF_ERROR(pool_.WithTenantTransaction(input.tenant_id, [&](PgTxn& txn) {
    try {
      tenant = FromRow(
          txn.Exec1(kInsert, input.tenant_id, input.name, input.subdomain,
                    NullIfEmpty(input.virtual_host), input.config.dump(),
                    input.billing_plan, NullIfEmpty(input.billing_contact),
                    !input.pending_initialization));
    } catch (const pqxx::unique_violation& e) {
      return TakenField(e, input.tenant_id, input.subdomain);
    }
    Audit(txn, input.tenant_id, "tenant_created", actor,
          {{"tenant_name", input.name},
           {"subdomain", input.subdomain},
           {"pending_initialization", input.pending_initialization}});
    return absl::OkStatus();
  }));
  return tenant;
}

absl::StatusOr<Tenant> TenantRepository::Get(const std::string& tenant_id) {
  return SelectOne(pool_, kSelectById, tenant_id);
}

absl::StatusOr<Tenant> TenantRepository::FindBySubdomain(
    const std::string& subdomain) {
  return SelectOne(pool_, kSelectBySubdomain, subdomain);
}

absl::StatusOr<Tenant> TenantRepository::FindByVirtualHost(
    const std::string& virtual_host) {
  return SelectOne(pool_, kSelectByVirtualHost, virtual_host);
}

absl::StatusOr<std::vector<Tenant>> TenantRepository::List(
    const std::string& after_tenant_id, int limit) {
  std::vector<Tenant> tenants;
  RETURN_IF_ERROR(pool_.WithTransaction([&](PgTxn& txn) {
    for (const auto& row : txn.Exec(kList, after_tenant_id, limit)) {
      tenants.push_back(FromRow(row));
    }
    return absl::OkStatus();
  }));
  return tenants;
}

absl::StatusOr<Tenant> TenantRepository::EditConfig(
    const std::string& tenant_id, const ConfigEdit& edit,
    const std::string& actor) {
  Tenant tenant;
  RETURN_IF_ERROR(
      pool_.WithTenantTransaction(tenant_id, [&](PgTxn& txn) -> absl::Status {
        const pqxx::result current = txn.Exec(kLockConfig, tenant_id);
        if (current.empty()) return TenantNotFound();
        ASSIGN_OR_RETURN(
            const nlohmann::json updated,
            edit(nlohmann::json::parse(current[0][0].as<std::string>())));
        tenant = FromRow(txn.Exec1(kUpdateConfig, tenant_id, updated.dump()));
        Audit(txn, tenant_id, "tenant_config_updated", actor,
              nlohmann::json::object());
        return absl::OkStatus();
      }));
  return tenant;
}

absl::StatusOr<Tenant> TenantRepository::SetActive(const std::string& tenant_id,
                                                   bool is_active,
                                                   const std::string& actor) {
  Tenant tenant;
  RETURN_IF_ERROR(
      pool_.WithTenantTransaction(tenant_id, [&](PgTxn& txn) -> absl::Status {
        pqxx::result rows;
        try {
          rows = txn.Exec(kSetActive, tenant_id, is_active);
        } catch (const pqxx::check_violation&) {
          return NotInitialized();
        }
        if (rows.empty()) return TenantNotFound();
        tenant = FromRow(rows[0]);
        Audit(txn, tenant_id,
              is_active ? "tenant_activated" : "tenant_deactivated", actor,
              nlohmann::json::object());
        return absl::OkStatus();
      }));
  return tenant;
}

absl::StatusOr<Tenant> TenantRepository::Update(const std::string& tenant_id,
                                                const TenantChanges& changes,
                                                const std::string& actor) {
  Tenant tenant;
  RETURN_IF_ERROR(
      pool_.WithTenantTransaction(tenant_id, [&](PgTxn& txn) -> absl::Status {
        pqxx::result rows;
        try {
          rows = txn.Exec(kUpdateFields, tenant_id, changes.name,
                          changes.billing_plan, changes.billing_contact,
                          changes.virtual_host, changes.is_active);
        } catch (const pqxx::unique_violation& e) {
          return TakenField(e, tenant_id, "");
        } catch (const pqxx::check_violation&) {
          return NotInitialized();
        }
        if (rows.empty()) return TenantNotFound();
        tenant = FromRow(rows[0]);
        nlohmann::json fields = nlohmann::json::array();
        if (changes.name) fields.push_back("name");
        if (changes.billing_plan) fields.push_back("billing_plan");
        if (changes.billing_contact) fields.push_back("billing_contact");
        if (changes.virtual_host) fields.push_back("virtual_host");
        if (changes.is_active) fields.push_back("is_active");
        if (!fields.empty() && !(fields.size() == 1 && changes.is_active)) {
          Audit(txn, tenant_id, "tenant_updated", actor, {{"fields", fields}});
        }
        if (changes.is_active) {
          Audit(txn, tenant_id,
                *changes.is_active ? "tenant_activated" : "tenant_deactivated",
                actor, nlohmann::json::object());
        }
        return absl::OkStatus();
      }));
  return tenant;
}

absl::StatusOr<Tenant> TenantRepository::CompleteInitialization(
    const std::string& tenant_id, const std::string& actor) {
  std::optional<Tenant> completed;
  RETURN_IF_ERROR(
      pool_.WithTenantTransaction(tenant_id, [&](PgTxn& txn) -> absl::Status {
        const pqxx::result rows = txn.Exec(kCompleteInit, tenant_id);
        if (rows.empty()) return absl::OkStatus();
        completed = FromRow(rows[0]);
        Audit(txn, tenant_id, "tenant_initialized", actor,
              nlohmann::json::object());
        return absl::OkStatus();
      }));
  if (completed) return *completed;
  return Get(tenant_id);  // initialized before, or NOT_FOUND
}

absl::StatusOr<std::map<std::string, int64_t>> TenantRepository::Purge(
    const std::string& tenant_id, const std::string& actor) {
  Tombstone tombstone{.tenant_id = tenant_id,
                      .purged_at_micros = absl::ToUnixMicros(absl::Now()),
                      .purged_by = actor};
  if (purge_pool_ == nullptr) {
    return absl::FailedPreconditionError(
        "hard delete is not configured: the registry needs DATABASE_PURGE_URL "
        "(the purge role's connection, docs/security.md)");
  }
  RETURN_IF_ERROR(purge_pool_->WithTransaction([&](PgTxn& txn) -> absl::Status {
    const pqxx::row head = txn.Exec1(kChainHead, tenant_id);
    tombstone.audit_chain_length = head[0].as<int64_t>();
    tombstone.audit_chain_head_hex = head[1].as<std::string>();
    tombstone.deleted_rows.clear();  // a retried transaction starts over
    for (const auto& row : txn.Exec(kPurge, tenant_id))
      tombstone.deleted_rows[row[0].as<std::string>()] = row[1].as<int64_t>();
    if (tombstone.deleted_rows.empty()) return TenantNotFound();
    nlohmann::json deleted = tombstone.deleted_rows;
    txn.Exec0(kTombstone, tenant_id, tombstone.purged_at_micros, actor,
              deleted.dump(), tombstone.audit_chain_length,
              tombstone.audit_chain_head_hex,
              SignTombstone(tombstone, audit_signing_key_));
    return absl::OkStatus();
  }));
  return tombstone.deleted_rows;
}

absl::StatusOr<std::vector<AuditEvent>> TenantRepository::ListAudit(
    const std::string& tenant_id, int64_t before_id, int limit) {
  RETURN_IF_ERROR(Get(tenant_id).status());
  std::vector<AuditEvent> events;
  RETURN_IF_ERROR(pool_.WithTenantTransaction(tenant_id, [&](PgTxn& txn) {
    for (const auto& row : txn.Exec(kListAudit, tenant_id, before_id, limit)) {
      AuditEvent& event = events.emplace_back();
      event.set_audit_id(row[0].as<int64_t>());
      event.set_tenant_id(row[1].as<std::string>());
      *event.mutable_occurred_at() =
          google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
              row[2].as<int64_t>());
      event.set_operation(row[3].as<std::string>());
      event.set_principal_id(row[4].as<std::string>());
      event.set_adapter_id(row[5].as<std::string>());
      event.set_success(row[6].as<bool>());
      (void)google::protobuf::util::JsonStringToMessage(
          row[7].as<std::string>(), event.mutable_details());
    }
    return absl::OkStatus();
  }));
  return events;
}

}  // namespace adcp::tenant_registry
