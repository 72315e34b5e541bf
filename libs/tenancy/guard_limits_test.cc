// CallGuard's budgets over real gRPC calls (guard_test_fixture.h): tenant,
// principal and anonymous budgets, failed authentications throttled before
// any lookup, and their aggregated audit rows.
#include <gtest/gtest.h>

#include "libs/tenancy/guard_test_fixture.h"

namespace adcp::guard_test {
namespace {

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

// The failed-authentication budget of a client is global too, for system
// tokens as for bearer tokens: with three replicas, this one refuses the
// client after a third of the burst.
TEST_F(CallGuardTest, EachOfNReplicasKeepsOneNthOfTheSystemTokenFailures) {
  GuardOptions options = Options();
  options.limits.auth_failures_client = {.per_second = 1, .burst = 9};
  options.replicas = [] { return 3; };
  Start(options);
  const Caller wrong{.system = "a-wrong-system-token", .client = "10.0.0.9"};
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(Code("System", wrong), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Code("System", wrong), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(CallGuardTest, EachOfNReplicasKeepsOneNthOfTheBudgets) {
  // Three replicas: the principal budget of "tight" (2, 1/s) and the
  // tenant's (4, 1/s) are global, so this replica keeps a third of each
  // (a burst of at least one call), refilled at a third of the rate.
  std::atomic<int> replicas{3};
  GuardOptions options = Options();
  options.replicas = [&replicas] { return replicas.load(); };
  Start(options);
  const Caller buyer{.tenant_id = "tight", .bearer = "tight-a-token"};
  ASSERT_TRUE(Call("Principal", buyer).ok());
  // Alone, the replica would admit a second call (bursts of 4 and 2).
  std::string retry_after;
  const grpc::Status second = Call("Principal", buyer, &retry_after);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(
      second.error_message().starts_with("rate limit of this tenant exceeded"))
      << second.error_message();
  // 2/3 of a call at 1/3 per second (+1 ms of rounding up).
  EXPECT_NEAR(std::stoi(retry_after), 2000, 1);
  Advance(absl::Seconds(1));
  EXPECT_EQ(Code("Principal", buyer), grpc::StatusCode::RESOURCE_EXHAUSTED);
  Advance(absl::Seconds(2));
  EXPECT_TRUE(Call("Principal", buyer).ok());
  // One replica left: its budget is the whole one again.
  replicas = 1;
  Advance(absl::Seconds(2));
  EXPECT_TRUE(Call("Principal", buyer).ok());
  EXPECT_TRUE(Call("Principal", buyer).ok());
  EXPECT_EQ(Code("Principal", buyer), grpc::StatusCode::RESOURCE_EXHAUSTED);
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
}  // namespace adcp::guard_test
