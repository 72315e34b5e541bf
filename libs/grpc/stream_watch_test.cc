// StreamWatch against a real gRPC server on a local port: the health
// service's server-streaming Watch, scripted per stream by the test.
#include "libs/grpc/stream_watch.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <vector>

#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/eventually.h"

namespace adcp {
namespace {

using ::adcp::testing::Eventually;

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

// Each call of Watch runs the script for its number (0, 1, ...): writes
// `messages` statuses, then either ends with UNAVAILABLE or stays open until
// the client cancels.
struct StreamScript {
  int messages = 0;
  bool hold_open = false;
};

class ScriptedHealth final : public Health::Service {
 public:
  explicit ScriptedHealth(std::function<StreamScript(int)> script)
      : script_(std::move(script)) {}

  grpc::Status Watch(grpc::ServerContext* context, const HealthCheckRequest*,
                     grpc::ServerWriter<HealthCheckResponse>* writer) override {
    int number;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      number = static_cast<int>(opened_.size());
      opened_.push_back(absl::Now());
    }
    const StreamScript script = script_(number);
    HealthCheckResponse response;
    response.set_status(HealthCheckResponse::SERVING);
    for (int i = 0; i < script.messages; ++i) writer->Write(response);
    if (script.hold_open) {
      while (!context->IsCancelled()) absl::SleepFor(absl::Milliseconds(5));
      std::lock_guard<std::mutex> lock(mutex_);
      ++cancelled_;
      return grpc::Status::CANCELLED;
    }
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "scripted end");
  }

  std::vector<absl::Time> opened() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return opened_;
  }
  int cancelled() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cancelled_;
  }

 private:
  const std::function<StreamScript(int)> script_;
  mutable std::mutex mutex_;
  std::vector<absl::Time> opened_;
  int cancelled_ = 0;
};

class StreamWatchTest : public ::testing::Test {
 protected:
  void Serve(std::function<StreamScript(int)> script) {
    service_ = std::make_unique<ScriptedHealth>(std::move(script));
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    stub_ = Health::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                            grpc::InsecureChannelCredentials()));
    watch_ = std::make_unique<StreamWatch<HealthCheckResponse>>(
        "test",
        [this](grpc::ClientContext* context) {
          return stub_->Watch(context, HealthCheckRequest());
        },
        [this](const HealthCheckResponse&) {
          std::lock_guard<std::mutex> lock(mutex_);
          ++messages_;
        },
        [this] {
          std::lock_guard<std::mutex> lock(mutex_);
          ++ends_;
        });
  }

  void TearDown() override {
    if (watch_) watch_->Stop();
    if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now()));
  }

  int messages() {
    std::lock_guard<std::mutex> lock(mutex_);
    return messages_;
  }
  int ends() {
    std::lock_guard<std::mutex> lock(mutex_);
    return ends_;
  }

  std::unique_ptr<ScriptedHealth> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Health::Stub> stub_;
  std::unique_ptr<StreamWatch<HealthCheckResponse>> watch_;
  std::mutex mutex_;
  int messages_ = 0;
  int ends_ = 0;
};

TEST_F(StreamWatchTest, HandsOverEveryMessageAndReopensAfterTheStreamEnds) {
  Serve([](int number) {
    return number < 2 ? StreamScript{.messages = 3}
                      : StreamScript{.messages = 1, .hold_open = true};
  });
  watch_->Start();
  ASSERT_TRUE(Eventually([&] { return messages() == 7; })) << messages();
  EXPECT_EQ(service_->opened().size(), 3u);
  EXPECT_EQ(ends(), 2);
}

TEST_F(StreamWatchTest, BackoffDoublesWhileStreamsBringNothing) {
  // Streams 0-3 end empty: the waits before streams 1-4 are 100, 200, 400
  // and 800 ms. Stream 4 brings a message, which resets the wait before
  // stream 5 to 100 ms.
  Serve([](int number) {
    if (number < 4) return StreamScript{};
    if (number == 4) return StreamScript{.messages = 1};
    return StreamScript{.hold_open = true};
  });
  watch_->Start();
  ASSERT_TRUE(Eventually([&] { return service_->opened().size() == 6; }));
  const std::vector<absl::Time> opened = service_->opened();
  std::vector<absl::Duration> gaps;
  for (size_t i = 1; i < opened.size(); ++i)
    gaps.push_back(opened[i] - opened[i - 1]);
  EXPECT_GE(gaps[0], absl::Milliseconds(90));
  EXPECT_GE(gaps[1], absl::Milliseconds(190));
  EXPECT_GE(gaps[2], absl::Milliseconds(390));
  EXPECT_GE(gaps[3], absl::Milliseconds(790));
  EXPECT_GE(gaps[4], absl::Milliseconds(90));
  EXPECT_LT(gaps[4], gaps[3]) << "a message did not reset the backoff";
  EXPECT_EQ(messages(), 1);
  EXPECT_EQ(ends(), 5);
}

TEST_F(StreamWatchTest, StopCancelsTheCallInFlight) {
  Serve([](int) { return StreamScript{.messages = 1, .hold_open = true}; });
  watch_->Start();
  ASSERT_TRUE(Eventually([&] { return messages() == 1; }));
  const absl::Time start = absl::Now();
  watch_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(ends(), 1);  // OnEnd runs for the stream Stop ended
  EXPECT_TRUE(Eventually([&] { return service_->cancelled() == 1; }));
  EXPECT_EQ(service_->opened().size(), 1u);  // and nothing reopened
  watch_->Stop();                            // idempotent
}

TEST_F(StreamWatchTest, StopInterruptsTheBackoffWait) {
  Serve([](int) { return StreamScript{}; });
  watch_->Start();
  // After the fourth failure the watch waits 800 ms, then 1.6 s.
  ASSERT_TRUE(Eventually([&] { return ends() == 5; }));
  const absl::Time start = absl::Now();
  watch_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(800));
  const size_t opened = service_->opened().size();
  EXPECT_EQ(opened, 5u);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(service_->opened().size(), opened);
}

TEST_F(StreamWatchTest, KeepsRetryingWhileTheServerIsDown) {
  Serve([](int) { return StreamScript{.hold_open = true}; });
  server_->Shutdown(absl::ToChronoTime(absl::Now()));
  server_.reset();
  watch_->Start();
  // Each failed connection attempt is a stream that ended.
  ASSERT_TRUE(Eventually([&] { return ends() >= 2; }));
  EXPECT_EQ(messages(), 0);
  const absl::Time start = absl::Now();
  watch_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace adcp
