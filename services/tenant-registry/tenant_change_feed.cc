#include "tenant_change_feed.h"

#include <pqxx/pqxx>

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

class TenantChangeFeed::Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& connection, TenantChangeFeed& feed)
      : pqxx::notification_receiver(connection, kChannel), feed_(feed) {}
  void operator()(const std::string& payload, int) override {
    feed_.OnNotification(payload);
  }

 private:
  TenantChangeFeed& feed_;
};

TenantChangeFeed::TenantChangeFeed(std::string conninfo,
                                   TenantRepository& repository)
    : conninfo_(std::move(conninfo)), repository_(repository) {}

TenantChangeFeed::~TenantChangeFeed() { Stop(); }

void TenantChangeFeed::Start() {
  listener_ = std::thread([this] { ListenLoop(); });
}

void TenantChangeFeed::Stop() {
  if (stopping_.exchange(true)) return;
  state_changed_.notify_all();
  if (listener_.joinable()) listener_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& weak : subscriptions_) {
    if (auto subscription = weak.lock()) subscription->Close();
  }
  subscriptions_.clear();
}

bool TenantChangeFeed::WaitUntilListening(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return state_changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                                 [&] { return listening_; });
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

void TenantChangeFeed::ListenLoop() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stopping_) {
    try {
      pqxx::connection connection(conninfo_);
      Receiver receiver(connection, *this);
      // LISTEN is issued lazily by libpqxx; force it before announcing.
      connection.get_notifs();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        listening_ = true;
      }
      state_changed_.notify_all();
      log::Info("listening for tenant changes");
      // Anything committed while we were not listening is unknown to us.
      Publish(Event{.resync = true, .tenant = {}});
      backoff = absl::Milliseconds(100);
      while (!stopping_) connection.await_notification(0, 200000);
    } catch (const std::exception& e) {
      log::Warn("tenant change listener lost its connection",
                {{"error", e.what()}});
    }
    {
      std::unique_lock<std::mutex> lock(mutex_);
      listening_ = false;
      state_changed_.wait_for(lock, absl::ToChronoMilliseconds(backoff),
                              [&] { return stopping_.load(); });
    }
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

}  // namespace adcp::tenant_registry
