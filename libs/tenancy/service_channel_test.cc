// MakeServiceChannel over real local servers: a target that lists several
// replicas is balanced call by call (round_robin), every call carries the
// internal token, a replica that stops is left out of the rotation, and a
// replica that is shutting down (ServiceHost) leaves it before it stops.
#include "libs/tenancy/service_channel.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/grpc/service_host.h"
#include "libs/tenancy/metadata.h"
#include "tests/support/eventually.h"

namespace adcp {
namespace {

namespace health = ::grpc::health::v1;
using ::adcp::testing::Eventually;

constexpr char kInternalToken[] = "internal-token-for-channel-tests";

// Counts the calls that arrive with the internal token.
class CountingHealth final : public health::Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext* context,
                     const health::HealthCheckRequest*,
                     health::HealthCheckResponse* response) override {
    const auto& metadata = context->client_metadata();
    const auto token = metadata.find(kInternalTokenKey);
    if (token == metadata.end() ||
        std::string(token->second.data(), token->second.size()) !=
            kInternalToken)
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no token");
    ++calls;
    response->set_status(health::HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }
  std::atomic<int> calls{0};
};

struct Replica {
  CountingHealth service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

class ServiceChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> addresses;
    for (int i = 0; i < 3; ++i) {
      auto replica = std::make_unique<Replica>();
      grpc::ServerBuilder builder;
      builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                               &replica->port);
      builder.RegisterService(&replica->service);
      replica->server = builder.BuildAndStart();
      ASSERT_NE(replica->server, nullptr);
      addresses.push_back(absl::StrCat("127.0.0.1:", replica->port));
      replicas_.push_back(std::move(replica));
    }
    // The form a list of pods takes without DNS; a headless Service is
    // "dns:///name:port".
    channel_ = MakeServiceChannel(
        absl::StrCat("ipv4:", absl::StrJoin(addresses, ",")), kInternalToken);
    stub_ = health::Health::NewStub(channel_);
  }
  void TearDown() override {
    for (auto& replica : replicas_)
      if (replica->server) replica->server->Shutdown();
  }

  grpc::Status Check() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    health::HealthCheckRequest request;
    health::HealthCheckResponse response;
    return stub_->Check(&context, request, &response);
  }
  void ResetCounts() {
    for (auto& replica : replicas_) replica->service.calls = 0;
  }

  std::vector<std::unique_ptr<Replica>> replicas_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<health::Health::Stub> stub_;
};

TEST_F(ServiceChannelTest, BalancesEveryCallOverTheListedReplicas) {
  // round_robin connects to every address; wait until all three are ready
  // so that the spread below is the policy's, not the connection order's.
  ASSERT_TRUE(Eventually([&] {
    ResetCounts();
    for (int i = 0; i < 3; ++i)
      if (!Check().ok()) return false;
    for (auto& replica : replicas_)
      if (replica->service.calls != 1) return false;
    return true;
  }));
  ResetCounts();
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(Check().ok());
  for (auto& replica : replicas_) EXPECT_EQ(replica->service.calls, 100);
}

TEST_F(ServiceChannelTest, LeavesAStoppedReplicaOutOfTheRotation) {
  ASSERT_TRUE(Check().ok());
  replicas_.back()->server->Shutdown();
  replicas_.back()->server.reset();
  // The stopped replica's GOAWAY takes it out of the picker; calls picked
  // before that may fail with the retryable UNAVAILABLE, nothing else.
  int unavailable = 0;
  ASSERT_TRUE(Eventually([&] {
    ResetCounts();
    for (int i = 0; i < 20; ++i) {
      const grpc::Status status = Check();
      if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
        ++unavailable;
        return false;
      }
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return true;
  }));
  // Both remaining replicas share the calls. Not exactly 10 and 10: the
  // health watches' updates (a replica's health, then its removal) rebuild
  // the picker, which restarts at a random index.
  EXPECT_EQ(replicas_[0]->service.calls + replicas_[1]->service.calls, 20);
  EXPECT_NEAR(replicas_[0]->service.calls, 10, 2);
  EXPECT_NEAR(replicas_[1]->service.calls, 10, 2);
  EXPECT_LE(unavailable, 1);
}

// Two replicas run as every service runs (ServiceHost, its grpc health).
// While one shuts down, the channel's health watch takes it out of the
// rotation during its drain: no call reaches it, and none fails (gRPC
// answers a call that arrives once shutdown has begun with CANCELLED).
TEST(ServiceChannelDrainTest, AReplicaShuttingDownLeavesTheRotationFirst) {
  std::vector<std::unique_ptr<ServiceHost>> hosts;
  std::vector<std::string> addresses;
  for (int i = 0; i < 2; ++i) {
    ServiceHostOptions options;
    options.service_name = absl::StrCat("replica-", i);
    options.bind_host = "127.0.0.1";
    options.metrics_port = -1;
    options.shutdown_drain = absl::Seconds(2);
    options.shutdown_grace = absl::Seconds(1);
    hosts.push_back(std::make_unique<ServiceHost>(options));
    ASSERT_TRUE(hosts.back()->Start().ok());
    addresses.push_back(absl::StrCat("127.0.0.1:", hosts.back()->port()));
  }
  auto stub = health::Health::NewStub(MakeServiceChannel(
      absl::StrCat("ipv4:", absl::StrJoin(addresses, ",")), kInternalToken));
  // The default health service answers Check("") with the replica's own
  // status: NOT_SERVING comes only from the replica that is draining.
  auto check = [&](health::HealthCheckResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    return stub->Check(&context, health::HealthCheckRequest(), response);
  };
  health::HealthCheckResponse response;
  ASSERT_TRUE(check(&response).ok());

  std::thread stopping([&] { hosts[0]->Shutdown(); });
  const absl::Time drain_ends = absl::Now() + absl::Seconds(2);
  // Within the drain the watch reports NOT_SERVING and the picker drops
  // the replica: then every call is answered SERVING by the other one.
  EXPECT_TRUE(Eventually([&] {
    for (int i = 0; i < 10; ++i) {
      const grpc::Status status = check(&response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (response.status() != health::HealthCheckResponse::SERVING)
        return false;
    }
    return true;
  }));
  EXPECT_LT(absl::Now(), drain_ends);
  // Through the drain's end and the shutdown, no call fails.
  while (absl::Now() < drain_ends + absl::Milliseconds(500)) {
    const grpc::Status status = check(&response);
    ASSERT_TRUE(status.ok())
        << status.error_code() << " " << status.error_message();
    EXPECT_EQ(response.status(), health::HealthCheckResponse::SERVING);
  }
  stopping.join();
}

}  // namespace
}  // namespace adcp
