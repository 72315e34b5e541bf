#include "services/admin-gateway/system_api.h"

#include "absl/strings/str_split.h"
#include "libs/base/identifiers.h"
#include "libs/json/json_limits.h"
#include "libs/tenancy/guard.h"
#include "services/admin-gateway/tenant_initializer.h"

namespace adcp::admin_gateway {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

http::Response FromStatus(const http::Request& request,
                          const absl::Status& status) {
  const auto code = HttpStatusFor(static_cast<grpc::StatusCode>(status.code()));
  const std::string step = FailedStep(status);
  if (!step.empty()) {
    // A tenant whose initialization stopped: say where, so a retry resumes.
    return http::JsonResponse(
        request, code,
        json{{"error", std::string(status.message())}, {"failed_step", step}}
            .dump());
  }
  return http::JsonError(request, code, std::string(status.message()));
}

http::Response Ok(const http::Request& request, const json& body,
                  bhttp::status code = bhttp::status::ok) {
  return http::JsonResponse(request, code, body.dump());
}

http::Response NotAllowed(const http::Request& request) {
  return http::JsonError(request, bhttp::status::method_not_allowed,
                         "method not allowed");
}

// The request body as JSON (within the size and depth limits), or a 400
// naming the problem.
absl::StatusOr<json> Body(const http::Request& request) {
  return ParseJsonBounded(request.body(), "body");
}

}  // namespace

std::vector<std::string> PathSegments(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  std::vector<std::string> segments;
  for (absl::string_view segment :
       absl::StrSplit(absl::string_view(path.data(), path.size()), '/',
                      absl::SkipEmpty())) {
    segments.emplace_back(segment);
  }
  return segments;
}

std::string QueryParameter(std::string_view target, std::string_view name) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return "";
  const std::string_view query = target.substr(question + 1);
  for (absl::string_view pair :
       absl::StrSplit(absl::string_view(query.data(), query.size()), '&')) {
    const auto equals = pair.find('=');
    if (pair.substr(0, equals) == absl::string_view(name.data(), name.size())) {
      return equals == absl::string_view::npos
                 ? ""
                 : std::string(pair.substr(equals + 1));
    }
  }
  return "";
}

http::Response SystemApi::Handle(const http::Request& request,
                                 const std::string& peer) {
  const auto presented = request.find("X-System-Token");
  const std::string token =
      presented == request.end() ? "" : std::string(presented->value());
  const absl::StatusOr<SystemAdminIdentity> admin =
      authenticator_.Authenticate(token, peer);
  if (!admin.ok()) {
    if (absl::IsResourceExhausted(admin.status())) {
      http::Response response =
          http::JsonError(request, bhttp::status::too_many_requests,
                          std::string(admin.status().message()));
      response.set(bhttp::field::retry_after,
                   std::to_string(RetryAfterSeconds(admin.status())));
      return response;
    }
    if (absl::IsPermissionDenied(admin.status()))
      return http::JsonError(request, bhttp::status::forbidden, "Unauthorized");
    return FromStatus(request, admin.status());
  }
  // Every backend call of this request acts as this admin.
  ActingAdmin acting(token);
  const std::vector<std::string> path = PathSegments(request.target());
  if (path.size() >= 2 && path[1] == "tenants") return Tenants(request, path);
  if (path.size() >= 2 && path[1] == "admins")
    return Admins(request, path, *admin);
  return http::JsonError(request, bhttp::status::not_found, "not found");
}

http::Response SystemApi::Tenants(const http::Request& request,
                                  const std::vector<std::string>& path) {
  const bhttp::verb method = request.method();
  auto not_allowed = [&] { return NotAllowed(request); };

  // /system/tenants
  if (path.size() == 2) {
    if (method == bhttp::verb::get) {
      auto tenants = operations_.ListTenants();
      if (!tenants.ok()) return FromStatus(request, tenants.status());
      json list = json::array();
      for (const auto& tenant : *tenants)
        list.push_back(TenantSummaryJson(tenant));
      return Ok(request, {{"tenants", list}});
    }
    if (method == bhttp::verb::post) {
      auto body = Body(request);
      if (!body.ok()) return FromStatus(request, body.status());
      auto created = operations_.CreateTenant(*body);
      if (!created.ok()) return FromStatus(request, created.status());
      return Ok(request,
                {{"status", "created"},
                 {"tenant_id", created->tenant_id},
                 {"admin_token", created->admin_token}},
                bhttp::status::created);
    }
    return not_allowed();
  }

  const std::string& tenant_id = path[2];
  // Not a tenant id is no tenant: the same answer as a missing one.
  if (!IsDnsLabel(tenant_id))
    return http::JsonError(request, bhttp::status::not_found,
                           "tenant not found");
  // /system/tenants/{id}
  if (path.size() == 3) {
    if (method == bhttp::verb::get) {
      auto tenant = operations_.GetTenant(tenant_id);
      if (!tenant.ok()) return FromStatus(request, tenant.status());
      return Ok(request, TenantJson(*tenant));
    }
    if (method == bhttp::verb::patch) {
      auto body = Body(request);
      if (!body.ok()) return FromStatus(request, body.status());
      auto tenant = operations_.PatchTenant(tenant_id, *body);
      if (!tenant.ok()) return FromStatus(request, tenant.status());
      return Ok(request, TenantJson(*tenant));
    }
    if (method == bhttp::verb::delete_) {
      auto body = Body(request);
      if (!body.ok()) return FromStatus(request, body.status());
      auto deleted = operations_.DeleteTenant(tenant_id, *body);
      if (!deleted.ok()) return FromStatus(request, deleted.status());
      return Ok(request, {{"status", "deleted"},
                          {"tenant_id", tenant_id},
                          {"deleted_rows", *deleted}});
    }
    return not_allowed();
  }

  // /system/tenants/{id}/config
  if (path.size() == 4 && path[3] == "config") {
    if (method != bhttp::verb::put) return not_allowed();
    auto body = Body(request);
    if (!body.ok()) return FromStatus(request, body.status());
    auto tenant = operations_.UpdateConfig(tenant_id, *body);
    if (!tenant.ok()) return FromStatus(request, tenant.status());
    return Ok(request, {{"status", "updated"}});
  }

  // /system/tenants/{id}/audit?page_token=
  if (path.size() == 4 && path[3] == "audit") {
    if (method != bhttp::verb::get) return not_allowed();
    auto page = operations_.ListAudit(
        tenant_id, 100, QueryParameter(request.target(), "page_token"));
    if (!page.ok()) return FromStatus(request, page.status());
    return Ok(request, {{"events", page->events},
                        {"next_page_token", page->next_page_token}});
  }

  // /system/tenants/{id}/webhook_deliveries?status=&page_size=&page_token=
  if (path.size() == 4 && path[3] == "webhook_deliveries") {
    if (method != bhttp::verb::get) return not_allowed();
    auto page = operations_.ListWebhookDeliveries(
        tenant_id, QueryParameter(request.target(), "status"),
        QueryParameter(request.target(), "page_size"),
        QueryParameter(request.target(), "page_token"));
    if (!page.ok()) return FromStatus(request, page.status());
    return Ok(request, *page);
  }

  // /system/tenants/{id}/principals
  if (path.size() == 4 && path[3] == "principals") {
    if (method == bhttp::verb::get) {
      auto principals = operations_.ListPrincipals(tenant_id);
      if (!principals.ok()) return FromStatus(request, principals.status());
      json list = json::array();
      for (const auto& principal : *principals)
        list.push_back(PrincipalJson(principal));
      return Ok(request, {{"principals", list}});
    }
    if (method == bhttp::verb::post) {
      auto body = Body(request);
      if (!body.ok()) return FromStatus(request, body.status());
      auto issued = operations_.CreatePrincipal(tenant_id, *body);
      if (!issued.ok()) return FromStatus(request, issued.status());
      return Ok(request,
                {{"principal_id", issued->principal_id},
                 {"access_token", issued->access_token}},
                bhttp::status::created);
    }
    return not_allowed();
  }

  // /system/tenants/{id}/principals/{principal_id}[/rotate]
  if (path.size() >= 5 && path.size() <= 6 && path[3] == "principals") {
    const std::string& principal_id = path[4];
    if (path.size() == 6) {
      if (path[5] != "rotate")
        return http::JsonError(request, bhttp::status::not_found, "not found");
      if (method != bhttp::verb::post) return not_allowed();
      auto issued = operations_.RotateToken(tenant_id, principal_id);
      if (!issued.ok()) return FromStatus(request, issued.status());
      return Ok(request, {{"principal_id", issued->principal_id},
                          {"access_token", issued->access_token}});
    }
    if (method != bhttp::verb::delete_) return not_allowed();
    const absl::Status revoked =
        operations_.RevokePrincipal(tenant_id, principal_id);
    if (!revoked.ok()) return FromStatus(request, revoked);
    return Ok(request, {{"status", "revoked"}, {"principal_id", principal_id}});
  }
  return http::JsonError(request, bhttp::status::not_found, "not found");
}

http::Response SystemApi::Admins(const http::Request& request,
                                 const std::vector<std::string>& path,
                                 const SystemAdminIdentity& caller) {
  const bhttp::verb method = request.method();
  auto not_allowed = [&] { return NotAllowed(request); };
  // /system/admins
  if (path.size() == 2) {
    if (method == bhttp::verb::get) {
      auto admins = operations_.ListAdmins(
          QueryParameter(request.target(), "include_disabled") == "true");
      if (!admins.ok()) return FromStatus(request, admins.status());
      json list = json::array();
      for (const auto& admin : *admins) list.push_back(SystemAdminJson(admin));
      return Ok(request, {{"admins", list}});
    }
    if (method == bhttp::verb::post) {
      auto body = Body(request);
      if (!body.ok()) return FromStatus(request, body.status());
      auto created = operations_.CreateAdmin(*body);
      if (!created.ok()) return FromStatus(request, created.status());
      return Ok(request, SystemAdminJson(*created), bhttp::status::created);
    }
    return not_allowed();
  }
  const std::string& admin_id = path[2];
  // /system/admins/{id}: DELETE disables (and revokes its tokens).
  if (path.size() == 3) {
    if (method != bhttp::verb::delete_) return not_allowed();
    auto disabled = operations_.DisableAdmin(admin_id);
    if (!disabled.ok()) return FromStatus(request, disabled.status());
    authenticator_.ForgetAdmin(disabled->admin_id());
    return Ok(request, SystemAdminJson(*disabled));
  }
  if (path[3] != "tokens" || path.size() > 5)
    return http::JsonError(request, bhttp::status::not_found, "not found");
  // /system/admins/{id}/tokens
  if (path.size() == 4) {
    if (method == bhttp::verb::get) {
      auto tokens = operations_.ListAdminTokens(
          admin_id,
          QueryParameter(request.target(), "include_revoked") == "true");
      if (!tokens.ok()) return FromStatus(request, tokens.status());
      json list = json::array();
      for (const auto& token : *tokens)
        list.push_back(SystemAdminTokenJson(token));
      return Ok(request, {{"tokens", list}});
    }
    if (method == bhttp::verb::post) {
      if (const absl::Status mine =
              CheckMintsForItself(admin_id, caller.admin_id);
          !mine.ok())
        return FromStatus(request, mine);
      auto issued = operations_.CreateAdminToken();
      if (!issued.ok()) return FromStatus(request, issued.status());
      json out = SystemAdminTokenJson(issued->token());
      out["token"] = issued->secret();
      return Ok(request, out, bhttp::status::created);
    }
    return not_allowed();
  }
  // /system/admins/{id}/tokens/{token_id}: DELETE revokes.
  if (method != bhttp::verb::delete_) return not_allowed();
  auto revoked = operations_.RevokeAdminToken(admin_id, path[4]);
  if (!revoked.ok()) return FromStatus(request, revoked.status());
  authenticator_.ForgetAdmin(revoked->admin_id());
  return Ok(request, SystemAdminTokenJson(*revoked));
}

}  // namespace adcp::admin_gateway
