// Delivers the webhook outbox (store/webhook_store.h), at least once, from
// any number of media-buy replicas. Each pass visits every tenant in turn
// and leases its due events (FOR UPDATE SKIP LOCKED, a lease in the row):
// an event is sent by one replica at a time, and a replica that dies
// mid-send loses nothing (its lease runs out and another sends it again,
// with the same idempotency_key). Of each subject (a media buy, a
// creative) only the first pending event is leased, so a subject's events
// arrive in order.
//
// Bounded: at most `workers` sends at once over all tenants and
// `per_tenant` per tenant, so a slow receiver of one tenant holds at most
// its own slots. A failed attempt is retried after an exponential backoff
// with jitter, until `max_age`; an endpoint (scheme, host, port) that
// fails `breaker_threshold` times in a row is left alone for
// `breaker_cooldown` (its events wait without spending attempts). Outbound
// calls go through OutboundGuard (no internal addresses, checked on the
// address connected), follow no redirect (a 3xx is a failure), and have a
// deadline and a size limit.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "libs/db/pg_listener.h"
#include "libs/db/pg_pool.h"
#include "libs/http/client.h"
#include "libs/http/outbound_guard.h"
#include "services/media-buy/store/webhook_store.h"
#include "services/media-buy/webhooks/webhook_keys.h"

namespace adcp::media_buy {

struct WebhookDispatchOptions {
  absl::Duration poll = absl::Seconds(1);
  int workers = 16;
  int per_tenant = 4;
  absl::Duration timeout = absl::Seconds(10);  // one attempt, whole exchange
  absl::Duration lease = absl::Seconds(60);    // longer than `timeout`
  absl::Duration first_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(10);
  absl::Duration max_age = absl::Hours(24);
  int breaker_threshold = 5;
  absl::Duration breaker_cooldown = absl::Seconds(30);
  size_t max_response_bytes = 64 << 10;
  // WEBHOOK_ALLOWED_CIDRS: ranges the guard admits (a test receiver).
  std::vector<http::Cidr> allowed;
  // Where to LISTEN for the outbox's announcements (kOutboxChannel), to
  // visit a tenant as soon as an event of it commits; `poll` is then only
  // the fallback (retries that come due, a missed notification). Empty:
  // poll only.
  std::string listen_conninfo;
};

// A tenant as the dispatcher needs it: sandbox tenants may use http URLs.
struct DispatchTenant {
  std::string tenant_id;
  bool sandbox = false;
};

class WebhookDispatcher {
 public:
  using TenantList = std::function<std::vector<DispatchTenant>()>;

  WebhookDispatcher(PgPool& pool, TenantList tenants, WebhookKeys& keys,
                    WebhookDispatchOptions options,
                    prometheus::Registry& metrics);
  ~WebhookDispatcher();

  void Start();
  void Stop();  // waits for the sends in flight
  // Whether the LISTEN is up (with listen_conninfo), for tests.
  bool WaitUntilListening(absl::Duration timeout);
  // One pass over every tenant, then waits for the sends it started (tests).
  void RunOnce();

 private:
  struct Job {
    DispatchTenant tenant;
    OutboxEvent event;
  };
  struct Breaker {
    int failures = 0;
    absl::Time open_until = absl::InfinitePast();
  };

  void Loop();
  // A notification: `tenant_id` has a new event (visited at once).
  void Wake(const std::string& tenant_id);
  void Work();
  // Leases what `tenant` may send now and queues it.
  void Visit(const DispatchTenant& tenant);
  void Deliver(const Job& job);
  // The attempt's outcome, written back; `error` empty for a 2xx.
  void Record(const Job& job, const std::string& error, int http_status,
              bool permanent);
  absl::Duration Backoff(int attempts);
  // Until when the endpoint's breaker is open (past when closed).
  absl::Time BreakerOpenUntil(const std::string& endpoint);
  void BreakerResult(const std::string& endpoint, bool ok);
  void Done(const std::string& tenant_id);

  PgPool& pool_;
  const TenantList tenants_;
  WebhookKeys& keys_;
  const WebhookDispatchOptions options_;
  http::OutboundGuard guard_;
  http::Client client_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> queue_;
  std::map<std::string, int> in_flight_;  // by tenant: queued or sending
  int total_in_flight_ = 0;
  std::map<std::string, Breaker> breakers_;  // by endpoint
  size_t next_tenant_ = 0;
  // Tenants to visit before the next sweep: announced by a notification,
  // or one of their sends finished (the subject's next event may go).
  std::set<std::string> woken_;
  bool sweep_now_ = false;  // the listener (re)connected: it may have missed
  bool stopping_ = false;
  std::unique_ptr<PgListener> listener_;
  std::thread loop_;
  std::vector<std::thread> workers_;

  prometheus::Family<prometheus::Counter>& attempts_;
  prometheus::Histogram& latency_;
  prometheus::Gauge& in_flight_gauge_;
  prometheus::Counter& notified_;
};

}  // namespace adcp::media_buy
