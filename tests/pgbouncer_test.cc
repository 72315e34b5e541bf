// The suite behind Debian's PgBouncer (1.18) in transaction pooling mode
// (issue 27): the services' pools go through it with unprepared statements,
// their listeners (LISTEN/NOTIFY) reach the database directly. Real flows
// (tenants, principals, create_media_buy, token rotation reaching the caches,
// deactivation) run through it; PgPool shows why the statement mode is a
// setting, and that no session state crosses from one client's transaction
// to another's on a shared server connection.
#include "tests/support/pgbouncer.h"

#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <set>

#include "libs/db/pg_pool.h"
#include "services/media-buy/testing/media_buy_harness.h"
#include "tests/support/eventually.h"

namespace adcp {
namespace {

using ::adcp::testing::PgBouncer;
using ::adcp::testing::ServiceRole;
using ::adcp::testing::TestDatabase;

// Two clients (pools of one connection each) of one PgBouncer whose registry
// role has a single server connection: every transaction of either runs on
// the same server session, one after the other.
class SharedServerSession {
 protected:
  void Open(StatementMode mode) {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(
        db_->ExecAsSuperuser("INSERT INTO tenants (tenant_id, name, subdomain) "
                             "VALUES ('tenant-a', 'a', 'a'); "
                             "INSERT INTO audit_log (tenant_id, operation, "
                             "principal_id, success) "
                             "VALUES ('tenant-a', 'op', 'p', true)")
            .ok());
    auto bouncer = PgBouncer::Start(*db_, {.server_connections = 1});
    ASSERT_TRUE(bouncer.ok()) << bouncer.status();
    bouncer_ = *std::move(bouncer);
    for (auto& pool : pools_) {
      pool = std::make_unique<PgPool>(
          PgPool::Options{.conninfo = bouncer_->RoleUrl(ServiceRole::kRegistry),
                          .size = 1,
                          .statement_mode = mode},
          PgPool::Statements{
              {"audit_rows",
               "SELECT count(*) FROM audit_log WHERE tenant_id = $1"}});
    }
  }

  // The rows of tenant-a's audit log that `pool` sees in a tenant
  // transaction, and the server session it ran on.
  absl::Status CountRows(PgPool& pool, int& rows, int& backend) {
    return pool.WithTenantTransaction("tenant-a", [&](TenantTxn& txn) {
      rows = txn.Exec("audit_rows")[0][0].as<int>();
      backend = txn.work().exec1("SELECT pg_backend_pid()")[0].as<int>();
      return absl::OkStatus();
    });
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgBouncer> bouncer_;
  std::unique_ptr<PgPool> pools_[2];
};

class TransactionPoolingTest : public SharedServerSession,
                               public ::testing::TestWithParam<StatementMode> {
 protected:
  void SetUp() override { Open(GetParam()); }
};

class UnpreparedPoolingTest : public SharedServerSession,
                              public ::testing::Test {
 protected:
  void SetUp() override { Open(StatementMode::kUnprepared); }
};

TEST_P(TransactionPoolingTest, OnlyUnpreparedStatementsSurviveASharedServer) {
  int rows = 0, first_backend = 0, second_backend = 0;
  ASSERT_TRUE(CountRows(*pools_[0], rows, first_backend).ok());
  EXPECT_EQ(rows, 1);
  // The second client meets the session the first one left: in prepared
  // mode its statements' names are taken there already.
  const absl::Status second = CountRows(*pools_[1], rows, second_backend);
  if (GetParam() == StatementMode::kPrepared) {
    EXPECT_FALSE(second.ok());
  } else {
    ASSERT_TRUE(second.ok()) << second;
    EXPECT_EQ(rows, 1);
    EXPECT_EQ(second_backend, first_backend);
  }
}

TEST_F(UnpreparedPoolingTest, TheTenantDoesNotOutliveItsTransaction) {
  int rows = 0, tenant_backend = 0;
  ASSERT_TRUE(CountRows(*pools_[0], rows, tenant_backend).ok());
  // The other client, on the same server session, sets no tenant: it sees
  // neither the setting nor a row.
  ASSERT_TRUE(pools_[1]
                  ->WithTransaction([&](PgTxn& txn) {
                    const pqxx::row row = txn.exec1(
                        "SELECT COALESCE(current_setting('app.tenant_id', "
                        "true), ''), (SELECT count(*) FROM audit_log), "
                        "pg_backend_pid()");
                    EXPECT_EQ(row[0].as<std::string>(), "");
                    EXPECT_EQ(row[1].as<int>(), 0);
                    EXPECT_EQ(row[2].as<int>(), tenant_backend);
                    return absl::OkStatus();
                  })
                  .ok());
}

INSTANTIATE_TEST_SUITE_P(
    StatementModes, TransactionPoolingTest,
    ::testing::Values(StatementMode::kPrepared, StatementMode::kUnprepared),
    [](const ::testing::TestParamInfo<StatementMode>& info) {
      return std::string(StatementModeName(info.param));
    });

}  // namespace

namespace media_buy::testing {
namespace {

constexpr char kNyt[] = "nytimes";

// The media-buy harness (registry, auth and media-buy, the seed's tenants,
// principals and products) with every service behind the PgBouncer.
class BehindPgBouncerTest : public MediaBuyHarness {
 protected:
  bool ThroughPgBouncer() const override { return true; }

  static absl::Time Day(int n) { return Epoch() + absl::Hours(24 * n); }

  long long TransactionsServed() {
    auto served = suite_->pgbouncer()->TransactionsServed();
    EXPECT_TRUE(served.ok()) << served.status();
    return served.value_or(0);
  }

  // The roles PgBouncer has clients of (SHOW CLIENTS).
  std::set<std::string> ClientRoles() {
    std::set<std::string> roles;
    auto clients = suite_->pgbouncer()->Show("CLIENTS");
    EXPECT_TRUE(clients.ok()) << clients.status();
    if (!clients.ok()) return roles;
    for (const auto& row : *clients) roles.insert(row.at("user"));
    return roles;
  }
};

TEST_F(BehindPgBouncerTest, TheSetUpRanThroughIt) {
  // Tenants (registry), principals (auth) and products (media-buy) exist:
  // every service's pool is a client of PgBouncer.
  const auto roles = ClientRoles();
  for (ServiceRole role :
       {ServiceRole::kRegistry, ServiceRole::kAuth, ServiceRole::kMediaBuy}) {
    EXPECT_TRUE(roles.contains(suite_->db().role_name(role)))
        << suite_->db().role_name(role);
  }
  EXPECT_GT(TransactionsServed(), 10);
}

TEST_F(BehindPgBouncerTest, CreateMediaBuyAndItsReplayAndReads) {
  const long long before = TransactionsServed();
  const auto request =
      BuyRequest(Key("pgb"), "nyt_display", 1000, Day(1), Day(11));
  const auto created = MustCreate(kNyt, tokens_["nyt_a"], request);
  ASSERT_FALSE(created.media_buy_id().empty());
  // The same key replays the stored answer (the idempotency row).
  const auto replay = MustCreate(kNyt, tokens_["nyt_a"], request);
  EXPECT_EQ(replay.media_buy_id(), created.media_buy_id());
  EXPECT_EQ(
      MustGetBuy(kNyt, tokens_["nyt_a"], created.media_buy_id()).media_buy_id(),
      created.media_buy_id());
  // Another buyer of the tenant does not see it.
  v1::GetMediaBuysRequest get;
  get.add_media_buy_ids(created.media_buy_id());
  EXPECT_EQ(Call(&Stub::GetMediaBuys, kNyt, tokens_["nyt_b"], get).error.code(),
            "MEDIA_BUY_NOT_FOUND");
  EXPECT_EQ(Count("SELECT count(*) FROM media_buys"), 1);
  EXPECT_GE(TransactionsServed() - before, 3);
}

TEST_F(BehindPgBouncerTest, RotationReachesTheCachesThroughTheDirectListener) {
  v1::GetMediaBuysRequest get;
  ASSERT_TRUE(Call(&Stub::GetMediaBuys, kNyt, tokens_["nyt_a"], get).ok());
  auth::v1::RotateTokenRequest rotate;
  rotate.set_principal_id("buyer_a");
  auth::v1::PrincipalWithToken rotated;
  ASSERT_TRUE(
      suite_->auth()
          .RotateToken(suite_->AdminContext(kNyt).get(), rotate, &rotated)
          .ok());
  // auth's PrincipalCache drops the old token on the NOTIFY, media-buy's
  // resolver with it.
  const absl::Time start = absl::Now();
  EXPECT_TRUE(adcp::testing::Eventually(
      [&] {
        return Call(&Stub::GetMediaBuys, kNyt, tokens_["nyt_a"], get)
                   .status.error_code() == grpc::StatusCode::UNAUTHENTICATED;
      },
      absl::Seconds(1)))
      << "the old token still worked after " << absl::Now() - start;
  EXPECT_TRUE(
      Call(&Stub::GetMediaBuys, kNyt, rotated.access_token(), get).ok());
}

TEST_F(BehindPgBouncerTest, DeactivationReachesEveryServiceWithinASecond) {
  ASSERT_TRUE(suite_->SetTenantActive("localnews", false).ok());
  EXPECT_TRUE(suite_->AwaitTenantState("localnews", false, absl::Seconds(1)));
  v1::GetMediaBuysRequest get;
  EXPECT_EQ(Call(&Stub::GetMediaBuys, "localnews", tokens_["local_a"], get)
                .status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace media_buy::testing
}  // namespace adcp
