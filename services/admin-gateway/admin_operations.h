// What a system admin can do, shared by the REST API and the web UI. Request
// documents are JSON; every field is type-checked here (errors name the field)
// and the backends apply the domain rules.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/admin-gateway/backends.h"

namespace adcp::admin_gateway {

using Tenant = ::adcp::tenant::v1::Tenant;
using Principal = ::adcp::auth::v1::Principal;
using SystemAdmin = ::adcp::auth::v1::SystemAdmin;
using SystemAdminToken = ::adcp::auth::v1::SystemAdminToken;
using SystemAdminTokenWithSecret = ::adcp::auth::v1::SystemAdminTokenWithSecret;

struct CreatedTenant {
  std::string tenant_id;
  std::string admin_token;  // the {tenant_id}_admin principal's, shown once
};

struct IssuedToken {
  std::string principal_id;
  std::string access_token;
};

struct AuditPage {
  nlohmann::json events;  // array, newest first
  std::string next_page_token;
};

class AdminOperations {
 public:
  explicit AdminOperations(Backends& backends) : backends_(backends) {}

  // {tenant_id, name, subdomain, config?, billing_plan?, billing_contact?,
  // virtual_host?}: creates and initializes the tenant (TenantInitializer);
  // repeating the request after a failed step resumes it.
  absl::StatusOr<CreatedTenant> CreateTenant(const nlohmann::json& body);
  absl::StatusOr<std::vector<Tenant>> ListTenants();
  // {confirm_tenant_id} (must repeat the id): removes every row of the
  // tenant; rows removed per table.
  absl::StatusOr<std::map<std::string, int64_t>> DeleteTenant(
      const std::string& tenant_id, const nlohmann::json& body);
  absl::StatusOr<Tenant> GetTenant(const std::string& tenant_id);
  // A partial config document, deep-merged and validated by the registry.
  absl::StatusOr<Tenant> UpdateConfig(const std::string& tenant_id,
                                      const nlohmann::json& patch);
  // {name?, is_active?, billing_plan?, billing_contact?}
  absl::StatusOr<Tenant> PatchTenant(const std::string& tenant_id,
                                     const nlohmann::json& body);

  // {name, principal_id?}
  absl::StatusOr<IssuedToken> CreatePrincipal(const std::string& tenant_id,
                                              const nlohmann::json& body);
  absl::StatusOr<std::vector<Principal>> ListPrincipals(
      const std::string& tenant_id);
  absl::StatusOr<IssuedToken> RotateToken(const std::string& tenant_id,
                                          const std::string& principal_id);
  absl::Status RevokePrincipal(const std::string& tenant_id,
                               const std::string& principal_id);

  absl::StatusOr<AuditPage> ListAudit(const std::string& tenant_id,
                                      int page_size,
                                      const std::string& page_token);

  // The tenant's webhook deliveries (media-buy's ListWebhookDeliveries):
  // {deliveries: [...], next_page_token}, newest first. The query's values,
  // checked here before any call (INVALID_ARGUMENT naming the parameter):
  // `status` pending, delivered, expired or "" (all); `page_size` 1 to 100
  // or "" (100); `page_token` a next_page_token (1 to 19 digits) or "".
  absl::StatusOr<nlohmann::json> ListWebhookDeliveries(
      const std::string& tenant_id, const std::string& status,
      const std::string& page_size, const std::string& page_token);

  // Named system admins (auth's SystemAdmins). {admin_id, name, password}
  absl::StatusOr<SystemAdmin> CreateAdmin(const nlohmann::json& body);
  absl::StatusOr<std::vector<SystemAdmin>> ListAdmins(bool include_disabled);
  absl::StatusOr<SystemAdmin> DisableAdmin(const std::string& admin_id);
  // An API token for the acting admin, shown once.
  absl::StatusOr<SystemAdminTokenWithSecret> CreateAdminToken();
  absl::StatusOr<std::vector<SystemAdminToken>> ListAdminTokens(
      const std::string& admin_id, bool include_revoked);
  absl::StatusOr<SystemAdminToken> RevokeAdminToken(
      const std::string& admin_id, const std::string& token_id);
  // Failed sign-ins slow their callers down: auth counts them per key in
  // PostgreSQL, so the delays hold across every gateway replica.
  struct SignInThrottle {
    std::vector<auth::v1::SignInThrottleKey> keys;
    absl::Duration max_delay;
  };
  // A session token for the UI (UNAUTHENTICATED: wrong admin or password;
  // RESOURCE_EXHAUSTED "...; retry after N ms" while a key must wait).
  absl::StatusOr<SystemAdminTokenWithSecret> SignIn(
      const std::string& admin_id, const std::string& password,
      absl::Duration ttl, const SignInThrottle& throttle);
  absl::Status SignOut(const std::string& session_token);

 private:
  Backends& backends_;
};

// An admin mints API tokens only for itself (another admin's token would let
// it act under that admin's name): PERMISSION_DENIED naming admin_id when
// `admin_id` (as a path spells it) is not `caller_admin_id`.
absl::Status CheckMintsForItself(const std::string& admin_id,
                                 const std::string& caller_admin_id);

// The list form of a tenant (GET /system/tenants).
nlohmann::json TenantSummaryJson(const Tenant& tenant);
// The full form, config included (secrets redacted).
nlohmann::json TenantJson(const Tenant& tenant);
nlohmann::json PrincipalJson(const Principal& principal);
nlohmann::json SystemAdminJson(const SystemAdmin& admin);
// Never the token itself: only its id, prefix and dates.
nlohmann::json SystemAdminTokenJson(const SystemAdminToken& token);

}  // namespace adcp::admin_gateway
