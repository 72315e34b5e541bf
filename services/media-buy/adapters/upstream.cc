#include "services/media-buy/adapters/upstream.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "libs/base/log.h"
#include "libs/base/status.h"

namespace adcp::media_buy {
namespace {

constexpr char kSummaryPayload[] = "type.adcp/upstream-summary";

// The budget of the adapter operation running on this thread.
thread_local HttpRequestBudget* current_budget = nullptr;

constexpr size_t kMaxDetail = 300;

std::string Clip(std::string text) {
  if (text.size() > kMaxDetail) {
    text.resize(kMaxDetail);
    text += "...";
  }
  return text;
}

absl::Status RefusalStatus(int http_status, std::string message) {
  switch (http_status) {
    case 401:
    case 403:
      return absl::PermissionDeniedError(message);
    case 404:
      return absl::NotFoundError(message);
    case 409:
      return absl::AlreadyExistsError(message);
    case 429:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InvalidArgumentError(message);
  }
}

}  // namespace

absl::Status CircuitBreakers::Admit(const std::string& key,
                                    const UpstreamPolicy& policy) {
  std::lock_guard<std::mutex> lock(mu_);
  Breaker& breaker = breakers_[key];
  if (!breaker.open) return absl::OkStatus();
  if (clock_() - breaker.opened_at >= policy.breaker_cooldown &&
      !breaker.trial_in_flight) {
    breaker.trial_in_flight = true;
    return absl::OkStatus();
  }
  return absl::UnavailableError(
      "the circuit breaker is open after repeated failures; calls resume "
      "after a cooldown");
}

void CircuitBreakers::Record(const std::string& key, bool outage,
                             const UpstreamPolicy& policy) {
  std::function<void(const std::string&, bool)> notify;
  bool now_open = false;
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Breaker& breaker = breakers_[key];
    const bool trial = breaker.trial_in_flight;
    const bool was_open = breaker.open;
    breaker.trial_in_flight = false;
    if (!outage) {
      breaker = Breaker{};
    } else {
      ++breaker.failures;
      if (trial ||
          (!breaker.open && breaker.failures >= policy.breaker_threshold)) {
        if (!breaker.open) ++opened_total_;
        breaker.open = true;
        breaker.opened_at = clock_();
      }
    }
    now_open = breaker.open;
    changed = now_open != was_open;
    if (changed) notify = on_change_;
  }
  if (changed && now_open)
    log::Warn("ad server circuit breaker open", {{"breaker", key}});
  if (notify) notify(key, now_open);
}

void CircuitBreakers::OnChange(
    std::function<void(const std::string& key, bool open)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  on_change_ = std::move(fn);
}

std::string CircuitBreakers::State(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = breakers_.find(key);
  if (it == breakers_.end() || !it->second.open) return "closed";
  return it->second.trial_in_flight ? "half_open" : "open";
}

int64_t CircuitBreakers::opened_total() const {
  std::lock_guard<std::mutex> lock(mu_);
  return opened_total_;
}

UpstreamClient::UpstreamClient(Options options) : options_(std::move(options)) {
  if (!options_.sleep)
    options_.sleep = [](absl::Duration d) { absl::SleepFor(d); };
}

absl::StatusOr<HttpResponse> UpstreamClient::Once(const HttpRequest& request,
                                                  const std::string& what,
                                                  bool* retryable) {
  *retryable = false;
  // The request's bound on HTTP requests to the ad server (an AdCP error of
  // ours: neither retried nor an outage).
  RETURN_IF_ERROR(ChargeUpstreamHttpRequest(what));
  const std::string& key = options_.breaker_key;
  if (absl::Status admitted = options_.breakers->Admit(key, options_.policy);
      !admitted.ok()) {
    // Our own words only: they may reach the buyer as they are.
    absl::Status status = absl::UnavailableError(
        absl::StrCat(options_.server_name, " was not called for ", what, ": ",
                     admitted.message()));
    SetUpstreamSummary(status, std::string(status.message()));
    return status;
  }
  auto response = options_.transport->Send(request, options_.policy.timeout);
  if (!response.ok()) {
    options_.breakers->Record(key, /*outage=*/true, options_.policy);
    *retryable = true;
    // The transport's message names the ad server's address: logs only.
    absl::Status status =
        absl::Status(response.status().code(),
                     absl::StrCat(options_.server_name, " did not answer ",
                                  what, ": ", response.status().message()));
    SetUpstreamSummary(
        status, absl::StrCat(options_.server_name, " did not answer ", what,
                             response.status().code() ==
                                     absl::StatusCode::kDeadlineExceeded
                                 ? " in time"
                                 : ""));
    return status;
  }
  const int code = response->status;
  const bool outage =
      code >= 500 && !(options_.is_refusal && options_.is_refusal(*response));
  options_.breakers->Record(key, outage, options_.policy);
  if (code >= 200 && code < 300) return response;
  std::string detail =
      options_.error_detail ? options_.error_detail(*response) : "";
  if (detail.empty()) detail = response->body;
  // The summary (server, step, HTTP status) is ours; the detail is the ad
  // server's text, which goes to the logs and never to a buyer.
  const std::string summary =
      absl::StrCat(options_.server_name, outage ? " failed " : " refused ",
                   what, ": HTTP ", code);
  std::string message = summary;
  if (!detail.empty()) absl::StrAppend(&message, ": ", Clip(detail));
  absl::Status status;
  if (code >= 500 && !outage) {
    status = absl::InvalidArgumentError(message);
  } else if (outage || code == 429) {
    *retryable = true;
    status = outage ? absl::UnavailableError(message)
                    : absl::ResourceExhaustedError(message);
  } else {
    status = RefusalStatus(code, message);
  }
  SetUpstreamSummary(status, summary);
  return status;
}

absl::StatusOr<HttpResponse> UpstreamClient::Call(const HttpRequest& request,
                                                  bool idempotent,
                                                  const std::string& what) {
  const int attempts =
      idempotent ? std::max(1, options_.policy.max_attempts) : 1;
  absl::Duration backoff = options_.policy.initial_backoff;
  absl::StatusOr<HttpResponse> result;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    bool retryable = false;
    result = Once(request, what, &retryable);
    if (result.ok() || !retryable || attempt == attempts) break;
    // An open breaker is not retried: it stays open for the cooldown.
    if (options_.breakers->State(options_.breaker_key) == "open") break;
    log::Info("retrying an ad server call",
              {{"server", options_.server_name},
               {"call", what},
               {"attempt", attempt},
               {"error", std::string(result.status().message())}});
    options_.sleep(backoff);
    backoff = std::min(backoff * 2, options_.policy.max_backoff);
  }
  return result;
}

ScopedHttpRequestBudget::ScopedHttpRequestBudget(HttpRequestBudget* budget)
    : previous_(current_budget) {
  current_budget = budget;
}

ScopedHttpRequestBudget::~ScopedHttpRequestBudget() {
  current_budget = previous_;
}

absl::Status ChargeUpstreamHttpRequest(std::string_view what) {
  return current_budget == nullptr ? absl::OkStatus()
                                   : current_budget->ChargeHttpRequest(what);
}

std::string UpstreamSummary(const absl::Status& status) {
  auto payload = status.GetPayload(kSummaryPayload);
  return payload ? std::string(*payload) : std::string();
}

void SetUpstreamSummary(absl::Status& status, std::string_view summary) {
  if (status.ok()) return;
  status.SetPayload(kSummaryPayload, absl::Cord(std::string(summary)));
}

}  // namespace adcp::media_buy
