// CallGuard over real gRPC calls: a health service on a local port whose
// Check runs guard.Run(context, request.service(), body), so each call names
// the method (and with it the scope) it is admitted for. Tenants and
// principals come from in-memory fakes; the clock is the test's.
#include "libs/tenancy/guard.h"

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
#include "tests/support/test_database.h"

namespace adcp {
namespace {

namespace health = ::grpc::health::v1;

constexpr char kInternalToken[] = "internal-token-for-guard-tests";
constexpr char kSystemToken[] = "system-token-for-guard-tests";

ServicePolicy Policy() {
  return {{"Platform", CallScope::kPlatform},
          {"System", CallScope::kSystemAdmin},
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
    options.system_token = kSystemToken;
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
  const std::shared_ptr<FakePrincipals> principals_ =
      std::make_shared<FakePrincipals>();
  std::mutex clock_mutex_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  GuardedHealth service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<health::Health::Stub> stub_;
};

TEST_F(CallGuardTest, RefusesAMethodWithoutAPolicy) {
  EXPECT_EQ(Code("NotInThePolicy", Caller{}), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(runs(), 0);
}

TEST_F(CallGuardTest, EveryScopeNeedsTheInternalToken) {
  for (const auto& [method, scope] : Policy()) {
    Caller missing{.internal_token = "",
                   .tenant_id = "alpha",
                   .bearer = "alpha-admin-token",
                   .system = kSystemToken};
    Caller wrong = missing;
    wrong.internal_token = "not-the-internal-token";
    EXPECT_EQ(Code(method, missing), grpc::StatusCode::UNAUTHENTICATED)
        << method;
    EXPECT_EQ(Code(method, wrong), grpc::StatusCode::UNAUTHENTICATED) << method;
  }
  EXPECT_EQ(runs(), 0);
}

TEST_F(CallGuardTest, PlatformScopeNeedsNothingElse) {
  ASSERT_TRUE(Call("Platform", Caller{}).ok());
  EXPECT_EQ(last().tenant_id, "");
  EXPECT_EQ(last().principal_id, "");
  EXPECT_FALSE(last().system_admin);
}

TEST_F(CallGuardTest, SystemAdminScopeTakesOnlyTheSystemToken) {
  EXPECT_EQ(Code("System", Caller{}), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Code("System", Caller{.system = "a-wrong-system-token"}),
            grpc::StatusCode::PERMISSION_DENIED);
  // A tenant admin's token is no system token.
  EXPECT_EQ(Code("System",
                 Caller{.tenant_id = "alpha", .bearer = "alpha-admin-token"}),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(runs(), 0);
  ASSERT_TRUE(Call("System", Caller{.system = kSystemToken}).ok());
  EXPECT_EQ(last().principal_id, "system");
  EXPECT_TRUE(last().system_admin);
}

TEST_F(CallGuardTest, WithoutASystemTokenConfiguredSystemAdminIsRefused) {
  GuardOptions options = Options();
  options.system_token = "";
  Start(options);
  EXPECT_EQ(Code("System", Caller{.system = kSystemToken}),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CallGuardTest, TenantScopeNeedsAKnownActiveTenant) {
  EXPECT_EQ(Code("Tenant", Caller{}), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Code("Tenant", Caller{.raw = {{kTenantIdKey, "Not_A_Label"}}}),
            grpc::StatusCode::INVALID_ARGUMENT);
  const grpc::Status unknown = Call("Tenant", Caller{.tenant_id = "nobody"});
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(unknown.error_message(), "tenant not found");
  EXPECT_EQ(Code("Tenant", Caller{.tenant_id = "bravo"}),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(runs(), 0);
  ASSERT_TRUE(Call("Tenant", Caller{.tenant_id = "alpha"}).ok());
  EXPECT_EQ(last().tenant_id, "alpha");
  EXPECT_EQ(last().principal_id, "");
}

TEST_F(CallGuardTest, ATenantDirectoryNotLoadedYetIsUnavailable) {
  tenants_->unavailable = true;
  EXPECT_EQ(Code("Tenant", Caller{.tenant_id = "alpha"}),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(CallGuardTest, TheTenantMayBeNamedByTheHttpHost) {
  ASSERT_TRUE(Call("Tenant", Caller{.tenant_host = "alpha.example.com"}).ok());
  EXPECT_EQ(last().tenant_id, "alpha");
  const grpc::Status unknown =
      Call("Tenant", Caller{.tenant_host = "nobody.example.com"});
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(unknown.error_message(), "Tenant not found");
  // x-tenant-id, when sent, wins over the host.
  ASSERT_TRUE(Call("Tenant", Caller{.tenant_id = "open",
                                    .tenant_host = "alpha.example.com"})
                  .ok());
  EXPECT_EQ(last().tenant_id, "open");
}

TEST_F(CallGuardTest, PrincipalScopeNeedsALiveTokenOfThatTenant) {
  EXPECT_EQ(Code("Principal", Caller{.tenant_id = "alpha"}),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Code("Principal",
                 Caller{.tenant_id = "alpha",
                        .raw = {{kAuthorizationKey, "Basic YWxwaGE6eA=="}}}),
            grpc::StatusCode::UNAUTHENTICATED);
  const grpc::Status made_up =
      Call("Principal", Caller{.tenant_id = "alpha", .bearer = "made-up"});
  EXPECT_EQ(made_up.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(made_up.error_message(), "invalid or revoked token");
  // Another tenant's token is worthless here.
  EXPECT_EQ(Code("Principal",
                 Caller{.tenant_id = "alpha", .bearer = "open-buyer-token"}),
            grpc::StatusCode::UNAUTHENTICATED);
  // An inactive tenant's own valid token.
  EXPECT_EQ(Code("Principal",
                 Caller{.tenant_id = "bravo", .bearer = "bravo-admin-token"}),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(runs(), 0);
  ASSERT_TRUE(Call("Principal",
                   Caller{.tenant_id = "alpha", .bearer = "alpha-buyer-token"})
                  .ok());
  EXPECT_EQ(last().principal_id, "buyer");
  EXPECT_EQ(last().principal_token, "alpha-buyer-token");
  EXPECT_FALSE(last().is_admin);
  EXPECT_EQ(last().platform_mappings["kevel"]["advertiser_id"], "7");
}

TEST_F(CallGuardTest, TenantAdminScopeNeedsTheAdminPrincipalOrTheSystemToken) {
  EXPECT_EQ(Code("TenantAdmin",
                 Caller{.tenant_id = "alpha", .bearer = "alpha-buyer-token"}),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Code("TenantAdmin", Caller{.tenant_id = "alpha"}),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(Call("TenantAdmin",
                   Caller{.tenant_id = "alpha", .bearer = "alpha-admin-token"})
                  .ok());
  EXPECT_EQ(last().principal_id, "alpha_admin");
  EXPECT_TRUE(last().is_admin);
  EXPECT_FALSE(last().system_admin);
  // The system admin manages even an inactive tenant.
  ASSERT_TRUE(
      Call("TenantAdmin", Caller{.tenant_id = "bravo", .system = kSystemToken})
          .ok());
  EXPECT_EQ(last().tenant_id, "bravo");
  EXPECT_EQ(last().principal_id, "system");
  EXPECT_TRUE(last().system_admin);
}

TEST_F(CallGuardTest, AnonymousCallsWhereTheScopeAllowsThem) {
  ASSERT_TRUE(Call("Optional", Caller{.tenant_id = "alpha"}).ok());
  EXPECT_EQ(last().principal_id, "");
  EXPECT_EQ(last().tenant_id, "alpha");
  // A token, when sent, must be valid.
  EXPECT_EQ(Code("Optional", Caller{.tenant_id = "alpha", .bearer = "nope"}),
            grpc::StatusCode::UNAUTHENTICATED);
  // Discovery is anonymous only where the tenant allows it.
  EXPECT_EQ(Code("Discovery", Caller{.tenant_id = "alpha"}),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(Call("Discovery", Caller{.tenant_id = "open"}).ok());
  EXPECT_EQ(last().principal_id, "");
  ASSERT_TRUE(Call("Discovery",
                   Caller{.tenant_id = "open", .bearer = "open-buyer-token"})
                  .ok());
  EXPECT_EQ(last().principal_id, "open_buyer");
}

TEST_F(CallGuardTest, TheBodyRunsWithTheCallContextInstalled) {
  ASSERT_TRUE(Call("Principal", Caller{.tenant_id = "alpha",
                                       .bearer = "alpha-buyer-token",
                                       .client = "203.0.113.9",
                                       .request_id = "req-42"})
                  .ok());
  EXPECT_TRUE(installed());
  EXPECT_EQ(last().request_id, "req-42");
  EXPECT_EQ(last().client_address, "203.0.113.9");
  // Without x-adcp-client the client is the gRPC peer; a request id longer
  // than kMaxRequestIdBytes is dropped.
  ASSERT_TRUE(Call("Tenant",
                   Caller{.tenant_id = "alpha",
                          .raw = {{kRequestIdKey,
                                   std::string(kMaxRequestIdBytes + 1, 'r')}}})
                  .ok());
  EXPECT_EQ(last().client_address, "127.0.0.1");
  EXPECT_EQ(last().request_id, "");
  EXPECT_EQ(CurrentCallContext(), nullptr);  // only inside the body
}

TEST_F(CallGuardTest, TenantAndPrincipalBudgetsRefillWithTime) {
  // "tight": a tenant budget of 4 (1/s), a principal budget of 2 (1/s).
  auto as = [&](const char* token) {
    return Call("Principal", Caller{.tenant_id = "tight", .bearer = token});
  };
  ASSERT_TRUE(as("tight-a-token").ok());
  ASSERT_TRUE(as("tight-a-token").ok());
  std::string retry_after;
  const grpc::Status third =
      Call("Principal", Caller{.tenant_id = "tight", .bearer = "tight-a-token"},
           &retry_after);
  EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(third.error_message(),
            "rate limit of this principal exceeded; retry after " +
                retry_after + " ms");
  EXPECT_EQ(retry_after, "1000");
  // Another principal has a budget of its own; the tenant's is shared (the
  // refused call above spent one of it).
  ASSERT_TRUE(as("tight-b-token").ok());
  const grpc::Status over = as("tight-c-token");
  EXPECT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(
      over.error_message().starts_with("rate limit of this tenant exceeded"))
      << over.error_message();
  Advance(absl::Seconds(1));
  EXPECT_TRUE(as("tight-c-token").ok());
  // Other tenants are not affected.
  EXPECT_TRUE(Call("Principal",
                   Caller{.tenant_id = "alpha", .bearer = "alpha-buyer-token"})
                  .ok());
}

TEST_F(CallGuardTest, AnonymousCallsSpendTheClientsAndThePublishersBudgets) {
  GuardOptions options = Options();
  options.limits.client = {.per_second = 1, .burst = 1};
  Start(options);
  // "open": an anonymous budget of 2.
  auto from = [&](const char* client) {
    return Call("Discovery", Caller{.tenant_id = "open", .client = client});
  };
  ASSERT_TRUE(from("198.51.100.1").ok());
  const grpc::Status again = from("198.51.100.1");
  EXPECT_EQ(again.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(
      again.error_message().starts_with("rate limit of this client exceeded"));
  ASSERT_TRUE(from("198.51.100.2").ok());
  const grpc::Status flood = from("198.51.100.3");
  EXPECT_EQ(flood.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(flood.error_message().starts_with(
      "rate limit of this publisher's anonymous traffic exceeded"))
      << flood.error_message();
  // The publisher's buyers do not share that budget.
  EXPECT_TRUE(Call("Discovery", Caller{.tenant_id = "open",
                                       .bearer = "open-buyer-token",
                                       .client = "198.51.100.3"})
                  .ok());
}

TEST_F(CallGuardTest, AClientThatKeepsFailingIsRefusedBeforeAnyLookup) {
  GuardOptions options = Options();
  options.limits.auth_failures_client = {.per_second = 1, .burst = 3};
  Start(options);
  const Caller bad{
      .tenant_id = "alpha", .bearer = "guess", .client = "192.0.2.1"};
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(Code("Principal", bad), grpc::StatusCode::UNAUTHENTICATED);
  const int lookups = principals_->resolves();
  Caller good = bad;
  good.bearer = "alpha-buyer-token";
  const grpc::Status refused = Call("Principal", good);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(refused.error_message().starts_with(
      "too many failed authentications from this client"));
  EXPECT_EQ(principals_->resolves(), lookups);
  // Other clients go on; this one after its budget refills.
  Caller elsewhere = good;
  elsewhere.client = "192.0.2.2";
  EXPECT_TRUE(Call("Principal", elsewhere).ok());
  Advance(absl::Seconds(1));
  EXPECT_TRUE(Call("Principal", good).ok());
}

TEST_F(CallGuardTest, AFloodedTenantResolvesOnlyTokensKnownFromMemory) {
  GuardOptions options = Options();
  options.limits.auth_failures_tenant = {.per_second = 1, .burst = 3};
  Start(options);
  for (const char* client : {"192.0.2.1", "192.0.2.2", "192.0.2.3"})
    EXPECT_EQ(
        Code("Principal",
             Caller{.tenant_id = "alpha", .bearer = "guess", .client = client}),
        grpc::StatusCode::UNAUTHENTICATED);
  const int lookups = principals_->resolves();
  const grpc::Status unknown = Call(
      "Principal",
      Caller{.tenant_id = "alpha", .bearer = "guess2", .client = "192.0.2.4"});
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(unknown.error_message().starts_with(
      "too many failed authentications for this publisher"));
  // The admin's token is not in memory: refused like any other.
  EXPECT_EQ(Code("Principal", Caller{.tenant_id = "alpha",
                                     .bearer = "alpha-admin-token",
                                     .client = "192.0.2.4"}),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  // The buyer's token is: it goes on.
  ASSERT_TRUE(Call("Principal", Caller{.tenant_id = "alpha",
                                       .bearer = "alpha-buyer-token",
                                       .client = "192.0.2.4"})
                  .ok());
  EXPECT_EQ(last().principal_id, "buyer");
  EXPECT_EQ(principals_->resolves(), lookups);  // no lookup at all
  // Another tenant is not flooded.
  EXPECT_TRUE(Call("Principal", Caller{.tenant_id = "open",
                                       .bearer = "open-buyer-token",
                                       .client = "192.0.2.4"})
                  .ok());
}

// Failed authentications of a known tenant are audited, aggregated: one
// row per (client, method, reason) and window, with its count.
class CallGuardAuditTest : public CallGuardTest {
 protected:
  void SetUp() override {
    auto db = ::adcp::testing::TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(db_->ExecAsSuperuser("INSERT INTO tenants (tenant_id, name, "
                                     "subdomain) VALUES ('alpha', 'A', 'a')")
                    .ok());
    pool_ = std::make_unique<PgPool>(
        PgPool::Options{.conninfo = db_->MediaBuyUrl(), .size = 2},
        AuditLog::Statements());
    audit_ = std::make_unique<AuditLog>(*pool_);
    CallGuardTest::SetUp();
    GuardOptions options = Options();
    options.audit = audit_.get();
    Start(options);
  }

  // operation|principal|success|method|reason|client|count per row.
  std::vector<std::string> AuditRows() {
    audit_->Flush();
    pqxx::connection connection(db_->SuperuserUrl());
    pqxx::nontransaction txn(connection);
    std::vector<std::string> rows;
    for (const auto& row :
         txn.exec("SELECT concat_ws('|', operation, principal_id, success, "
                  "details->>'method', details->>'reason', details->>'client', "
                  "details->>'count') FROM audit_log WHERE tenant_id = 'alpha' "
                  "ORDER BY 1"))
      rows.push_back(row[0].as<std::string>());
    return rows;
  }

  std::unique_ptr<::adcp::testing::TestDatabase> db_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<AuditLog> audit_;
};

TEST_F(CallGuardAuditTest,
       FailedAuthenticationsBecomeOneRowPerReasonWithACount) {
  const Caller guess{
      .tenant_id = "alpha", .bearer = "guess", .client = "192.0.2.1"};
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(Code("Principal", guess), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      Code("Principal", Caller{.tenant_id = "alpha", .client = "192.0.2.1"}),
      grpc::StatusCode::UNAUTHENTICATED);
  // Admitted calls and unknown tenants leave no row.
  EXPECT_TRUE(Call("Principal",
                   Caller{.tenant_id = "alpha", .bearer = "alpha-buyer-token"})
                  .ok());
  EXPECT_EQ(Code("Principal", Caller{.tenant_id = "nobody", .bearer = "x"}),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(AuditRows(),
            (std::vector<std::string>{
                "auth_failed|anonymous|f|Principal|authorization: a bearer "
                "token of a principal is required|192.0.2.1|1",
                "auth_failed|anonymous|f|Principal|invalid or revoked "
                "token|192.0.2.1|3"}));
}

}  // namespace
}  // namespace adcp
