// The registry as a running service: the Watch stream, a database outage,
// health, reflection and metrics, and shutdown.
#include <gtest/gtest.h>

#include <thread>

#include "services/tenant-registry/tenant_registry_test_fixture.h"
#include "tests/support/probes.h"

namespace adcp::tenant_registry {
namespace {

TEST_F(TenantRegistryTest, WatchSendsSnapshotThenEachChangeWithinOneSecond) {
  ASSERT_TRUE(Create("first").ok());
  grpc::ClientContext context;
  auto reader = stub_->WatchTenants(&context, pb::WatchTenantsRequest());
  pb::TenantEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), pb::TenantEvent::SNAPSHOT_BEGIN);
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), pb::TenantEvent::UPSERT);
  EXPECT_EQ(event.tenant().tenant_id(), "first");
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), pb::TenantEvent::SNAPSHOT_END);

  // Reads until an UPSERT satisfying `want` arrives; returns the wait.
  auto await_upsert = [&](auto want) -> absl::Duration {
    const absl::Time start = absl::Now();
    while (reader->Read(&event)) {
      if (event.kind() == pb::TenantEvent::UPSERT && want(event.tenant()))
        break;
    }
    return absl::Now() - start;
  };
  const absl::Time changed = absl::Now();
  ASSERT_TRUE(
      PatchConfig("first", R"({"features":{"max_daily_budget":42}})").ok());
  const absl::Duration config_latency = await_upsert([](const pb::Tenant& t) {
    return t.tenant_id() == "first" &&
           t.config().features().max_daily_budget() == 42;
  });
  EXPECT_LT(absl::Now() - changed, absl::Seconds(1)) << config_latency;

  const absl::Time created = absl::Now();
  ASSERT_TRUE(Create("second").ok());
  await_upsert([](const pb::Tenant& t) { return t.tenant_id() == "second"; });
  EXPECT_LT(absl::Now() - created, absl::Seconds(1));

  const absl::Time deactivated = absl::Now();
  pb::SetTenantActiveRequest request;
  request.set_tenant_id("second");
  pb::Tenant ignored;
  ASSERT_TRUE(
      Call(&pb::TenantRegistry::Stub::SetTenantActive, request, &ignored).ok());
  await_upsert([](const pb::Tenant& t) {
    return t.tenant_id() == "second" && !t.is_active();
  });
  EXPECT_LT(absl::Now() - deactivated, absl::Seconds(1));
  context.TryCancel();
}

TEST_F(TenantRegistryTest, DatabaseOutageIsUnavailableAndTheServiceRecovers) {
  ASSERT_TRUE(Create("steady").ok());
  // Cut the service off its database: refuse new connections, end the open
  // ones.
  ASSERT_TRUE(
      db_->ExecOnMaintenance(absl::StrCat("ALTER DATABASE ", db_->name(),
                                          " ALLOW_CONNECTIONS false"))
          .ok());
  ASSERT_TRUE(db_
                  ->ExecOnMaintenance(absl::StrCat(
                      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = '",
                      db_->name(), "' AND pid <> pg_backend_pid()"))
                  .ok());
  for (int i = 0; i < 3; ++i) {
    const auto down = Get("steady");
    EXPECT_TRUE(absl::IsUnavailable(down.status())) << down.status();
  }
  ASSERT_TRUE(
      db_->ExecOnMaintenance(absl::StrCat("ALTER DATABASE ", db_->name(),
                                          " ALLOW_CONNECTIONS true"))
          .ok());
  const auto back = Get("steady");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->tenant_id(), "steady");
  // The change feed reconnects too: a watcher sees a change made afterwards.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(20));
  auto reader = stub_->WatchTenants(&context, pb::WatchTenantsRequest());
  pb::TenantEvent event;
  bool seen = false;
  std::thread changer([&] {
    // Changes keep coming until the watcher has seen one after reconnect.
    for (int i = 1; i <= 60 && !seen; ++i) {
      (void)PatchConfig(
          "steady",
          absl::StrCat(R"({"features":{"max_daily_budget":)", i, "}}"));
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  });
  while (!seen && reader->Read(&event)) {
    seen = event.kind() == pb::TenantEvent::UPSERT &&
           event.tenant().config().features().max_daily_budget() > 0;
  }
  changer.join();
  EXPECT_TRUE(seen);
  context.TryCancel();
}

TEST_F(TenantRegistryTest, ServesHealthReflectionAndMetrics) {
  auto health = testing::HealthStatus(channel_, "");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, "SERVING");
  auto service_health =
      testing::HealthStatus(channel_, "adcp.tenant.v1.TenantRegistry");
  ASSERT_TRUE(service_health.ok()) << service_health.status();
  EXPECT_EQ(*service_health, "SERVING");

  auto services = testing::ReflectedServices(channel_);
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_NE(std::find(services->begin(), services->end(),
                      "adcp.tenant.v1.TenantRegistry"),
            services->end());

  ASSERT_TRUE(absl::IsNotFound(Get("nobody").status()));
  auto metrics = testing::HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_TRUE(metrics->starts_with("HTTP/1.1 200")) << metrics->substr(0, 100);
  EXPECT_TRUE(Contains(
      *metrics,
      "grpc_server_handled_total{grpc_code=\"NOT_FOUND\",grpc_method=\"/"
      "adcp.tenant.v1.TenantRegistry/GetTenant\"} 1"))
      << *metrics;
}

TEST_F(TenantRegistryTest, ShutdownMarksNotServingAndEndsWatchStreams) {
  grpc::ClientContext context;
  auto reader = stub_->WatchTenants(&context, pb::WatchTenantsRequest());
  pb::TenantEvent event;
  ASSERT_TRUE(reader->Read(&event));  // stream is up
  std::thread stopper([&] { server_->Shutdown(); });
  while (reader->Read(&event)) {
  }
  const grpc::Status status = reader->Finish();
  stopper.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
}

}  // namespace
}  // namespace adcp::tenant_registry
