#include "services/admin-gateway/admin_operations.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/base/status.h"
#include "libs/grpc/grpc_status.h"
#include "libs/tenancy/tenant_config.h"
#include "services/admin-gateway/tenant_initializer.h"

namespace adcp::admin_gateway {
namespace {

using google::protobuf::util::TimeUtil;
using nlohmann::json;

enum class Type { kString, kBool, kObject };

struct Field {
  const char* name;
  Type type;
  bool required;
};

// The body must be an object holding only `fields`, each of its type.
absl::Status CheckBody(const json& body, std::initializer_list<Field> fields) {
  if (!body.is_object())
    return absl::InvalidArgumentError("body: expected a JSON object");
  for (const auto& [key, value] : body.items()) {
    const Field* field = nullptr;
    for (const Field& f : fields) {
      if (key == f.name) field = &f;
    }
    if (field == nullptr)
      return absl::InvalidArgumentError(absl::StrCat(key, ": unknown field"));
    const bool ok = field->type == Type::kString ? value.is_string()
                    : field->type == Type::kBool ? value.is_boolean()
                                                 : value.is_object();
    if (!ok) {
      const char* expected = field->type == Type::kString ? "a string"
                             : field->type == Type::kBool ? "true or false"
                                                          : "an object";
      return absl::InvalidArgumentError(
          absl::StrCat(key, ": expected ", expected));
    }
  }
  for (const Field& field : fields) {
    if (field.required && !body.contains(field.name)) {
      return absl::InvalidArgumentError(absl::StrCat(field.name, ": required"));
    }
  }
  return absl::OkStatus();
}

std::string StringField(const json& body, const char* name) {
  return body.contains(name) ? body[name].get<std::string>() : std::string();
}

absl::StatusOr<google::protobuf::Struct> ToStruct(const json& object) {
  google::protobuf::Struct value;
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(object.dump(), &value);
  if (!parsed.ok())
    return absl::InvalidArgumentError("config: not representable");
  return value;
}

json StructJson(const google::protobuf::Struct& value) {
  return StructToJson(value);
}

std::string Time(const google::protobuf::Timestamp& timestamp) {
  return TimeUtil::ToString(timestamp);
}

}  // namespace

json TenantSummaryJson(const Tenant& tenant) {
  return {{"tenant_id", tenant.tenant_id()},
          {"name", tenant.name()},
          {"subdomain", tenant.subdomain()},
          {"is_active", tenant.is_active()},
          {"billing_plan", tenant.billing_plan()},
          {"created_at", Time(tenant.created_at())}};
}

json TenantJson(const Tenant& tenant) {
  json out = TenantSummaryJson(tenant);
  out["virtual_host"] = tenant.virtual_host().empty()
                            ? json(nullptr)
                            : json(tenant.virtual_host());
  out["billing_contact"] = tenant.billing_contact().empty()
                               ? json(nullptr)
                               : json(tenant.billing_contact());
  out["updated_at"] = Time(tenant.updated_at());
  // False while a failed initialization awaits a retry of the create call.
  out["initialized"] = tenant.initialized();
  // Adapter credentials are deployment secrets referenced by name, and the
  // config refuses keys that would hold one; whatever is stored is redacted
  // anyway.
  out["config"] = RedactCredentials(ConfigToDocument(tenant.config()));
  return out;
}

json PrincipalJson(const Principal& principal) {
  json out = {{"principal_id", principal.principal_id()},
              {"name", principal.name()},
              {"is_admin", principal.is_admin()},
              {"token_prefix", principal.token_prefix()},
              {"platform_mappings", StructJson(principal.platform_mappings())},
              {"created_at", Time(principal.created_at())},
              {"last_used_at", nullptr},
              {"revoked_at", nullptr}};
  if (principal.has_last_used_at())
    out["last_used_at"] = Time(principal.last_used_at());
  if (principal.has_revoked_at())
    out["revoked_at"] = Time(principal.revoked_at());
  return out;
}

absl::StatusOr<CreatedTenant> AdminOperations::CreateTenant(const json& body) {
  RETURN_IF_ERROR(CheckBody(body, {{"tenant_id", Type::kString, true},
                                   {"name", Type::kString, true},
                                   {"subdomain", Type::kString, true},
                                   {"virtual_host", Type::kString, false},
                                   {"config", Type::kObject, false},
                                   {"billing_plan", Type::kString, false},
                                   {"billing_contact", Type::kString, false}}));
  tenant::v1::CreateTenantRequest request;
  request.set_tenant_id(StringField(body, "tenant_id"));
  request.set_name(StringField(body, "name"));
  request.set_subdomain(StringField(body, "subdomain"));
  request.set_virtual_host(StringField(body, "virtual_host"));
  request.set_billing_plan(StringField(body, "billing_plan"));
  request.set_billing_contact(StringField(body, "billing_contact"));
  if (body.contains("config")) {
    ASSIGN_OR_RETURN(*request.mutable_config(), ToStruct(body["config"]));
  }
  ASSIGN_OR_RETURN(InitializedTenant initialized,
                   TenantInitializer(backends_).Initialize(request));
  return CreatedTenant{.tenant_id = initialized.tenant_id,
                       .admin_token = initialized.admin_token};
}

absl::StatusOr<std::map<std::string, int64_t>> AdminOperations::DeleteTenant(
    const std::string& tenant_id, const nlohmann::json& body) {
  RETURN_IF_ERROR(
      CheckBody(body, {{"confirm_tenant_id", Type::kString, true}}));
  tenant::v1::DeleteTenantRequest request;
  request.set_tenant_id(tenant_id);
  request.set_confirm_tenant_id(StringField(body, "confirm_tenant_id"));
  tenant::v1::DeleteTenantResponse response;
  RETURN_IF_ERROR(FromGrpcStatus(backends_.registry().DeleteTenant(
      backends_.Context().get(), request, &response)));
  return std::map<std::string, int64_t>(response.deleted_rows().begin(),
                                        response.deleted_rows().end());
}

absl::StatusOr<std::vector<Tenant>> AdminOperations::ListTenants() {
  std::vector<Tenant> tenants;
  tenant::v1::ListTenantsRequest request;
  request.set_page_size(1000);
  do {
    tenant::v1::ListTenantsResponse response;
    RETURN_IF_ERROR(FromGrpcStatus(backends_.registry().ListTenants(
        backends_.Context().get(), request, &response)));
    for (auto& tenant : *response.mutable_tenants())
      tenants.push_back(std::move(tenant));
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return tenants;
}

absl::StatusOr<Tenant> AdminOperations::GetTenant(
    const std::string& tenant_id) {
  tenant::v1::GetTenantRequest request;
  request.set_tenant_id(tenant_id);
  Tenant tenant;
  RETURN_IF_ERROR(FromGrpcStatus(backends_.registry().GetTenant(
      backends_.Context().get(), request, &tenant)));
  return tenant;
}

absl::StatusOr<Tenant> AdminOperations::UpdateConfig(
    const std::string& tenant_id, const json& patch) {
  if (!patch.is_object())
    return absl::InvalidArgumentError("config: expected a JSON object");
  tenant::v1::UpdateTenantConfigRequest request;
  request.set_tenant_id(tenant_id);
  ASSIGN_OR_RETURN(*request.mutable_config_patch(), ToStruct(patch));
  Tenant tenant;
  RETURN_IF_ERROR(FromGrpcStatus(backends_.registry().UpdateTenantConfig(
      backends_.Context().get(), request, &tenant)));
  return tenant;
}

absl::StatusOr<Tenant> AdminOperations::PatchTenant(
    const std::string& tenant_id, const json& body) {
  RETURN_IF_ERROR(CheckBody(body, {{"name", Type::kString, false},
                                   {"is_active", Type::kBool, false},
                                   {"billing_plan", Type::kString, false},
                                   {"billing_contact", Type::kString, false}}));
  if (body.empty()) {
    return absl::InvalidArgumentError(
        "body: set at least one of name, is_active, billing_plan, "
        "billing_contact");
  }
  // One call, one transaction: a failure changes nothing.
  tenant::v1::UpdateTenantRequest request;
  request.set_tenant_id(tenant_id);
  if (body.contains("name")) request.set_name(body["name"].get<std::string>());
  if (body.contains("billing_plan"))
    request.set_billing_plan(body["billing_plan"].get<std::string>());
  if (body.contains("billing_contact")) {
    request.set_billing_contact(body["billing_contact"].get<std::string>());
  }
  if (body.contains("is_active"))
    request.set_is_active(body["is_active"].get<bool>());
  Tenant tenant;
  RETURN_IF_ERROR(FromGrpcStatus(backends_.registry().UpdateTenant(
      backends_.Context().get(), request, &tenant)));
  return tenant;
}

absl::StatusOr<IssuedToken> AdminOperations::CreatePrincipal(
    const std::string& tenant_id, const json& body) {
  RETURN_IF_ERROR(
      CheckBody(body, {{"name", Type::kString, true},
                       {"principal_id", Type::kString, false},
                       {"platform_mappings", Type::kObject, false}}));
  auth::v1::CreatePrincipalRequest request;
  request.set_name(StringField(body, "name"));
  request.set_principal_id(StringField(body, "principal_id"));
  if (body.contains("platform_mappings")) {
    ASSIGN_OR_RETURN(*request.mutable_platform_mappings(),
                     ToStruct(body["platform_mappings"]));
  }
  auth::v1::PrincipalWithToken issued;
  RETURN_IF_ERROR(FromGrpcStatus(backends_.auth().CreatePrincipal(
      backends_.Context(tenant_id).get(), request, &issued)));
  return IssuedToken{issued.principal().principal_id(), issued.access_token()};
}

absl::StatusOr<std::vector<Principal>> AdminOperations::ListPrincipals(
    const std::string& tenant_id) {
  std::vector<Principal> principals;
  auth::v1::ListPrincipalsRequest request;
  request.set_page_size(1000);
  request.set_include_revoked(true);
  do {
    auth::v1::ListPrincipalsResponse response;
    RETURN_IF_ERROR(FromGrpcStatus(backends_.auth().ListPrincipals(
        backends_.Context(tenant_id).get(), request, &response)));
    for (auto& principal : *response.mutable_principals())
      principals.push_back(std::move(principal));
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return principals;
}

absl::StatusOr<IssuedToken> AdminOperations::RotateToken(
    const std::string& tenant_id, const std::string& principal_id) {
  auth::v1::RotateTokenRequest request;
  request.set_principal_id(principal_id);
  auth::v1::PrincipalWithToken issued;
  RETURN_IF_ERROR(FromGrpcStatus(backends_.auth().RotateToken(
      backends_.Context(tenant_id).get(), request, &issued)));
  return IssuedToken{issued.principal().principal_id(), issued.access_token()};
}

absl::Status AdminOperations::RevokePrincipal(const std::string& tenant_id,
                                              const std::string& principal_id) {
  auth::v1::RevokePrincipalRequest request;
  request.set_principal_id(principal_id);
  Principal principal;
  return FromGrpcStatus(backends_.auth().RevokePrincipal(
      backends_.Context(tenant_id).get(), request, &principal));
}

absl::StatusOr<AuditPage> AdminOperations::ListAudit(
    const std::string& tenant_id, int page_size,
    const std::string& page_token) {
  tenant::v1::ListAuditEventsRequest request;
  request.set_tenant_id(tenant_id);
  request.set_page_size(page_size);
  request.set_page_token(page_token);
  tenant::v1::ListAuditEventsResponse response;
  RETURN_IF_ERROR(FromGrpcStatus(backends_.registry().ListAuditEvents(
      backends_.Context().get(), request, &response)));
  AuditPage page{.events = json::array(),
                 .next_page_token = response.next_page_token()};
  for (const auto& event : response.events()) {
    page.events.push_back({{"audit_id", event.audit_id()},
                           {"occurred_at", Time(event.occurred_at())},
                           {"operation", event.operation()},
                           {"principal_id", event.principal_id()},
                           {"success", event.success()},
                           {"details", StructJson(event.details())}});
  }
  return page;
}

absl::StatusOr<json> AdminOperations::ListWebhookDeliveries(
    const std::string& tenant_id, const std::string& status,
    const std::string& page_size, const std::string& page_token) {
  if (!status.empty() && status != "pending" && status != "delivered" &&
      status != "expired")
    return absl::InvalidArgumentError(
        "status: must be one of pending, delivered, expired");
  int size = 100;
  if (!page_size.empty() &&
      (page_size.size() > 3 ||
       page_size.find_first_not_of("0123456789") != std::string::npos ||
       !absl::SimpleAtoi(page_size, &size) || size < 1 || size > 100))
    return absl::InvalidArgumentError("page_size: an integer from 1 to 100");
  if (!page_token.empty() &&
      (page_token.size() > 19 ||
       page_token.find_first_not_of("0123456789") != std::string::npos))
    return absl::InvalidArgumentError(
        "page_token: must be a next_page_token of an earlier answer");
  media_buy::v1::ListWebhookDeliveriesRequest request;
  request.set_status(status);
  request.set_page_size(size);
  request.set_page_token(page_token);
  media_buy::v1::ListWebhookDeliveriesResponse response;
  RETURN_IF_ERROR(FromGrpcStatus(backends_.media_buy().ListWebhookDeliveries(
      backends_.Context(tenant_id).get(), request, &response)));
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(response, &text, options)
           .ok())
    return absl::InternalError("webhook deliveries not printable as JSON");
  return json::parse(text);
}

}  // namespace adcp::admin_gateway

namespace adcp::admin_gateway {

namespace {
nlohmann::json TimeOrNull(bool set, const google::protobuf::Timestamp& at) {
  return set ? nlohmann::json(TimeUtil::ToString(at)) : nlohmann::json(nullptr);
}
}  // namespace

absl::Status CheckMintsForItself(const std::string& admin_id,
                                 const std::string& caller_admin_id) {
  // Auth keeps admin ids in lowercase; a path may spell one otherwise.
  if (absl::AsciiStrToLower(admin_id) == caller_admin_id)
    return absl::OkStatus();
  return absl::PermissionDeniedError(
      "admin_id: an admin mints API tokens only for itself");
}

nlohmann::json SystemAdminJson(const SystemAdmin& admin) {
  return {{"admin_id", admin.admin_id()},
          {"name", admin.name()},
          {"created_by", admin.created_by()},
          {"created_at", TimeUtil::ToString(admin.created_at())},
          {"disabled_at",
           TimeOrNull(admin.has_disabled_at(), admin.disabled_at())}};
}

nlohmann::json SystemAdminTokenJson(const SystemAdminToken& token) {
  return {
      {"token_id", token.token_id()},
      {"admin_id", token.admin_id()},
      {"kind", token.kind()},
      {"prefix", token.prefix()},
      {"created_at", TimeUtil::ToString(token.created_at())},
      {"expires_at", TimeOrNull(token.has_expires_at(), token.expires_at())},
      {"revoked_at", TimeOrNull(token.has_revoked_at(), token.revoked_at())},
      {"last_used_at",
       TimeOrNull(token.has_last_used_at(), token.last_used_at())}};
}

absl::StatusOr<SystemAdmin> AdminOperations::CreateAdmin(
    const nlohmann::json& body) {
  RETURN_IF_ERROR(CheckBody(body, {{"admin_id", Type::kString, true},
                                   {"name", Type::kString, true},
                                   {"password", Type::kString, true}}));
  auth::v1::CreateSystemAdminRequest request;
  request.set_admin_id(StringField(body, "admin_id"));
  request.set_name(StringField(body, "name"));
  request.set_password(StringField(body, "password"));
  SystemAdmin admin;
  RETURN_IF_ERROR(FromGrpcStatus(backends_.system_admins().CreateSystemAdmin(
      backends_.Context().get(), request, &admin)));
  return admin;
}

absl::StatusOr<std::vector<SystemAdmin>> AdminOperations::ListAdmins(
    bool include_disabled) {
  auth::v1::ListSystemAdminsRequest request;
  request.set_include_disabled(include_disabled);
  auth::v1::ListSystemAdminsResponse response;
  RETURN_IF_ERROR(FromGrpcStatus(backends_.system_admins().ListSystemAdmins(
      backends_.Context().get(), request, &response)));
  return std::vector<SystemAdmin>(response.admins().begin(),
                                  response.admins().end());
}

absl::StatusOr<SystemAdmin> AdminOperations::DisableAdmin(
    const std::string& admin_id) {
  auth::v1::DisableSystemAdminRequest request;
  request.set_admin_id(admin_id);
  SystemAdmin admin;
  RETURN_IF_ERROR(FromGrpcStatus(backends_.system_admins().DisableSystemAdmin(
      backends_.Context().get(), request, &admin)));
  return admin;
}

absl::StatusOr<SystemAdminTokenWithSecret> AdminOperations::CreateAdminToken() {
  SystemAdminTokenWithSecret issued;
  RETURN_IF_ERROR(
      FromGrpcStatus(backends_.system_admins().CreateSystemAdminToken(
          backends_.Context().get(), auth::v1::CreateSystemAdminTokenRequest(),
          &issued)));
  return issued;
}

absl::StatusOr<std::vector<SystemAdminToken>> AdminOperations::ListAdminTokens(
    const std::string& admin_id, bool include_revoked) {
  auth::v1::ListSystemAdminTokensRequest request;
  request.set_admin_id(admin_id);
  request.set_include_revoked(include_revoked);
  auth::v1::ListSystemAdminTokensResponse response;
  RETURN_IF_ERROR(
      FromGrpcStatus(backends_.system_admins().ListSystemAdminTokens(
          backends_.Context().get(), request, &response)));
  return std::vector<SystemAdminToken>(response.tokens().begin(),
                                       response.tokens().end());
}

absl::StatusOr<SystemAdminToken> AdminOperations::RevokeAdminToken(
    const std::string& admin_id, const std::string& token_id) {
  auth::v1::RevokeSystemAdminTokenRequest request;
  request.set_admin_id(admin_id);
  request.set_token_id(token_id);
  SystemAdminToken token;
  RETURN_IF_ERROR(
      FromGrpcStatus(backends_.system_admins().RevokeSystemAdminToken(
          backends_.Context().get(), request, &token)));
  return token;
}

absl::StatusOr<SystemAdminTokenWithSecret> AdminOperations::SignIn(
    const std::string& admin_id, const std::string& password,
    absl::Duration ttl, const SignInThrottle& throttle) {
  auth::v1::SignInSystemAdminRequest request;
  request.set_admin_id(admin_id);
  request.set_password(password);
  request.set_ttl_seconds(static_cast<int32_t>(absl::ToInt64Seconds(ttl)));
  for (const auth::v1::SignInThrottleKey& key : throttle.keys)
    *request.add_throttle_keys() = key;
  request.set_max_delay_seconds(
      static_cast<int32_t>(absl::ToInt64Seconds(throttle.max_delay)));
  SystemAdminTokenWithSecret session;
  RETURN_IF_ERROR(FromGrpcStatus(backends_.system_admins().SignInSystemAdmin(
      backends_.Context().get(), request, &session)));
  return session;
}

absl::Status AdminOperations::SignOut(const std::string& session_token) {
  auth::v1::SignOutSystemAdminRequest request;
  request.set_token(session_token);
  auth::v1::SignOutSystemAdminResponse response;
  return FromGrpcStatus(backends_.system_admins().SignOutSystemAdmin(
      backends_.Context().get(), request, &response));
}

}  // namespace adcp::admin_gateway
