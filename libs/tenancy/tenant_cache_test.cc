// TenantCache following a fake TenantRegistry's WatchTenants stream, served
// on a real local gRPC server and reached over a service channel.
#include "libs/tenancy/tenant_cache.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/tenancy/metadata.h"
#include "libs/tenancy/service_channel.h"
#include "tests/support/eventually.h"

namespace adcp {
namespace {

using ::adcp::testing::Eventually;

namespace pb = ::adcp::tenant::v1;

constexpr char kInternalToken[] = "internal-token-for-cache-tests";

pb::Tenant MakeTenant(const std::string& id, const std::string& subdomain,
                      bool active, const std::string& virtual_host = "") {
  pb::Tenant tenant;
  tenant.set_tenant_id(id);
  tenant.set_name("Tenant " + id);
  tenant.set_subdomain(subdomain);
  tenant.set_virtual_host(virtual_host);
  tenant.set_is_active(active);
  return tenant;
}

pb::TenantEvent Event(pb::TenantEvent::Kind kind, const pb::Tenant* tenant) {
  pb::TenantEvent event;
  event.set_kind(kind);
  if (tenant != nullptr) *event.mutable_tenant() = *tenant;
  return event;
}

// Serves WatchTenants as the registry does: a snapshot of its tenants, then
// every announced change, until the test drops the stream.
class FakeRegistry final : public pb::TenantRegistry::Service {
 public:
  // Changes what later snapshots list, without announcing it.
  void Put(const pb::Tenant& tenant) {
    std::lock_guard<std::mutex> lock(mutex_);
    tenants_[tenant.tenant_id()] = tenant;
  }
  void Remove(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    tenants_.erase(id);
  }
  // Puts the tenant and sends its UPSERT on every open stream.
  void Announce(const pb::Tenant& tenant) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tenants_[tenant.tenant_id()] = tenant;
      events_.push_back(Event(pb::TenantEvent::UPSERT, &tenant));
    }
    changed_.notify_all();
  }
  // Ends every open stream; while refusing, new ones end at once.
  void DropStreams(bool refuse) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++generation_;
      refusing_ = refuse;
    }
    changed_.notify_all();
  }
  void Accept() {
    std::lock_guard<std::mutex> lock(mutex_);
    refusing_ = false;
  }
  // The next stream sends SNAPSHOT_BEGIN and one tenant, then ends; the
  // streams after it are refused until Accept().
  void CutNextSnapshot() {
    std::lock_guard<std::mutex> lock(mutex_);
    cut_next_ = true;
  }
  int streams() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return streams_;
  }
  std::string internal_token() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return internal_token_;
  }

  grpc::Status WatchTenants(
      grpc::ServerContext* context, const pb::WatchTenantsRequest*,
      grpc::ServerWriter<pb::TenantEvent>* writer) override {
    std::unique_lock<std::mutex> lock(mutex_);
    ++streams_;
    const auto token = context->client_metadata().find(kInternalTokenKey);
    if (token != context->client_metadata().end())
      internal_token_.assign(token->second.data(), token->second.size());
    if (refusing_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
    std::vector<pb::TenantEvent> snapshot = {
        Event(pb::TenantEvent::SNAPSHOT_BEGIN, nullptr)};
    for (const auto& [id, tenant] : tenants_)
      snapshot.push_back(Event(pb::TenantEvent::UPSERT, &tenant));
    snapshot.push_back(Event(pb::TenantEvent::SNAPSHOT_END, nullptr));
    const bool cut = cut_next_;
    if (cut) {
      cut_next_ = false;
      refusing_ = true;
      snapshot.resize(2);
    }
    const int generation = generation_;
    size_t next = events_.size();
    lock.unlock();
    for (const pb::TenantEvent& event : snapshot) writer->Write(event);
    if (cut) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "cut short");
    lock.lock();
    while (!context->IsCancelled() && generation == generation_) {
      if (next < events_.size()) {
        const pb::TenantEvent event = events_[next++];
        lock.unlock();
        writer->Write(event);
        lock.lock();
        continue;
      }
      changed_.wait_for(lock, std::chrono::milliseconds(20));
    }
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "dropped");
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, pb::Tenant> tenants_;
  std::vector<pb::TenantEvent> events_;
  int generation_ = 0;
  bool refusing_ = false;
  bool cut_next_ = false;
  int streams_ = 0;
  std::string internal_token_;
};

class TenantCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pb::Tenant alpha = MakeTenant("alpha", "alpha", true, "ads.alpha.test");
    auto* limits = alpha.mutable_config()->mutable_rate_limits();
    limits->set_tenant_requests_per_second(5);
    limits->set_principal_burst(8);
    limits->set_anonymous_requests_per_second(2);
    limits->set_anonymous_burst(3);
    alpha.mutable_config()->mutable_features()->set_anonymous_discovery(true);
    registry_.Put(alpha);
    registry_.Put(MakeTenant("bravo", "bravo-news", false));

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&registry_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    cache_ = std::make_unique<TenantCache>(
        MakeServiceChannel(absl::StrCat("127.0.0.1:", port), kInternalToken));
    cache_->AddListener([this](const pb::Tenant& tenant) {
      std::lock_guard<std::mutex> lock(mutex_);
      notified_.push_back(tenant.tenant_id());
    });
  }
  void TearDown() override {
    if (cache_) cache_->Stop();
    if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now()));
  }

  std::vector<std::string> notified() {
    std::lock_guard<std::mutex> lock(mutex_);
    return notified_;
  }
  bool Knows(const std::string& id) { return cache_->Find(id).ok(); }

  FakeRegistry registry_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<TenantCache> cache_;
  std::mutex mutex_;
  std::vector<std::string> notified_;
};

TEST_F(TenantCacheTest, IsUnavailableUntilTheFirstSnapshot) {
  EXPECT_TRUE(absl::IsUnavailable(cache_->Find("alpha").status()));
  EXPECT_FALSE(cache_->WaitUntilSynced(absl::Milliseconds(50)));
  cache_->Start();
  ASSERT_TRUE(cache_->WaitUntilSynced(absl::Seconds(10)));
  EXPECT_TRUE(cache_->Find("alpha").ok());
  EXPECT_TRUE(absl::IsNotFound(cache_->Find("nobody").status()));
  // It asked with the suite's internal token.
  EXPECT_EQ(registry_.internal_token(), kInternalToken);
}

TEST_F(TenantCacheTest, AnswersTheGuardsQuestionsFromTheSnapshot) {
  cache_->Start();
  ASSERT_TRUE(cache_->WaitUntilSynced(absl::Seconds(10)));
  absl::StatusOr<TenantState> alpha = cache_->Find("alpha");
  ASSERT_TRUE(alpha.ok()) << alpha.status();
  EXPECT_TRUE(alpha->active);
  EXPECT_TRUE(alpha->anonymous_discovery);
  // A rate without a burst allows two seconds' worth at once; a burst
  // without a rate refills in two seconds.
  ASSERT_TRUE(alpha->tenant_limit.has_value());
  EXPECT_EQ(alpha->tenant_limit->per_second, 5);
  EXPECT_EQ(alpha->tenant_limit->burst, 10);
  ASSERT_TRUE(alpha->principal_limit.has_value());
  EXPECT_EQ(alpha->principal_limit->per_second, 4);
  EXPECT_EQ(alpha->principal_limit->burst, 8);
  ASSERT_TRUE(alpha->anonymous_limit.has_value());
  EXPECT_EQ(alpha->anonymous_limit->per_second, 2);
  EXPECT_EQ(alpha->anonymous_limit->burst, 3);

  absl::StatusOr<TenantState> bravo = cache_->Find("bravo");
  ASSERT_TRUE(bravo.ok());
  EXPECT_FALSE(bravo->active);
  EXPECT_FALSE(bravo->anonymous_discovery);
  EXPECT_FALSE(bravo->tenant_limit.has_value());  // the guard's default
  ASSERT_NE(cache_->Get("bravo"), nullptr);
  EXPECT_EQ(cache_->Get("bravo")->name(), "Tenant bravo");
  EXPECT_EQ(cache_->Get("nobody"), nullptr);
  // Every tenant of the snapshot is announced to the listeners (just after
  // the snapshot is applied).
  ASSERT_TRUE(Eventually([&] { return notified().size() == 2; }));
  std::vector<std::string> seen = notified();
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"alpha", "bravo"}));
}

TEST_F(TenantCacheTest, FindsTenantsByHost) {
  cache_->Start();
  ASSERT_TRUE(cache_->WaitUntilSynced(absl::Seconds(10)));
  const std::vector<std::string> bases = {"sales.example.com"};
  auto id_of = [&](std::string_view host) {
    auto tenant = cache_->FindByHost(host, bases);
    return tenant ? tenant->tenant_id() : std::string("-");
  };
  EXPECT_EQ(id_of("alpha.sales.example.com"), "alpha");
  EXPECT_EQ(id_of("ALPHA.sales.example.com:443"), "alpha");
  EXPECT_EQ(id_of("ads.alpha.test"), "alpha");
  EXPECT_EQ(id_of("bravo-news.sales.example.com"), "bravo");
  EXPECT_EQ(id_of("sales.example.com"), "-");
  EXPECT_EQ(id_of("x.alpha.sales.example.com"), "-");
  EXPECT_EQ(id_of("nobody.sales.example.com"), "-");
  EXPECT_EQ(id_of("ads.nobody.test"), "-");
  EXPECT_EQ(cache_->TenantIdByHost("alpha.sales.example.com", bases), "alpha");
  // An inactive tenant is not found by host.
  EXPECT_EQ(cache_->TenantIdByHost("bravo-news.sales.example.com", bases), "");
  EXPECT_EQ(cache_->FindBySubdomain("bravo-news")->tenant_id(), "bravo");
  EXPECT_EQ(cache_->FindBySubdomain("bravo"), nullptr);
}

TEST_F(TenantCacheTest, FollowsChangesAsTheyAreAnnounced) {
  cache_->Start();
  ASSERT_TRUE(cache_->WaitUntilSynced(absl::Seconds(10)));
  ASSERT_TRUE(Eventually([&] { return notified().size() == 2; }));
  const size_t before = notified().size();
  // Renamed, its virtual host dropped, suspended.
  registry_.Announce(MakeTenant("alpha", "alpha-two", false));
  ASSERT_TRUE(Eventually([&] { return !cache_->Find("alpha")->active; }));
  EXPECT_EQ(cache_->FindBySubdomain("alpha"), nullptr);
  ASSERT_NE(cache_->FindBySubdomain("alpha-two"), nullptr);
  EXPECT_EQ(cache_->FindByVirtualHost("ads.alpha.test"), nullptr);
  EXPECT_FALSE(cache_->Find("alpha")->tenant_limit.has_value());
  // A new tenant.
  registry_.Announce(MakeTenant("charlie", "charlie", true, "charlie.test"));
  ASSERT_TRUE(Eventually([&] { return Knows("charlie"); }));
  EXPECT_EQ(cache_->FindByVirtualHost("charlie.test")->tenant_id(), "charlie");
  ASSERT_TRUE(Eventually([&] { return notified().size() == before + 2; }));
  EXPECT_EQ(notified()[before], "alpha");
  EXPECT_EQ(notified()[before + 1], "charlie");
  EXPECT_EQ(registry_.streams(), 1);
}

TEST_F(TenantCacheTest, ServesTheLastStateWhileDisconnectedThenResyncs) {
  cache_->Start();
  ASSERT_TRUE(cache_->WaitUntilSynced(absl::Seconds(10)));
  registry_.DropStreams(/*refuse=*/true);
  ASSERT_TRUE(Eventually([&] { return registry_.streams() >= 3; }));
  // Disconnected: what it knew still holds.
  EXPECT_TRUE(cache_->Find("alpha")->active);
  EXPECT_TRUE(Knows("bravo"));
  // Meanwhile bravo is deleted and charlie created (no event for either
  // reaches the cache): the next snapshot brings both.
  registry_.Remove("bravo");
  registry_.Put(MakeTenant("charlie", "charlie", true));
  registry_.Accept();
  ASSERT_TRUE(Eventually([&] { return Knows("charlie"); }));
  EXPECT_TRUE(absl::IsNotFound(cache_->Find("bravo").status()));
  EXPECT_EQ(cache_->FindBySubdomain("bravo-news"), nullptr);
  EXPECT_TRUE(Knows("alpha"));
}

TEST_F(TenantCacheTest, ASnapshotCutShortIsNotApplied) {
  cache_->Start();
  ASSERT_TRUE(cache_->WaitUntilSynced(absl::Seconds(10)));
  registry_.Remove("bravo");
  registry_.Put(MakeTenant("aaron", "aaron", true));  // sorts first
  registry_.CutNextSnapshot();
  registry_.DropStreams(/*refuse=*/false);
  // Stream 2 is cut after "aaron"; stream 3 (refused) opens only once the
  // cache has handled the end of stream 2.
  ASSERT_TRUE(Eventually([&] { return registry_.streams() >= 3; }));
  EXPECT_FALSE(Knows("aaron"));
  EXPECT_TRUE(Knows("bravo"));
  EXPECT_TRUE(Knows("alpha"));
  registry_.Accept();
  ASSERT_TRUE(Eventually([&] { return Knows("aaron"); }));
  EXPECT_FALSE(Knows("bravo"));
  EXPECT_TRUE(Knows("alpha"));
}

TEST_F(TenantCacheTest, StopEndsTheStream) {
  cache_->Start();
  ASSERT_TRUE(cache_->WaitUntilSynced(absl::Seconds(10)));
  const absl::Time start = absl::Now();
  cache_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  registry_.Announce(MakeTenant("charlie", "charlie", true));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(Knows("charlie"));  // no longer following
  EXPECT_TRUE(Knows("alpha"));     // but still answering
  EXPECT_EQ(registry_.streams(), 1);
}

}  // namespace
}  // namespace adcp
