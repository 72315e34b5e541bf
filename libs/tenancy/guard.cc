#include "libs/tenancy/guard.h"

#include <openssl/crypto.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/base/identifiers.h"
#include "libs/tenancy/metadata.h"

namespace adcp {
namespace {

std::string_view Metadata(const grpc::ServerContext& context,
                          std::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return {};
  return std::string_view(it->second.data(), it->second.size());
}

bool DigestMatches(std::string_view presented, const std::string& digest) {
  if (presented.empty() || digest.empty()) return false;
  const std::string mine = Sha256(presented);
  return CRYPTO_memcmp(mine.data(), digest.data(), digest.size()) == 0;
}

// A refusal's message without its retry hint (which varies per call), so
// that identical failures aggregate.
absl::string_view ReasonOf(absl::string_view message) {
  return message.substr(0, message.find("; retry after"));
}

// The client the call is for: the edge's x-adcp-client, else the gRPC
// peer's address ("ipv4:10.0.0.1:5000" -> "10.0.0.1").
std::string ClientOf(const grpc::ServerContext& context) {
  if (const std::string_view client = Metadata(context, kClientAddressKey);
      IsClientAddress(client))
    return std::string(client);
  std::string peer = context.peer();
  if (absl::StartsWith(peer, "ipv4:")) {
    peer = peer.substr(5, peer.rfind(':') - 5);
  } else if (absl::StartsWith(peer, "ipv6:") && peer.rfind(':') > 5) {
    peer = peer.substr(5, peer.rfind(':') - 5);
    if (peer.size() >= 2 && peer.front() == '[')
      peer = peer.substr(1, peer.size() - 2);
  }
  return IsClientAddress(peer) ? peer : "-";
}

// The token of an "authorization: Bearer <token>" header, or "".
std::string_view BearerToken(const grpc::ServerContext& context) {
  std::string_view value = Metadata(context, kAuthorizationKey);
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size() ||
      value.substr(0, kBearer.size()) != kBearer)
    return {};
  return value.substr(kBearer.size());
}

}  // namespace

absl::Status Throttled(grpc::ServerContext* context, absl::Duration wait,
                       const std::string& why) {
  const int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(wait));
  context->AddTrailingMetadata(kRetryAfterKey, std::to_string(ms));
  return absl::ResourceExhaustedError(
      absl::StrCat(why, "; retry after ", ms, " ms"));
}

const char* CallScopeName(CallScope scope) {
  switch (scope) {
    case CallScope::kPlatform:
      return "platform";
    case CallScope::kSystemAdmin:
      return "system_admin";
    case CallScope::kSystemAdminOrBootstrap:
      return "system_admin_or_bootstrap";
    case CallScope::kTenant:
      return "tenant";
    case CallScope::kTenantAdmin:
      return "tenant_admin";
    case CallScope::kPrincipal:
      return "principal";
    case CallScope::kPrincipalOptional:
      return "principal_optional";
    case CallScope::kDiscovery:
      return "discovery";
  }
  return "unknown";
}

CallGuard::CallGuard(ServicePolicy policy, GuardOptions options)
    : policy_(std::move(policy)),
      options_(std::move(options)),
      internal_token_digest_(Sha256(options_.internal_token)),
      limiter_(options_.clock) {}

absl::Status CallGuard::Refuse(const CallContext& call, std::string_view method,
                               absl::Status status) const {
  // Aggregated: identical failures (tenant, client, method, reason) become
  // one row per window with their count, so a flood of made-up tokens cannot
  // turn into a flood of audit rows.
  if (options_.audit != nullptr) {
    options_.audit->Count(AuditEvent{
        .tenant_id = call.tenant_id,
        .operation = "auth_failed",
        .principal_id = "anonymous",
        .success = false,
        .details = {{"method", std::string(method)},
                    {"reason", std::string(ReasonOf(status.message()))},
                    {"client", call.client_address.empty()
                                   ? nlohmann::json(nullptr)
                                   : nlohmann::json(call.client_address)}}});
  }
  return status;
}

RateLimit CallGuard::Share(const RateLimit& limit) const {
  const int replicas = options_.replicas ? options_.replicas() : 1;
  if (replicas <= 1) return limit;
  return RateLimit{.per_second = limit.per_second / replicas,
                   .burst = std::max(1.0, limit.burst / replicas)};
}

std::optional<absl::Duration> CallGuard::ClientFailureWait(
    const CallContext& call) const {
  return limiter_.Peek(absl::StrCat("fc:", call.client_address),
                       Share(options_.limits.auth_failures_client));
}

void CallGuard::ChargeClientFailure(const CallContext& call) const {
  limiter_.Acquire(absl::StrCat("fc:", call.client_address),
                   Share(options_.limits.auth_failures_client));
}

absl::Status CallGuard::AuthFailed(const CallContext& call,
                                   std::string_view method,
                                   absl::Status status) const {
  ChargeClientFailure(call);
  limiter_.Acquire(absl::StrCat("ft:", call.tenant_id),
                   Share(options_.limits.auth_failures_tenant));
  return Refuse(call, method, std::move(status));
}

absl::Status CallGuard::Limit(grpc::ServerContext* context,
                              const std::string& key, const RateLimit& limit,
                              std::string_view what) const {
  const std::optional<absl::Duration> wait =
      limiter_.Acquire(key, Share(limit));
  if (!wait) return absl::OkStatus();
  return Throttled(
      context, *wait,
      absl::StrCat("rate limit of this ", std::string(what), " exceeded"));
}

absl::StatusOr<std::optional<SystemAdminIdentity>> CallGuard::SystemAdminOf(
    grpc::ServerContext* context, const CallContext& call) const {
  const std::string_view token = Metadata(*context, kSystemTokenKey);
  if (token.empty() || options_.system_admins == nullptr) return std::nullopt;
  // Before any lookup: a client that keeps failing is refused outright.
  if (const auto wait = ClientFailureWait(call)) {
    return Throttled(context, *wait,
                     "too many failed authentications from this client");
  }
  absl::StatusOr<SystemAdminIdentity> admin =
      options_.system_admins->Resolve(std::string(token), call.client_address);
  if (absl::IsUnauthenticated(admin.status())) {
    // Audited (aggregated) where it is resolved: in auth.
    ChargeClientFailure(call);
    return std::nullopt;
  }
  if (!admin.ok()) return admin.status();
  return *std::move(admin);
}

void CallGuard::ActAsSystemAdmin(const SystemAdminIdentity& admin,
                                 CallContext& call) {
  call.principal_id = admin.bootstrap ? std::string("bootstrap")
                                      : absl::StrCat("admin:", admin.admin_id);
  call.system_admin = true;
  call.bootstrap_admin = admin.bootstrap;
}

absl::StatusOr<CallContext> CallGuard::Admit(grpc::ServerContext* context,
                                             std::string_view method) const {
  const std::string method_name(method);
  auto policy = policy_.find(method_name);
  if (policy == policy_.end()) {
    return absl::InternalError(
        absl::StrCat("no admission policy for method ", method_name));
  }
  const CallScope scope = policy->second;
  if (!DigestMatches(Metadata(*context, kInternalTokenKey),
                     internal_token_digest_)) {
    return absl::UnauthenticatedError(absl::StrCat(
        kInternalTokenKey, ": missing or not this deployment's service token"));
  }
  CallContext call;
  if (const std::string_view id = Metadata(*context, kRequestIdKey);
      id.size() <= kMaxRequestIdBytes && IsSafeMetadataValue(id))
    call.request_id = std::string(id);
  call.client_address = ClientOf(*context);
  if (scope == CallScope::kPlatform) return call;
  if (scope == CallScope::kSystemAdmin ||
      scope == CallScope::kSystemAdminOrBootstrap) {
    ASSIGN_OR_RETURN(const std::optional<SystemAdminIdentity> admin,
                     SystemAdminOf(context, call));
    if (!admin) {
      return absl::PermissionDeniedError(
          absl::StrCat(kSystemTokenKey, ": a system admin token is required"));
    }
    if (admin->bootstrap && scope != CallScope::kSystemAdminOrBootstrap) {
      return absl::PermissionDeniedError(
          absl::StrCat(kSystemTokenKey,
                       ": the bootstrap token only creates the first admin"));
    }
    ActAsSystemAdmin(*admin, call);
    return call;
  }

  // Tenant scopes.
  call.tenant_id = std::string(Metadata(*context, kTenantIdKey));
  if (call.tenant_id.empty() && options_.tenants != nullptr) {
    const std::string_view host = Metadata(*context, kTenantHostKey);
    if (!host.empty()) {
      call.tenant_id =
          options_.tenants->TenantIdByHost(host, options_.base_domains);
      if (call.tenant_id.empty())
        return absl::NotFoundError("Tenant not found");
    }
  }
  if (call.tenant_id.empty()) {
    return absl::UnauthenticatedError(absl::StrCat(kTenantIdKey, ": required"));
  }
  if (!IsDnsLabel(call.tenant_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kTenantIdKey, ": expected a lowercase DNS label"));
  }
  if (options_.tenants == nullptr) {
    return absl::InternalError(
        "tenant-scoped method on a service without a tenant directory");
  }
  absl::StatusOr<TenantState> tenant = options_.tenants->Find(call.tenant_id);
  if (!tenant.ok()) {
    if (absl::IsNotFound(tenant.status()))
      return absl::NotFoundError("tenant not found");
    return tenant.status();
  }
  // The system admin manages a tenant whatever its state (e.g. revokes a
  // leaked token while the tenant is suspended) and is not rate limited.
  if (scope == CallScope::kTenantAdmin) {
    ASSIGN_OR_RETURN(const std::optional<SystemAdminIdentity> admin,
                     SystemAdminOf(context, call));
    if (admin && !admin->bootstrap) {
      ActAsSystemAdmin(*admin, call);
      return call;
    }
  }
  if (!tenant->active) {
    return Refuse(call, method,
                  absl::PermissionDeniedError("tenant is inactive"));
  }
  // Calls without a principal are the suite's own services acting for the
  // tenant (e.g. resolving a token); the buckets count principals' calls, and
  // only once authenticated, so that nobody can spend a tenant's budget with
  // made-up tokens.
  if (scope == CallScope::kTenant) return call;
  RETURN_IF_ERROR(AdmitPrincipal(context, scope, *tenant, method, call));
  return call;
}

absl::Status CallGuard::AdmitPrincipal(grpc::ServerContext* context,
                                       CallScope scope,
                                       const TenantState& tenant,
                                       std::string_view method,
                                       CallContext& call) const {
  const std::string_view token = BearerToken(*context);
  const bool anonymous_allowed =
      scope == CallScope::kPrincipalOptional ||
      (scope == CallScope::kDiscovery && tenant.anonymous_discovery);
  if (token.empty() && anonymous_allowed) {
    // Anonymous: charged to the calling client and to the tenant's
    // anonymous budget, never to the budget its buyers share.
    RETURN_IF_ERROR(Limit(context, absl::StrCat("c:", call.client_address),
                          options_.limits.client, "client"));
    return Limit(context, absl::StrCat("a:", call.tenant_id),
                 tenant.anonymous_limit.value_or(options_.limits.anonymous),
                 "publisher's anonymous traffic");
  }
  // Before any token lookup: a client that keeps failing is refused
  // outright.
  if (const auto wait = ClientFailureWait(call)) {
    return Refuse(call, method,
                  Throttled(context, *wait,
                            "too many failed authentications from this "
                            "client"));
  }
  if (token.empty()) {
    // Costs no lookup: refused, not charged to the failure budgets.
    return Refuse(
        call, method,
        absl::UnauthenticatedError(absl::StrCat(
            kAuthorizationKey, ": a bearer token of a principal is required")));
  }
  if (options_.principals == nullptr) {
    return absl::InternalError(
        "principal-scoped method on a service without a resolver");
  }
  // While the tenant is flooded with failures, only tokens memory knows are
  // resolved: the flood costs no lookups, and known buyers go on.
  absl::StatusOr<ResolvedPrincipal> principal;
  if (const auto wait =
          limiter_.Peek(absl::StrCat("ft:", call.tenant_id),
                        Share(options_.limits.auth_failures_tenant))) {
    auto known = options_.principals->ResolveFromMemory(call.tenant_id,
                                                        std::string(token));
    if (!known) {
      return Refuse(call, method,
                    Throttled(context, *wait,
                              "too many failed authentications for this "
                              "publisher"));
    }
    principal = *std::move(known);
  } else {
    principal =
        options_.principals->Resolve(call.tenant_id, std::string(token));
  }
  if (!principal.ok()) {
    if (absl::IsUnauthenticated(principal.status())) {
      return AuthFailed(call, method,
                        absl::UnauthenticatedError("invalid or revoked token"));
    }
    return principal.status();
  }
  if (scope == CallScope::kTenantAdmin && !principal->is_admin) {
    return Refuse(call, method,
                  absl::PermissionDeniedError(
                      "this method needs the tenant's admin principal"));
  }
  call.principal_id = principal->principal_id;
  call.principal_token = std::string(token);
  call.is_admin = principal->is_admin;
  call.platform_mappings = principal->platform_mappings;
  RETURN_IF_ERROR(Limit(context, absl::StrCat("t:", call.tenant_id),
                        tenant.tenant_limit.value_or(options_.limits.tenant),
                        "tenant"));
  return Limit(
      context, absl::StrCat("p:", call.tenant_id, ":", call.principal_id),
      tenant.principal_limit.value_or(options_.limits.principal), "principal");
}

}  // namespace adcp
