// The tenant registry, auth and media-buy services assembled in-process on a
// fresh throwaway database, reached over real gRPC channels, with helpers
// that act as the system admin. With `replicas` > 1 each service runs that
// many times (own ports, pools, caches and listeners, one database) and
// every channel, the services' own included, balances over all of them
// (round_robin over an "ipv4:a,b,c" target).
#pragma once

#include <grpcpp/client_context.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "adcp/auth/v1/auth.grpc.pb.h"
#include "adcp/media_buy/v1/media_buy.grpc.pb.h"
#include "adcp/tenant/v1/tenant_registry.grpc.pb.h"
#include "services/auth/auth_server.h"
#include "services/media-buy/media_buy_server.h"
#include "services/tenant-registry/tenant_registry_server.h"
#include "tests/support/pgbouncer.h"
#include "tests/support/test_database.h"

namespace adcp::testing {

struct SuiteOptions {
  // The media-buy service's clock (delivery, flights).
  media_buy::Clock media_buy_clock = [] { return absl::Now(); };
  // Changes the media-buy config before it starts (by default the mock
  // serves every tenant's ad server).
  std::function<void(media_buy::MediaBuyConfig&)> configure_media_buy;
  // Changes each auth replica's config before it starts.
  std::function<void(auth::AuthConfig&)> configure_auth;
  // The services reach the database through a PgBouncer in transaction
  // pooling mode, with unprepared statements, and LISTEN on the database
  // itself.
  bool through_pgbouncer = false;
  // Instances of each service.
  int replicas = 1;
};

class Suite {
 public:
  // The registry's AUDIT_SIGNING_KEY (signs hard-delete tombstones).
  static constexpr char kAuditSigningKey[] =
      "suite-audit-signing-key-0123456789abcdef";

  static absl::StatusOr<std::unique_ptr<Suite>> Start(
      SuiteOptions options = {});
  ~Suite();

  TestDatabase& db() { return *db_; }
  // The PgBouncer in front of db(), when through_pgbouncer; else null.
  PgBouncer* pgbouncer() { return pgbouncer_.get(); }
  const std::string& internal_token() const { return internal_token_; }
  // An API token of the named admin kSuiteAdminId, made at start-up with
  // the bootstrap token.
  const std::string& system_token() const { return system_token_; }
  // The bootstrap token (auth holds only its SHA-256); spent by start-up.
  const std::string& bootstrap_token() const { return bootstrap_token_; }
  // Targets for MakeServiceChannel: "127.0.0.1:port", or with several
  // replicas "ipv4:127.0.0.1:p1,127.0.0.1:p2,...".
  std::string registry_address() const;
  std::string auth_address() const;
  std::string media_buy_address() const;
  // One replica's "127.0.0.1:port".
  std::string auth_address(int replica) const;
  std::string media_buy_address(int replica) const;
  // Stubs on one replica only (channels with the internal token).
  auth::v1::Auth::Stub& auth(int replica) { return *auth_replicas_[replica]; }
  media_buy::v1::MediaBuyService::Stub& media_buy(int replica) {
    return *media_buy_replicas_[replica];
  }
  int replicas() const { return static_cast<int>(auth_.size()); }
  auth::AuthServer& auth_server(int replica = 0) { return *auth_[replica]; }
  media_buy::MediaBuyServer& media_buy_server(int replica = 0) {
    return *media_buy_[replica];
  }

  // Channels that carry the internal token (as the suite's services do).
  std::shared_ptr<grpc::Channel> registry_channel() const {
    return registry_channel_;
  }
  std::shared_ptr<grpc::Channel> auth_channel() const { return auth_channel_; }
  tenant::v1::TenantRegistry::Stub& registry() { return *registry_; }
  auth::v1::Auth::Stub& auth() { return *auth_stub_; }
  media_buy::v1::MediaBuyService::Stub& media_buy() { return *media_buy_stub_; }

  // A context with a 10 s deadline and the given credentials ("" = none).
  static std::unique_ptr<grpc::ClientContext> Context(
      const std::string& tenant_id, const std::string& bearer_token,
      const std::string& system_token);
  std::unique_ptr<grpc::ClientContext> AdminContext(
      const std::string& tenant_id = "") const {
    return Context(tenant_id, "", system_token_);
  }

  // System admin helpers; each returns the created or changed object.
  absl::StatusOr<tenant::v1::Tenant> CreateTenant(
      const std::string& tenant_id, const std::string& config_json = "{}");
  absl::Status SetTenantActive(const std::string& tenant_id, bool active);
  absl::Status PatchTenantConfig(const std::string& tenant_id,
                                 const std::string& patch_json);
  absl::StatusOr<auth::v1::PrincipalWithToken> CreatePrincipal(
      const std::string& tenant_id, const std::string& principal_id);

  // Waits until every auth and media-buy replica's view of `tenant_id`
  // matches `active`.
  bool AwaitTenantState(const std::string& tenant_id, bool active,
                        absl::Duration timeout);

 private:
  Suite() = default;
  // The role's conninfo as the services use it: through PgBouncer or not.
  std::string DatabaseUrl(ServiceRole role) const;
  ServiceConfig ServiceConfigFor(const std::string& name,
                                 ServiceRole role) const;

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgBouncer> pgbouncer_;
  std::string internal_token_, system_token_, bootstrap_token_;
  // Auth's address, known before auth starts (the registry resolves system
  // admin tokens there): its ports are picked first.
  std::string auth_target_;
  std::vector<std::unique_ptr<tenant_registry::TenantRegistryServer>>
      registry_servers_;
  std::vector<std::unique_ptr<auth::AuthServer>> auth_;
  std::vector<std::unique_ptr<media_buy::MediaBuyServer>> media_buy_;
  // One stub per replica (AwaitTenantState asks each).
  std::vector<std::unique_ptr<auth::v1::Auth::Stub>> auth_replicas_;
  std::vector<std::unique_ptr<media_buy::v1::MediaBuyService::Stub>>
      media_buy_replicas_;
  std::shared_ptr<grpc::Channel> registry_channel_, auth_channel_;
  std::unique_ptr<tenant::v1::TenantRegistry::Stub> registry_;
  std::unique_ptr<auth::v1::Auth::Stub> auth_stub_;
  std::unique_ptr<media_buy::v1::MediaBuyService::Stub> media_buy_stub_;
};

// ServiceConfig for a server under test: loopback, port 0, short waits;
// system admin tokens are resolved by auth at `auth_address`.
ServiceConfig TestServiceConfig(const std::string& name,
                                const std::string& database_url,
                                const std::string& internal_token,
                                const std::string& auth_address);

// A TCP port of 127.0.0.1 that was free a moment ago: for auth, whose
// address the registry needs before auth (which needs the registry) starts.
int FreeLoopbackPort();

// The first named admin of a test deployment and its password.
inline constexpr char kSuiteAdminId[] = "suite-admin";
inline constexpr char kSuiteAdminPassword[] = "suite-admin-password";

// What an operator does once: creates kSuiteAdminId with the bootstrap
// token, signs in with its password, and mints an API token, which it
// returns. `auth` carries the internal token.
absl::StatusOr<std::string> BootstrapSystemAdmin(
    std::shared_ptr<grpc::Channel> auth, const std::string& bootstrap_token);

}  // namespace adcp::testing
