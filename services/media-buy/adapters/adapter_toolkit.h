// What the real ad-server adapters (Kevel, Google Ad Manager) share: their
// dependencies, credential resolution, the dry-run journal and small helpers.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "services/media-buy/adapters/adapter.h"
#include "services/media-buy/adapters/adapter_secrets.h"
#include "services/media-buy/adapters/upstream.h"

namespace adcp::media_buy {

// Built once by the server and shared by every adapter instance.
struct AdapterDeps {
  std::shared_ptr<HttpTransport> transport;
  std::shared_ptr<CircuitBreakers> breakers;
  std::shared_ptr<const SecretStore> secrets;
  UpstreamPolicy policy;
  // A tenant whose adapter names no credentials, or names a secret the
  // deployment lacks, runs in dry_run instead of failing (./dev up).
  bool dry_run_without_credentials = false;
  // Waits between retries and report polls; empty: absl::SleepFor.
  std::function<void(absl::Duration)> sleep;
};

// How an adapter instance runs: live with a credential, or in dry_run.
struct AdapterMode {
  bool dry_run = false;
  std::string credential;  // the secret's value; empty in dry_run
};

// Resolves the secret named by config[`reference_key`]. The call's own
// dry_run wins; a missing reference or secret is dry_run when the deployment
// allows it, else FAILED_PRECONDITION naming the key and the secret (never
// a value).
absl::StatusOr<AdapterMode> ResolveMode(const AdapterContext& context,
                                        const AdapterDeps& deps,
                                        const std::string& adapter,
                                        const std::string& reference_key);

// The exact calls an adapter made, or in dry_run would have made: one line
// per call, "METHOD URL BODY" (never headers: they carry credentials).
class CallJournal {
 public:
  CallJournal(std::string tenant_id, std::string adapter, bool dry_run)
      : tenant_id_(std::move(tenant_id)),
        adapter_(std::move(adapter)),
        dry_run_(dry_run) {}
  // Records the call; in dry_run also logs it.
  void Record(const HttpRequest& request);
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::string tenant_id_;
  std::string adapter_;
  bool dry_run_;
  std::vector<std::string> lines_;
};

// The UpstreamClient of one adapter instance (breaker key tenant/adapter).
UpstreamClient MakeUpstreamClient(
    const AdapterDeps& deps, const AdapterContext& context,
    const std::string& adapter, std::string server_name,
    ErrorDetail error_detail,
    std::function<bool(const HttpResponse&)> is_refusal = nullptr);

// principal_mappings[adapter][key] as a string ("123" or 123); empty when
// absent.
std::string MappedId(const nlohmann::json& mappings, const std::string& adapter,
                     const std::string& key);

// Lenient reads of JSON the adapters do not control (ad-server answers,
// stored creative assets, deployment config): a missing key, a null, a value
// of another type or an `object` that is no object gives the fallback;
// nothing throws.
std::string JsonString(const nlohmann::json& object, const std::string& key,
                       const std::string& fallback = "");
int64_t JsonInt(const nlohmann::json& object, const std::string& key,
                int64_t fallback);
double JsonNumber(const nlohmann::json& object, const std::string& key,
                  double fallback);
bool JsonBool(const nlohmann::json& object, const std::string& key,
              bool fallback);
// The array / object at `key`, else an empty one.
const nlohmann::json& JsonArray(const nlohmann::json& object,
                                const std::string& key);
const nlohmann::json& JsonObject(const nlohmann::json& object,
                                 const std::string& key);

// config[key] as a string (string or integer); `fallback` when absent.
std::string ConfigString(const nlohmann::json& config, const std::string& key,
                         const std::string& fallback = "");

// 2026-01-31T23:59:59Z
std::string IsoTime(absl::Time time);

// A create call that failed this way may still have created its object
// (timeout, connection lost, 5xx): look it up before creating it again.
bool OutcomeUnknown(const absl::Status& status);

// Where a resumable CreateMediaBuy stands (adapter.h's CreatedOrder
// contract). Made at the start of an attempt: clears the failed step, makes
// order.upstream an object and takes out the step an earlier attempt left
// uncertain (its outcome unknown: look it up before creating it again).
class OrderProgress {
 public:
  explicit OrderProgress(CreatedOrder& order);
  // The step an earlier attempt left uncertain, empty when none.
  const std::string& uncertain() const { return uncertain_; }
  // Records that `step` failed and returns `status`; a step that was
  // `creating` an object with an unknown outcome is left uncertain for the
  // next attempt.
  absl::Status Fail(const std::string& step, const absl::Status& status,
                    bool creating);

 private:
  CreatedOrder& order_;
  std::string uncertain_;
};

// The buy's delivery report from what the ad server reported per line id
// (`by_line`, whose package_id is ignored) up to `until`: pacing against an
// even spend of each package's budget over the flight, and the delivery
// status.
DeliveryReport DeliveryFromLines(
    const AdapterBuy& buy, absl::Time until,
    std::map<std::string, PackageDeliveryReport> by_line);

// The first asset of `type` (image, html, video, url, ...) in an AdCP
// creative's assets map; null when none.
nlohmann::json FindAsset(const nlohmann::json& assets, const std::string& type);
// The click-through URL of a creative (an asset of type url whose role or
// url_type says click/landing), empty when none.
std::string ClickUrl(const nlohmann::json& assets);

}  // namespace adcp::media_buy
