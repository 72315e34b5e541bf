#include "tenant_change_feed.h"

#include "adcp/common/log.h"

namespace adcp::tenant_registry {
namespace {

constexpr char kChannel[] = "adcp_tenant_changes";
// A subscriber further behind than this gets a resync instead of a backlog.
constexpr size_t kMaxQueuedEvents = 4096;

}  // namespace

std::optional<TenantChangeFeed::Event> TenantChangeFeed::Subscription::Next(
    absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                  [&] { return closed_ || !queue_.empty(); });
  if (queue_.empty()) return std::nullopt;
  Event event = std::move(queue_.front());
  queue_.pop_front();
  return event;
}

bool TenantChangeFeed::Subscription::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

void TenantChangeFeed::Subscription::Push(const Event& event) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    if (queue_.size() >= kMaxQueuedEvents) {
      queue_.clear();
      queue_.push_back(Event{.resync = true, .tenant = {}});
    } else {
      queue_.push_back(event);
    }
  }
  ready_.notify_one();
}

void TenantChangeFeed::Subscription::Close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

TenantChangeFeed::TenantChangeFeed(std::string conninfo,
                                   TenantRepository& repository)
    : repository_(repository),
      listener_(
          std::move(conninfo), kChannel,
          [this](const std::string& tenant_id) { OnNotification(tenant_id); },
          // Anything committed while we were not listening is unknown to us.
          [this] { Publish(Event{.resync = true, .tenant = {}}); }) {}

TenantChangeFeed::~TenantChangeFeed() { Stop(); }

void TenantChangeFeed::Start() { listener_.Start(); }

void TenantChangeFeed::Stop() {
  listener_.Stop();
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return;
  stopping_ = true;
  for (auto& weak : subscriptions_) {
    if (auto subscription = weak.lock()) subscription->Close();
  }
  subscriptions_.clear();
}

bool TenantChangeFeed::WaitUntilListening(absl::Duration timeout) {
  return listener_.WaitUntilListening(timeout);
}

std::shared_ptr<TenantChangeFeed::Subscription> TenantChangeFeed::Subscribe() {
  auto subscription = std::make_shared<Subscription>();
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) {
    subscription->Close();
  } else {
    subscriptions_.push_back(subscription);
  }
  return subscription;
}

void TenantChangeFeed::Publish(const Event& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::erase_if(subscriptions_, [&](const std::weak_ptr<Subscription>& weak) {
    auto subscription = weak.lock();
    if (!subscription) return true;
    subscription->Push(event);
    return false;
  });
}

void TenantChangeFeed::OnNotification(const std::string& tenant_id) {
  absl::StatusOr<Tenant> tenant = repository_.Get(tenant_id);
  if (!tenant.ok()) {
    // The change committed but cannot be read now; make every subscriber
    // reload rather than miss it.
    log::Warn(
        "cannot load changed tenant; asking watchers to resync",
        {{"tenant_id", tenant_id}, {"error", tenant.status().ToString()}});
    Publish(Event{.resync = true, .tenant = {}});
    return;
  }
  Publish(Event{.resync = false, .tenant = *std::move(tenant)});
}

}  // namespace adcp::tenant_registry
