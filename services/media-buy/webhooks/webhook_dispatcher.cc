#include "services/media-buy/webhooks/webhook_dispatcher.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/base/log.h"
#include "services/media-buy/domain/push_notification.h"
#include "services/media-buy/webhooks/push_secrets.h"
#include "services/media-buy/webhooks/webhook_request.h"

namespace adcp::media_buy {

namespace {

http::ClientOptions ClientOptionsOf(const WebhookDispatchOptions& options,
                                    const http::OutboundGuard& guard) {
  http::ClientOptions client;
  client.max_response_bytes = options.max_response_bytes;
  client.max_header_bytes = 16 << 10;
  client.user_agent = "adcp-sales-agent-webhooks";
  client.admit_address = [&guard](const sockaddr* address) {
    return guard.Admit(address);
  };
  return client;
}

}  // namespace

WebhookDispatcher::WebhookDispatcher(PgPool& pool, TenantList tenants,
                                     WebhookKeys& keys,
                                     WebhookDispatchOptions options,
                                     prometheus::Registry& metrics)
    : pool_(pool),
      tenants_(std::move(tenants)),
      keys_(keys),
      options_(std::move(options)),
      guard_(options_.allowed),
      client_(ClientOptionsOf(options_, guard_)),
      attempts_(prometheus::BuildCounter()
                    .Name("adcp_webhook_attempts_total")
                    .Help("Webhook delivery attempts by outcome: delivered, "
                          "retry, expired, breaker_open")
                    .Register(metrics)),
      latency_(prometheus::BuildHistogram()
                   .Name("adcp_webhook_attempt_seconds")
                   .Help("Duration of one webhook delivery attempt")
                   .Register(metrics)
                   .Add({},
                        prometheus::Histogram::BucketBoundaries{
                            0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})),
      in_flight_gauge_(prometheus::BuildGauge()
                           .Name("adcp_webhook_in_flight")
                           .Help("Webhook events leased and not yet recorded")
                           .Register(metrics)
                           .Add({})),
      notified_(prometheus::BuildCounter()
                    .Name("adcp_webhook_notifications_total")
                    .Help("Outbox announcements (NOTIFY) that woke the "
                          "dispatcher for a tenant")
                    .Register(metrics)
                    .Add({})) {
  for (int i = 0; i < options_.workers; ++i)
    workers_.emplace_back([this] { Work(); });
}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

void WebhookDispatcher::Start() {
  if (!options_.listen_conninfo.empty()) {
    listener_ = std::make_unique<PgListener>(
        options_.listen_conninfo, kOutboxChannel,
        [this](const std::string& tenant_id) { Wake(tenant_id); },
        [this] {
          {
            std::lock_guard<std::mutex> lock(mutex_);
            sweep_now_ = true;
          }
          changed_.notify_all();
        });
    listener_->Start();
  }
  loop_ = std::thread([this] { Loop(); });
}

bool WebhookDispatcher::WaitUntilListening(absl::Duration timeout) {
  return listener_ != nullptr && listener_->WaitUntilListening(timeout);
}

void WebhookDispatcher::Wake(const std::string& tenant_id) {
  notified_.Increment();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    woken_.insert(tenant_id);
  }
  changed_.notify_all();
}

void WebhookDispatcher::Stop() {
  if (listener_) listener_->Stop();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  changed_.notify_all();
  if (loop_.joinable()) loop_.join();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

// Every tenant once per `poll` (events that came due, missed
// notifications); in between, the tenants woken by a notification or by a
// finished send, at once.
void WebhookDispatcher::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  absl::Time next_sweep = absl::InfinitePast();
  while (!stopping_) {
    const bool sweep = sweep_now_ || absl::Now() >= next_sweep;
    sweep_now_ = false;
    std::set<std::string> woken;
    woken.swap(woken_);
    lock.unlock();
    if (sweep) next_sweep = absl::Now() + options_.poll;
    for (const DispatchTenant& tenant : tenants_()) {
      if (sweep || woken.count(tenant.tenant_id)) Visit(tenant);
    }
    lock.lock();
    changed_.wait_for(
        lock,
        absl::ToChronoMilliseconds(
            std::max(next_sweep - absl::Now(), absl::ZeroDuration())),
        [this] { return stopping_ || sweep_now_ || !woken_.empty(); });
  }
}

void WebhookDispatcher::RunOnce() {
  for (const DispatchTenant& tenant : tenants_()) Visit(tenant);
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return total_in_flight_ == 0 || stopping_; });
}

void WebhookDispatcher::Visit(const DispatchTenant& tenant) {
  int room = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    room = std::min(options_.per_tenant - in_flight_[tenant.tenant_id],
                    options_.workers - total_in_flight_);
    if (room <= 0) return;
    // Reserved before the lease, so that no other pass overfills.
    in_flight_[tenant.tenant_id] += room;
    total_in_flight_ += room;
  }
  std::vector<OutboxEvent> leased;
  const absl::Status status = pool_.WithTenantTransaction(
      tenant.tenant_id, [&](TenantTxn& txn) -> absl::Status {
        leased = WebhookOutboxStore::LeaseDue(txn, room, options_.lease);
        return absl::OkStatus();
      });
  if (!status.ok()) {
    leased.clear();
    log::Warn("webhook outbox not read",
              {{"tenant_id", tenant.tenant_id},
               {"error", std::string(status.message())}});
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const int unused = room - static_cast<int>(leased.size());
    in_flight_[tenant.tenant_id] -= unused;
    total_in_flight_ -= unused;
    for (OutboxEvent& event : leased)
      queue_.push_back(Job{tenant, std::move(event)});
    in_flight_gauge_.Set(total_in_flight_);
  }
  changed_.notify_all();
}

void WebhookDispatcher::Work() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Deliver(job);
    Done(job.tenant.tenant_id);
    lock.lock();
  }
}

void WebhookDispatcher::Done(const std::string& tenant_id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--in_flight_[tenant_id] <= 0) in_flight_.erase(tenant_id);
    --total_in_flight_;
    woken_.insert(tenant_id);
    in_flight_gauge_.Set(total_in_flight_);
  }
  changed_.notify_all();
}

void WebhookDispatcher::Deliver(const Job& job) {
  const OutboxEvent& event = job.event;
  const absl::Time now = absl::Now();
  if (now - event.created_at > options_.max_age) {
    Record(job,
           absl::StrCat("older than ", absl::FormatDuration(options_.max_age),
                        " (the maximum age); last error: ", event.last_error),
           event.last_http_status, /*permanent=*/true);
    return;
  }
  if (absl::Status url = CheckWebhookUrl(event.url, job.tenant.sandbox);
      !url.ok()) {
    Record(job, std::string(url.message()), 0, /*permanent=*/true);
    return;
  }
  const std::string endpoint(OriginOf(event.url));
  const absl::Time open_until = BreakerOpenUntil(endpoint);
  if (open_until > now) {
    attempts_.Add({{"outcome", "breaker_open"}}).Increment();
    const absl::Status status = pool_.WithTenantTransaction(
        job.tenant.tenant_id, [&](TenantTxn& txn) -> absl::Status {
          WebhookOutboxStore::Retry(txn, event.event_seq, open_until - now,
                                    absl::StrCat("circuit open for ", endpoint,
                                                 ": ", event.last_error),
                                    event.last_http_status,
                                    /*count_attempt=*/false);
          return absl::OkStatus();
        });
    (void)status;  // the lease runs out otherwise
    return;
  }
  absl::StatusOr<WebhookSigningKey> key = absl::NotFoundError("");
  absl::StatusOr<std::string> secret = std::string();
  if (event.scheme == kSchemeRfc9421) {
    key = keys_.ForSigning(job.tenant.tenant_id);
    if (!key.ok()) {
      Record(job, absl::StrCat("not signed: ", key.status().message()), 0,
             /*permanent=*/false);
      return;
    }
  } else {
    // The buyer's secret is opened here only, for this send.
    if (keys_.vault()) {
      secret = OpenPushSecret(*keys_.vault(), job.tenant.tenant_id, event.url,
                              event.credentials);
    } else {
      secret = absl::FailedPreconditionError(
          "no key-encryption keys (WEBHOOK_SIGNING_KEKS)");
    }
    if (!secret.ok()) {
      Record(job,
             absl::StrCat("the ", event.scheme,
                          " secret does not open: ", secret.status().message()),
             0, /*permanent=*/false);
      return;
    }
  }
  absl::StatusOr<http::ClientRequest> request =
      WebhookRequest(event, key.ok() ? &*key : nullptr, *secret, now);
  OPENSSL_cleanse(secret->data(), secret->size());
  if (!request.ok()) {
    Record(job, std::string(request.status().message()), 0, false);
    return;
  }
  const absl::Time started = absl::Now();
  absl::StatusOr<http::ClientResponse> response =
      client_.Send(*request, options_.timeout);
  latency_.Observe(absl::ToDoubleSeconds(absl::Now() - started));
  if (!response.ok()) {
    // A refused address is a rule, not an outage: it is not tried again.
    const bool refused =
        response.status().code() == absl::StatusCode::kPermissionDenied;
    BreakerResult(endpoint, false);
    Record(job, std::string(response.status().message()), 0, refused);
    return;
  }
  const int code = response->status;
  const bool ok = code >= 200 && code < 300;
  BreakerResult(endpoint, ok);
  Record(job,
         ok ? ""
         : code >= 300 && code < 400
             ? absl::StrCat("HTTP ", code, ": redirects are not followed")
             : absl::StrCat("HTTP ", code),
         code, /*permanent=*/false);
}

void WebhookDispatcher::Record(const Job& job, const std::string& error,
                               int http_status, bool permanent) {
  const OutboxEvent& event = job.event;
  const bool too_old =
      !error.empty() && !permanent &&
      absl::Now() + Backoff(event.attempts) - event.created_at >
          options_.max_age;
  const char* outcome = error.empty()          ? "delivered"
                        : permanent || too_old ? "expired"
                                               : "retry";
  attempts_.Add({{"outcome", outcome}}).Increment();
  const absl::Status status = pool_.WithTenantTransaction(
      job.tenant.tenant_id, [&](TenantTxn& txn) -> absl::Status {
        if (error.empty()) {
          WebhookOutboxStore::MarkDelivered(txn, event.event_seq, http_status);
        } else if (permanent || too_old) {
          WebhookOutboxStore::Expire(txn, event.event_seq, error, http_status);
        } else {
          WebhookOutboxStore::Retry(txn, event.event_seq,
                                    Backoff(event.attempts), error, http_status,
                                    /*count_attempt=*/true);
        }
        return absl::OkStatus();
      });
  if (!error.empty() || !status.ok())
    log::Warn(
        "webhook not delivered",
        {{"tenant_id", job.tenant.tenant_id},
         {"idempotency_key", event.idempotency_key},
         {"attempt", event.attempts},
         {"outcome", outcome},
         {"error", error.empty() ? std::string(status.message()) : error}});
}

absl::Duration WebhookDispatcher::Backoff(int attempts) {
  const int exponent = std::clamp(attempts - 1, 0, 30);
  const absl::Duration ceiling = std::min(
      options_.first_backoff * std::pow(2.0, exponent), options_.max_backoff);
  // Full jitter over the upper half: retries of many events spread out.
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> share(0.5, 1.0);
  return ceiling * share(random);
}

absl::Time WebhookDispatcher::BreakerOpenUntil(const std::string& endpoint) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = breakers_.find(endpoint);
  return it == breakers_.end() ? absl::InfinitePast() : it->second.open_until;
}

void WebhookDispatcher::BreakerResult(const std::string& endpoint, bool ok) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (ok) {
    breakers_.erase(endpoint);
    return;
  }
  Breaker& breaker = breakers_[endpoint];
  if (++breaker.failures >= options_.breaker_threshold) {
    breaker.open_until = absl::Now() + options_.breaker_cooldown;
    breaker.failures = 0;
  }
}

}  // namespace adcp::media_buy
