// The CallGuard tests' fixture: a health service on a local port whose
// Check runs guard.Run(context, request.service(), body), so each call names
// the method (and with it the scope) it is admitted for. Tenants and
// principals come from in-memory fakes; the clock is the test's.
// Used by guard_test.cc (admission) and guard_limits_test.cc (budgets,
// failed authentications and their audit rows).
#pragma once

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/db/pg_pool.h"
#include "libs/tenancy/guard.h"
#include "tests/support/test_database.h"

namespace adcp::guard_test {

namespace health = ::grpc::health::v1;

constexpr char kInternalToken[] = "internal-token-for-guard-tests";
constexpr char kSystemToken[] = "system-token-for-guard-tests";

inline ServicePolicy Policy() {
  return {{"Platform", CallScope::kPlatform},
          {"System", CallScope::kSystemAdmin},
          {"FirstAdmin", CallScope::kSystemAdminOrBootstrap},
          {"Tenant", CallScope::kTenant},
          {"TenantAdmin", CallScope::kTenantAdmin},
          {"Principal", CallScope::kPrincipal},
          {"Optional", CallScope::kPrincipalOptional},
          {"Discovery", CallScope::kDiscovery}};
}

class FakeTenants : public TenantDirectory {
 public:
  absl::StatusOr<TenantState> Find(const std::string& id) const override {
    if (unavailable) return absl::UnavailableError("not loaded yet");
    auto it = tenants.find(id);
    if (it == tenants.end()) return absl::NotFoundError("no such tenant");
    return it->second;
  }
  // "<id>.<base domain>" names tenant <id>.
  std::string TenantIdByHost(
      std::string_view host,
      const std::vector<std::string>& base_domains) const override {
    for (const std::string& base : base_domains) {
      const std::string suffix = "." + base;
      if (host.size() > suffix.size() && host.ends_with(suffix)) {
        std::string id(host.substr(0, host.size() - suffix.size()));
        if (tenants.contains(id)) return id;
      }
    }
    return "";
  }

  std::map<std::string, TenantState> tenants;
  std::atomic<bool> unavailable{false};
};

class FakePrincipals : public PrincipalResolver {
 public:
  absl::StatusOr<ResolvedPrincipal> Resolve(
      const std::string& tenant_id, const std::string& token) const override {
    ++resolves_;
    return Lookup(tenant_id, token);
  }
  std::optional<absl::StatusOr<ResolvedPrincipal>> ResolveFromMemory(
      const std::string& tenant_id, const std::string& token) const override {
    if (!in_memory.contains(token)) return std::nullopt;
    return Lookup(tenant_id, token);
  }
  int resolves() const { return resolves_; }

  std::map<std::pair<std::string, std::string>, ResolvedPrincipal> tokens;
  std::set<std::string> in_memory;

 private:
  absl::StatusOr<ResolvedPrincipal> Lookup(const std::string& tenant_id,
                                           const std::string& token) const {
    auto it = tokens.find({tenant_id, token});
    if (it == tokens.end()) return absl::UnauthenticatedError("unknown token");
    return it->second;
  }
  mutable std::atomic<int> resolves_{0};
};

// One named admin ("ops", token kSystemToken) and, when set, a bootstrap
// token.
class FakeSystemAdmins : public SystemAdminResolver {
 public:
  absl::StatusOr<SystemAdminIdentity> Resolve(
      const std::string& token, const std::string& client) const override {
    ++resolves_;
    if (token == kSystemToken) return SystemAdminIdentity{.admin_id = "ops"};
    if (!bootstrap.empty() && token == bootstrap)
      return SystemAdminIdentity{.bootstrap = true};
    return absl::UnauthenticatedError("unknown system token");
  }
  int resolves() const { return resolves_; }

  std::string bootstrap;

 private:
  mutable std::atomic<int> resolves_{0};
};

// Runs the guard for the method named by the request; remembers what the
// admitted body saw.
class GuardedHealth final : public health::Health::Service {
 public:
  void set_guard(std::unique_ptr<CallGuard> guard) {
    guard_ = std::move(guard);
  }

  grpc::Status Check(grpc::ServerContext* context,
                     const health::HealthCheckRequest* request,
                     health::HealthCheckResponse*) override {
    return guard_->Run(
        context, request->service(), [&](const CallContext& call) {
          const CallContext* current = CurrentCallContext();
          std::lock_guard<std::mutex> lock(mutex_);
          seen_.last = call;
          seen_.installed = current != nullptr &&
                            current->tenant_id == call.tenant_id &&
                            current->principal_id == call.principal_id;
          ++seen_.runs;
          return absl::OkStatus();
        });
  }

  struct Seen {
    CallContext last;        // of the last admitted call
    bool installed = false;  // it was the thread's call context in the body
    int runs = 0;            // bodies run
  };
  Seen seen() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

 private:
  std::unique_ptr<CallGuard> guard_;
  mutable std::mutex mutex_;
  Seen seen_;
};

// What a test call sends. `raw` is written as is (for values ForwardTenant
// would refuse to send).
struct Caller {
  std::string internal_token = kInternalToken;
  std::string tenant_id;
  std::string tenant_host;
  std::string bearer;
  std::string system;
  std::string client;
  std::string request_id;
  std::vector<std::pair<std::string, std::string>> raw;
};

class CallGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& tenants = tenants_->tenants;
    tenants["alpha"] = {.active = true};
    tenants["bravo"] = {.active = false};
    tenants["open"] = {.active = true,
                       .anonymous_limit = RateLimit{1, 2},
                       .anonymous_discovery = true};
    tenants["tight"] = {.active = true,
                        .tenant_limit = RateLimit{1, 4},
                        .principal_limit = RateLimit{1, 2}};
    auto& tokens = principals_->tokens;
    tokens[{"alpha", "alpha-admin-token"}] = {"alpha_admin", true};
    tokens[{"alpha", "alpha-buyer-token"}] = {
        "buyer", false,
        nlohmann::json::parse(R"({"kevel": {"advertiser_id": "7"}})")};
    tokens[{"bravo", "bravo-admin-token"}] = {"bravo_admin", true};
    tokens[{"open", "open-buyer-token"}] = {"open_buyer", false};
    for (const char* p : {"a", "b", "c"})
      tokens[{"tight", absl::StrCat("tight-", p, "-token")}] = {p, false};
    principals_->in_memory = {"alpha-buyer-token"};

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&service_);
    Start(Options());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = health::Health::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  GuardOptions Options() {
    GuardOptions options;
    options.internal_token = kInternalToken;
    options.system_admins = system_admins_;
    options.tenants = tenants_;
    options.principals = principals_;
    options.clock = [this] {
      std::lock_guard<std::mutex> lock(clock_mutex_);
      return now_;
    };
    options.base_domains = {"example.com"};
    return options;
  }
  // Replaces the guard (before any call that depends on the change).
  void Start(GuardOptions options) {
    service_.set_guard(
        std::make_unique<CallGuard>(Policy(), std::move(options)));
  }
  void Advance(absl::Duration by) {
    std::lock_guard<std::mutex> lock(clock_mutex_);
    now_ += by;
  }

  // Calls `method` as `caller`; `retry_after` gets the retry-after-ms
  // trailer, if any.
  grpc::Status Call(const std::string& method, const Caller& caller,
                    std::string* retry_after = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    const absl::Status forwarded =
        ForwardTenant(&context, {.internal_token = caller.internal_token,
                                 .tenant_id = caller.tenant_id,
                                 .bearer_token = caller.bearer,
                                 .system_token = caller.system,
                                 .tenant_host = caller.tenant_host,
                                 .client_address = caller.client,
                                 .request_id = caller.request_id});
    EXPECT_TRUE(forwarded.ok()) << forwarded;
    for (const auto& [key, value] : caller.raw) context.AddMetadata(key, value);
    health::HealthCheckRequest request;
    request.set_service(method);
    health::HealthCheckResponse response;
    const grpc::Status status = stub_->Check(&context, request, &response);
    if (retry_after != nullptr) {
      const auto& trailers = context.GetServerTrailingMetadata();
      auto it = trailers.find(kRetryAfterKey);
      *retry_after = it == trailers.end()
                         ? ""
                         : std::string(it->second.data(), it->second.size());
    }
    return status;
  }
  grpc::StatusCode Code(const std::string& method, const Caller& caller) {
    return Call(method, caller).error_code();
  }
  CallContext last() const { return service_.seen().last; }
  bool installed() const { return service_.seen().installed; }
  int runs() const { return service_.seen().runs; }

  const std::shared_ptr<FakeTenants> tenants_ = std::make_shared<FakeTenants>();
  const std::shared_ptr<FakeSystemAdmins> system_admins_ =
      std::make_shared<FakeSystemAdmins>();
  const std::shared_ptr<FakePrincipals> principals_ =
      std::make_shared<FakePrincipals>();
  std::mutex clock_mutex_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  GuardedHealth service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<health::Health::Stub> stub_;
};

}  // namespace adcp::guard_test
