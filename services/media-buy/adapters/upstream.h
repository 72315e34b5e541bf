// How the adapters talk to an ad server: a deadline per call, retries with
// exponential backoff for idempotent calls only, a circuit breaker per
// (tenant, adapter), and upstream refusals turned into statuses that say what
// the ad server refused and why.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/media-buy/adapters/http_transport.h"

namespace adcp::media_buy {

struct UpstreamPolicy {
  absl::Duration timeout = absl::Seconds(30);
  // Attempts of an idempotent call (GET, PUT of a whole object); a call that
  // creates something is sent once.
  int max_attempts = 3;
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(4);
  // Consecutive failed calls (timeouts, connection failures, 5xx) that open
  // the breaker, and how long it stays open before one trial call.
  int breaker_threshold = 5;
  absl::Duration breaker_cooldown = absl::Seconds(30);
};

// In-process circuit breakers, one per key ("<tenant>/<adapter>"), shared by
// every adapter instance of the process. Thread-safe.
class CircuitBreakers {
 public:
  explicit CircuitBreakers(std::function<absl::Time()> clock)
      : clock_(std::move(clock)) {}

  // OK to call the ad server; UNAVAILABLE while the breaker is open. After
  // the cooldown one trial call is let through (half-open).
  absl::Status Admit(const std::string& key, const UpstreamPolicy& policy);
  // The outcome of an admitted call: a failure is an outage (timeout,
  // connection failure, 5xx), not a refusal (4xx).
  void Record(const std::string& key, bool outage,
              const UpstreamPolicy& policy);
  // closed | open | half_open
  std::string State(const std::string& key) const;
  // How many times breakers opened since start.
  int64_t opened_total() const;
  // Called (outside the lock) when a breaker opens or closes again.
  void OnChange(std::function<void(const std::string& key, bool open)> fn);

 private:
  struct Breaker {
    int failures = 0;
    bool open = false;
    bool trial_in_flight = false;
    absl::Time opened_at;
  };
  std::function<absl::Time()> clock_;
  mutable std::mutex mu_;
  std::map<std::string, Breaker> breakers_;
  int64_t opened_total_ = 0;
  std::function<void(const std::string&, bool)> on_change_;
};

// What a response's body says the problem was (e.g. a JSON "message" or a
// SOAP fault string); empty when it says nothing useful.
using ErrorDetail = std::function<std::string(const HttpResponse&)>;

class UpstreamClient {
 public:
  struct Options {
    std::string server_name;  // "Kevel", "Google Ad Manager"
    std::string breaker_key;  // "<tenant>/<adapter>"
    std::shared_ptr<HttpTransport> transport;
    std::shared_ptr<CircuitBreakers> breakers;
    UpstreamPolicy policy;
    ErrorDetail error_detail;
    // Whether a 5xx response is in fact a refusal (SOAP servers answer 500
    // with a fault that may say the request was invalid); empty: never.
    std::function<bool(const HttpResponse&)> is_refusal;
    // Waits between attempts (tests inject a recorder).
    std::function<void(absl::Duration)> sleep;
  };
  explicit UpstreamClient(Options options);

  // Sends `request`; a 2xx response is returned. Otherwise the status says
  // "<server> refused <what>: HTTP <code>: <detail>" (4xx: INVALID_ARGUMENT,
  // 401/403: PERMISSION_DENIED, 404: NOT_FOUND, 409: ALREADY_EXISTS, 429:
  // RESOURCE_EXHAUSTED) or "<server> did not answer <what>: ..." (5xx,
  // timeouts, connection failures, open breaker: UNAVAILABLE or
  // DEADLINE_EXCEEDED). Only `idempotent` calls are retried.
  absl::StatusOr<HttpResponse> Call(const HttpRequest& request, bool idempotent,
                                    const std::string& what);

  const std::string& server_name() const { return options_.server_name; }

 private:
  absl::StatusOr<HttpResponse> Once(const HttpRequest& request,
                                    const std::string& what, bool* retryable);
  Options options_;
};

// A budget of HTTP requests to an ad server: placement/ad_server_limits.h's
// AdServerSession, installed for the adapter operation running on this
// thread (ScopedHttpRequestBudget).
class HttpRequestBudget {
 public:
  virtual ~HttpRequestBudget() = default;
  virtual absl::Status ChargeHttpRequest(std::string_view what) = 0;
};

class ScopedHttpRequestBudget {
 public:
  explicit ScopedHttpRequestBudget(HttpRequestBudget* budget);
  ~ScopedHttpRequestBudget();
  ScopedHttpRequestBudget(const ScopedHttpRequestBudget&) = delete;
  ScopedHttpRequestBudget& operator=(const ScopedHttpRequestBudget&) = delete;

 private:
  HttpRequestBudget* previous_;
};

// Counts an HTTP request to an ad server against the budget of the adapter
// operation running on this thread (UpstreamClient calls it before each
// attempt); OK when none is installed (the adapters' own tests).
absl::Status ChargeUpstreamHttpRequest(std::string_view what);

// The ad server's own words in a failed adapter status are for the logs, not
// for buyers: the summary UpstreamClient attached ("Kevel failed create
// flight for package pkg_2: HTTP 503"), which names only the server, the
// step and the HTTP status; empty when the status carries none.
std::string UpstreamSummary(const absl::Status& status);
// Attaches that summary to an ad-server failure.
void SetUpstreamSummary(absl::Status& status, std::string_view summary);

}  // namespace adcp::media_buy
