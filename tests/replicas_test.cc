// Three replicas of each service (Suite's replicas, one database), reached
// as the suite's own clients reach them: round_robin over every replica's
// address. What one replica learns, every replica learns within a second;
// concurrent retries spread over the replicas make one buy; and a buyer
// flooding all three gets its budget once, not three times.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <latch>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/tenancy/service_channel.h"
#include "services/media-buy/testing/media_buy_harness.h"
#include "tests/support/eventually.h"

namespace adcp::media_buy::testing {
namespace {

using ::adcp::testing::Eventually;
using ::adcp::testing::Suite;

constexpr int kReplicas = 3;
// The bound the issue sets for config, deactivation, rotation and
// revocation to reach every replica.
constexpr absl::Duration kPropagation = absl::Seconds(1);

// Printed for docs/architecture.md's figures.
void Measured(const std::string& what, absl::Duration took) {
  std::cout << "measured: " << what << " " << absl::FormatDuration(took)
            << "\n";
}

v1::GetProductsRequest ProductsRequest() {
  v1::GetProductsRequest request;
  request.set_buying_mode("brief");
  request.set_brief("display for a running shoe launch");
  return request;
}

class ReplicasTest : public MediaBuyHarness {
 protected:
  int Replicas() const override { return kReplicas; }

  // get_products on one media-buy replica ("" token: anonymous).
  grpc::StatusCode Products(int replica, const std::string& tenant,
                            const std::string& token) {
    const v1::GetProductsRequest request = ProductsRequest();
    v1::GetProductsResponse response;
    return suite_->media_buy(replica)
        .GetProducts(Suite::Context(tenant, token, "").get(), request,
                     &response)
        .error_code();
  }
  // ResolvePrincipal of `token` on one auth replica.
  grpc::StatusCode Resolve(int replica, const std::string& tenant,
                           const std::string& token) {
    auth::v1::ResolvePrincipalRequest request;
    request.set_token(token);
    auth::v1::Principal principal;
    return suite_->auth(replica)
        .ResolvePrincipal(Suite::Context(tenant, "", "").get(), request,
                          &principal)
        .error_code();
  }
  // How long after `change` ran every replica satisfied `holds`; fails the
  // test (and returns an hour) when that took over 5 s.
  absl::Duration UntilEveryReplica(const std::function<void()>& change,
                                   const std::function<bool(int)>& holds) {
    const absl::Time start = absl::Now();
    change();
    const bool reached = Eventually(
        [&] {
          for (int i = 0; i < kReplicas; ++i)
            if (!holds(i)) return false;
          return true;
        },
        absl::Seconds(5));
    EXPECT_TRUE(reached);
    return reached ? absl::Now() - start : absl::Hours(1);
  }
};

TEST_F(ReplicasTest, AConfigChangeReachesEveryReplicaWithinASecond) {
  for (int i = 0; i < kReplicas; ++i)
    ASSERT_EQ(Products(i, "nytimes", ""), grpc::StatusCode::UNAUTHENTICATED);
  const absl::Duration took = UntilEveryReplica(
      [&] {
        ASSERT_TRUE(
            suite_
                ->PatchTenantConfig(
                    "nytimes", R"({"features": {"anonymous_discovery": true}})")
                .ok());
      },
      [&](int i) {
        return Products(i, "nytimes", "") == grpc::StatusCode::OK;
      });
  EXPECT_LT(took, kPropagation);
  Measured("config change reached every replica in", took);
}

TEST_F(ReplicasTest, DeactivationReachesEveryReplicaWithinASecond) {
  const std::string& token = tokens_["nyt_a"];
  for (int i = 0; i < kReplicas; ++i) {
    ASSERT_EQ(Products(i, "nytimes", token), grpc::StatusCode::OK);
    ASSERT_EQ(Resolve(i, "nytimes", token), grpc::StatusCode::OK);
  }
  const absl::Duration took = UntilEveryReplica(
      [&] { ASSERT_TRUE(suite_->SetTenantActive("nytimes", false).ok()); },
      [&](int i) {
        return Products(i, "nytimes", token) ==
                   grpc::StatusCode::PERMISSION_DENIED &&
               Resolve(i, "nytimes", token) ==
                   grpc::StatusCode::PERMISSION_DENIED;
      });
  EXPECT_LT(took, kPropagation);
  Measured("deactivation reached every replica in", took);
  // The other tenant goes on everywhere.
  for (int i = 0; i < kReplicas; ++i)
    EXPECT_EQ(Products(i, "localnews", tokens_["local_a"]),
              grpc::StatusCode::OK);
}

TEST_F(ReplicasTest, RotationAndRevocationReachEveryReplicaWithinASecond) {
  const std::string old_a = tokens_["nyt_a"], token_b = tokens_["nyt_b"];
  // Every replica has both tokens in memory (auth's PrincipalCache,
  // media-buy's RemotePrincipalResolver).
  for (int i = 0; i < kReplicas; ++i) {
    for (const std::string& token : {old_a, token_b}) {
      ASSERT_EQ(Products(i, "nytimes", token), grpc::StatusCode::OK);
      ASSERT_EQ(Resolve(i, "nytimes", token), grpc::StatusCode::OK);
    }
  }
  std::string new_a;
  const absl::Duration rotation = UntilEveryReplica(
      [&] {
        auth::v1::RotateTokenRequest request;
        request.set_principal_id("buyer_a");
        auth::v1::PrincipalWithToken rotated;
        ASSERT_TRUE(suite_->auth()
                        .RotateToken(suite_->AdminContext("nytimes").get(),
                                     request, &rotated)
                        .ok());
        new_a = rotated.access_token();
      },
      [&](int i) {
        return Products(i, "nytimes", old_a) ==
                   grpc::StatusCode::UNAUTHENTICATED &&
               Resolve(i, "nytimes", old_a) ==
                   grpc::StatusCode::UNAUTHENTICATED &&
               Products(i, "nytimes", new_a) == grpc::StatusCode::OK;
      });
  EXPECT_LT(rotation, kPropagation);
  for (int i = 0; i < kReplicas; ++i) {
    EXPECT_EQ(Products(i, "nytimes", old_a), grpc::StatusCode::UNAUTHENTICATED)
        << "media-buy replica " << i << ", the old token";
    EXPECT_EQ(Resolve(i, "nytimes", old_a), grpc::StatusCode::UNAUTHENTICATED)
        << "auth replica " << i << ", the old token";
    EXPECT_EQ(Products(i, "nytimes", new_a), grpc::StatusCode::OK)
        << "media-buy replica " << i << ", the new token";
  }

  const absl::Duration revocation = UntilEveryReplica(
      [&] {
        auth::v1::RevokePrincipalRequest request;
        request.set_principal_id("buyer_b");
        auth::v1::Principal revoked;
        ASSERT_TRUE(suite_->auth()
                        .RevokePrincipal(suite_->AdminContext("nytimes").get(),
                                         request, &revoked)
                        .ok());
      },
      [&](int i) {
        return Products(i, "nytimes", token_b) ==
                   grpc::StatusCode::UNAUTHENTICATED &&
               Resolve(i, "nytimes", token_b) ==
                   grpc::StatusCode::UNAUTHENTICATED;
      });
  EXPECT_LT(revocation, kPropagation);
  Measured("rotation reached every replica in", rotation);
  Measured("revocation reached every replica in", revocation);
}

TEST_F(ReplicasTest, ConcurrentRetriesOfOneKeyOverEveryReplicaMakeOneBuy) {
  const v1::CreateMediaBuyRequest request =
      BuyRequest(Key("retry"), "nyt_display", 10000, Epoch() + absl::Hours(24),
                 Epoch() + absl::Hours(24 * 11));
  constexpr int kPerReplica = 3;
  std::latch go(kReplicas * kPerReplica);
  std::vector<grpc::Status> statuses(kReplicas * kPerReplica);
  std::vector<std::string> ids(statuses.size());
  std::vector<std::thread> retries;
  for (int n = 0; n < kReplicas * kPerReplica; ++n) {
    retries.emplace_back([&, n] {
      v1::CreateMediaBuyResponse response;
      auto context = Suite::Context("nytimes", tokens_["nyt_a"], "");
      go.arrive_and_wait();
      statuses[n] = suite_->media_buy(n % kReplicas)
                        .CreateMediaBuy(context.get(), request, &response);
      ids[n] = response.media_buy_id();
    });
  }
  for (auto& retry : retries) retry.join();
  for (size_t n = 0; n < statuses.size(); ++n) {
    ASSERT_TRUE(statuses[n].ok()) << n << ": " << statuses[n].error_message();
    EXPECT_EQ(ids[n], ids[0]);
  }
  EXPECT_EQ(Count("SELECT count(*) FROM media_buys WHERE tenant_id = "
                  "'nytimes'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM idempotency_keys WHERE tenant_id = "
                  "'nytimes' AND idempotency_key = '" +
                  request.idempotency_key() + "'"),
            1);
}

TEST_F(ReplicasTest, ABuyerFloodingEveryReplicaGetsItsBudgetOnce) {
  // A budget of 30 calls and 30 per second for each principal.
  constexpr double kRate = 30, kBurst = 30;
  ASSERT_TRUE(suite_
                  ->CreateTenant("flood",
                                 absl::StrCat(R"({"rate_limits": {
                    "principal_requests_per_second": )",
                                              kRate, R"(, "principal_burst": )",
                                              kBurst, "}}"))
                  .ok());
  auto buyer = suite_->CreatePrincipal("flood", "flooder");
  ASSERT_TRUE(buyer.ok()) << buyer.status();
  ASSERT_TRUE(Eventually([&] {
    for (int i = 0; i < kReplicas; ++i)
      if (suite_->media_buy_server(i).replica_count() != kReplicas)
        return false;
    return true;
  }));
  // Six clients through the round-robin channel (as the edges call
  // media-buy) for three seconds.
  constexpr absl::Duration kFlood = absl::Seconds(3);
  std::atomic<int> admitted{0}, throttled{0}, other{0};
  std::vector<std::thread> clients;
  const absl::Time start = absl::Now();
  for (int c = 0; c < 6; ++c) {
    clients.emplace_back([&] {
      const v1::GetProductsRequest request = ProductsRequest();
      while (absl::Now() - start < kFlood) {
        v1::GetProductsResponse response;
        const grpc::StatusCode code =
            stub_
                ->GetProducts(
                    Suite::Context("flood", buyer->access_token(), "").get(),
                    request, &response)
                .error_code();
        if (code == grpc::StatusCode::OK) {
          ++admitted;
        } else if (code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          ++throttled;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const double budget = kBurst + kRate * seconds;
  EXPECT_EQ(other, 0);
  EXPECT_GT(throttled, admitted) << "the flood did not exceed the budget";
  EXPECT_NEAR(admitted, budget, 0.2 * budget)
      << admitted << " calls admitted in " << seconds << " s";
  std::cout << "measured: " << admitted << " calls admitted, " << throttled
            << " throttled, for a budget of " << budget << "\n";
}

}  // namespace
}  // namespace adcp::media_buy::testing
