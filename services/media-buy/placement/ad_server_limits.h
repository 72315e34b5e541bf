// Bounds on what one request, and one tenant, may ask of an ad server
// (issue 19, "bounded work per request").
//
// - A bulkhead per tenant: at most `concurrency_per_tenant` of a tenant's
//   requests use its ad server at once. A request that finds every slot
//   taken waits at most `slot_wait`, then is answered UNAVAILABLE
//   (SERVICE_UNAVAILABLE, transient), so a tenant whose ad server is slow
//   holds at most that many request threads while every other tenant is
//   served. Tasks that will call the ad server take their slot before they
//   open a transaction, so a waiting request holds no database connection;
//   create_media_buy and approvals still call the ad server inside their
//   transaction (at most this many connections per tenant), update_media_buy
//   and get_media_buy_delivery outside any.
// - A fan-out limit: at most `max_calls_per_request` ad-server operations
//   (adapter calls: create an order, push creatives, update, a delivery
//   report) per request, and at most `max_http_requests_per_request` HTTP
//   requests to the ad server in all (retries and report polls included),
//   which is what the publisher's API quota counts.
//
// A request's slot is taken once (AdServerSession::Reserve) and held until
// the request ends, so that a request never waits for a second slot of its
// own tenant while holding one.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/base/bulkhead.h"
#include "services/media-buy/adapters/adapter.h"
#include "services/media-buy/adapters/upstream.h"

namespace adcp::media_buy {

struct AdServerLimits {
  // MEDIA_BUY_ADAPTER_CONCURRENCY_PER_TENANT
  int concurrency_per_tenant = 4;
  // MEDIA_BUY_ADAPTER_SLOT_WAIT_MS
  absl::Duration slot_wait = absl::Seconds(1);
  // MEDIA_BUY_MAX_AD_SERVER_CALLS_PER_REQUEST; twice the id cap of a
  // delivery request (a report at its end and one at its start per buy).
  int max_calls_per_request = 200;
  // MEDIA_BUY_MAX_AD_SERVER_HTTP_REQUESTS_PER_REQUEST
  int max_http_requests_per_request = 1000;
};

// The per-tenant slots are adcp::TenantBulkhead (libs/base), as at the
// agent edge.

// One request's use of its tenant's ad server: the slot (taken at the first
// need, held to the end of the request) and the count of operations. Not
// thread-safe: one per request.
class AdServerSession final : public HttpRequestBudget {
 public:
  AdServerSession(TenantBulkhead* bulkhead, std::string tenant_id,
                  int max_calls, int max_http_requests = 1000)
      : bulkhead_(bulkhead),
        tenant_id_(std::move(tenant_id)),
        max_calls_(max_calls),
        max_http_requests_(max_http_requests) {}

  // Takes the tenant's slot unless this request holds it already.
  absl::Status Reserve();
  // Counts one ad-server operation; INVALID_REQUEST once the request has
  // made max_calls of them.
  absl::Status Charge(std::string_view operation);
  // Counts one HTTP request to the ad server; INVALID_REQUEST once the
  // request has sent max_http_requests of them.
  absl::Status ChargeHttpRequest(std::string_view what) override;
  int calls() const { return calls_; }
  int max_calls() const { return max_calls_; }
  int http_requests() const { return http_requests_; }

 private:
  TenantBulkhead* bulkhead_;
  std::string tenant_id_;
  int max_calls_;
  int max_http_requests_;
  int calls_ = 0;
  int http_requests_ = 0;
  TenantBulkhead::Slot slot_;
};

// The adapter as the service uses it: every operation first reserves the
// request's slot and is counted against its fan-out limit; while it runs,
// the session is this thread's HTTP request budget (upstream.h).
std::unique_ptr<AdServerAdapter> GuardAdapter(
    std::unique_ptr<AdServerAdapter> inner, AdServerSession* session);

}  // namespace adcp::media_buy
