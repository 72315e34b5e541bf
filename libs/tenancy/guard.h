// The handler guard: the admission check every RPC handler runs before any
// side effect. gRPC 1.51's C++ server interceptors cannot stop a handler, so
// the guard is not an interceptor: each handler runs its body through
// CallGuard::Run(context, "MethodName", body), which looks the method up in
// the service's policy, admits the call or answers with an error, applies the
// rate limits, and installs the call context for logs and propagation.
#pragma once

#include <grpcpp/server_context.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "libs/grpc/grpc_status.h"
#include "libs/tenancy/audit_log.h"
#include "libs/tenancy/call_context.h"
#include "libs/tenancy/metadata.h"
#include "libs/tenancy/rate_limiter.h"

namespace adcp {

// What a method needs before it may run. Every scope needs the internal
// service token (x-internal-token); each adds to the one above it except
// kSystemAdmin.
enum class CallScope {
  // Platform data read by the suite's own services (e.g. tenant lookups).
  kPlatform,
  // A system admin operation: also x-system-token of a named admin. No
  // tenant credential is ever accepted in its place, nor the bootstrap
  // token.
  kSystemAdmin,
  // kSystemAdmin, or the deployment's bootstrap token (which auth admits
  // only while no enabled admin exists): creating the first admin only.
  kSystemAdminOrBootstrap,
  // Runs for the tenant in x-tenant-id, which must exist and be active.
  kTenant,
  // kTenant, plus the system admin token (then even for an inactive tenant)
  // or the bearer token of the tenant's admin principal.
  kTenantAdmin,
  // kTenant, plus the bearer token of a principal of that tenant.
  kPrincipal,
  // kPrincipal when a bearer token is sent (it must be valid); without one
  // the call runs anonymously for the tenant (public discovery).
  kPrincipalOptional,
  // kPrincipalOptional for tenants that allow anonymous discovery
  // (features.anonymous_discovery); kPrincipal for the others.
  kDiscovery,
};

const char* CallScopeName(CallScope scope);

// RESOURCE_EXHAUSTED "<why>; retry after N ms", with N in the context's
// retry-after-ms trailer: every throttled refusal of the suite's services.
absl::Status Throttled(grpc::ServerContext* context, absl::Duration wait,
                       const std::string& why);

// Method name (as in the .proto, e.g. "CreateTenant") -> scope. A method
// missing from its service's policy is refused.
using ServicePolicy = absl::flat_hash_map<std::string, CallScope>;

// What the guard needs to know of a tenant.
struct TenantState {
  bool active = false;
  std::optional<RateLimit> tenant_limit;     // unset: the guard's default
  std::optional<RateLimit> principal_limit;  // unset: the guard's default
  std::optional<RateLimit> anonymous_limit;  // unset: the guard's default
  bool anonymous_discovery = false;          // kDiscovery without a token
};

// Where the guard looks tenants up: from memory in steady state.
class TenantDirectory {
 public:
  virtual ~TenantDirectory() = default;
  // NOT_FOUND for an unknown tenant; UNAVAILABLE before the first sync.
  virtual absl::StatusOr<TenantState> Find(
      const std::string& tenant_id) const = 0;
  // The id of the tenant an HTTP Host names (see TenantCache::FindByHost),
  // or "" when none.
  virtual std::string TenantIdByHost(
      std::string_view host,
      const std::vector<std::string>& base_domains) const {
    return {};
  }
};

struct ResolvedPrincipal {
  std::string principal_id;
  bool is_admin = false;
  // The principal's ad-server identities ({"kevel": {"advertiser_id": ...}}).
  nlohmann::json platform_mappings = nlohmann::json::object();
};

// Resolves a bearer token within one tenant: from memory in steady state.
class PrincipalResolver {
 public:
  virtual ~PrincipalResolver() = default;
  // UNAUTHENTICATED when the token is not a live token of `tenant_id`.
  virtual absl::StatusOr<ResolvedPrincipal> Resolve(
      const std::string& tenant_id, const std::string& token) const = 0;
  // The answer from memory only (no database or remote call): nullopt when
  // memory does not know the token. Used while a tenant is flooded with
  // failed authentications.
  virtual std::optional<absl::StatusOr<ResolvedPrincipal>> ResolveFromMemory(
      const std::string& tenant_id, const std::string& token) const {
    return std::nullopt;
  }
};

// A named system admin, as its token resolves.
struct SystemAdminIdentity {
  std::string admin_id;
  // The deployment's bootstrap token, which auth alone admits, only while no
  // admin exists, and only for creating the first admin: the guard refuses
  // it for every scope but kSystemAdminOrBootstrap.
  bool bootstrap = false;
};

// Resolves an x-system-token to the admin holding it: from memory in steady
// state (RemoteSystemAdminResolver), or from auth's own tables in auth.
class SystemAdminResolver {
 public:
  virtual ~SystemAdminResolver() = default;
  // UNAUTHENTICATED when `token` is not a live token of an enabled admin;
  // UNAVAILABLE when that cannot be known now. `client` is the calling
  // client (x-adcp-client, else the peer), which failures are audited under.
  virtual absl::StatusOr<SystemAdminIdentity> Resolve(
      const std::string& token, const std::string& client) const = 0;
};

// The guard's budgets. tenant, principal and anonymous are the defaults of a
// tenant whose config sets none of its own.
struct GuardLimits {
  RateLimit tenant{.per_second = 200, .burst = 400};
  RateLimit principal{.per_second = 50, .burst = 100};
  // Anonymous calls: a tenant's own budget (never its buyers'), all callers
  // together, and each calling client's (x-adcp-client, else the gRPC peer),
  // whatever the tenant.
  RateLimit anonymous{.per_second = 50, .burst = 100};
  RateLimit client{.per_second = 10, .burst = 10};
  // Failed authentications (bearer and system admin tokens), checked before
  // any token lookup: a client over its budget is refused outright; while a
  // tenant is over its budget, only tokens known from memory are resolved.
  RateLimit auth_failures_client{.per_second = 1, .burst = 20};
  RateLimit auth_failures_tenant{.per_second = 10, .burst = 100};
};

struct GuardOptions {
  std::string internal_token;  // required
  // x-system-token -> admin; unset: system admin access is refused.
  std::shared_ptr<const SystemAdminResolver> system_admins;
  std::shared_ptr<const TenantDirectory> tenants;  // for tenant scopes
  std::shared_ptr<const PrincipalResolver>
      principals;             // for kTenantAdmin/kPrincipal
  AuditLog* audit = nullptr;  // failed authentications of known tenants
  GuardLimits limits;
  RateLimiter::Clock clock = [] { return absl::Now(); };
  // The live replicas of this service (ReplicaCount): every budget above is
  // global, so each replica keeps 1/N of it (its share of the round-robin
  // traffic). Unset: one replica.
  std::function<int()> replicas;
  // For calls that name their tenant by the HTTP Host the gateway received
  // (x-adcp-tenant-host, e.g. REST transcoded by Envoy): the base domains
  // whose first label is a tenant's subdomain.
  std::vector<std::string> base_domains;
};

class CallGuard {
 public:
  CallGuard(ServicePolicy policy, GuardOptions options);

  const ServicePolicy& policy() const { return policy_; }

  // Checks the call's metadata against `method`'s scope. On a rate-limit
  // refusal it adds the retry-after hint to the context's trailers.
  absl::StatusOr<CallContext> Admit(grpc::ServerContext* context,
                                    std::string_view method) const;

  // Admits the call, then runs `body(call_context)` with the call context
  // installed. The body runs only when admitted.
  template <typename Body>
  grpc::Status Run(grpc::ServerContext* context, std::string_view method,
                   Body&& body) const {
    absl::StatusOr<CallContext> call = Admit(context, method);
    if (!call.ok()) return ToGrpcStatus(call.status());
    ScopedCallContext installed(*call);
    return ToGrpcStatus(std::forward<Body>(body)(*call));
  }

 private:
  absl::Status Refuse(const CallContext& call, std::string_view method,
                      absl::Status status) const;
  // Admits a principal-scoped call's token (or its absence).
  absl::Status AdmitPrincipal(grpc::ServerContext* context, CallScope scope,
                              const TenantState& tenant,
                              std::string_view method, CallContext& call) const;
  // A failed authentication: charged to the client's and the tenant's
  // failure budgets, audited (aggregated), and answered with `status`.
  absl::Status AuthFailed(const CallContext& call, std::string_view method,
                          absl::Status status) const;
  absl::Status Limit(grpc::ServerContext* context, const std::string& key,
                     const RateLimit& limit, std::string_view what) const;
  // This replica's share of a global budget.
  RateLimit Share(const RateLimit& limit) const;
  // The client's failed-authentication budget (this replica's share), one
  // bucket for bearer and system tokens: how long the client must still
  // wait, and charging it one failure.
  std::optional<absl::Duration> ClientFailureWait(
      const CallContext& call) const;
  void ChargeClientFailure(const CallContext& call) const;
  // The admin the call's x-system-token names, if any: nullopt without a
  // token or for one that resolves to nobody (charged to the client's
  // failure budget); an error when the client is over that budget or the
  // resolver is unavailable.
  absl::StatusOr<std::optional<SystemAdminIdentity>> SystemAdminOf(
      grpc::ServerContext* context, const CallContext& call) const;
  // Installs `admin` as the caller of `call`.
  static void ActAsSystemAdmin(const SystemAdminIdentity& admin,
                               CallContext& call);

  const ServicePolicy policy_;
  const GuardOptions options_;
  const std::string internal_token_digest_;
  mutable RateLimiter limiter_;
};

}  // namespace adcp
