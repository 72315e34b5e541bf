#include "services/media-buy/adapters/adapter_toolkit.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/base/log.h"

namespace adcp::media_buy {

absl::StatusOr<AdapterMode> ResolveMode(const AdapterContext& context,
                                        const AdapterDeps& deps,
                                        const std::string& adapter,
                                        const std::string& reference_key) {
  if (context.dry_run) return AdapterMode{.dry_run = true};
  const std::string name = ConfigString(context.config, reference_key);
  absl::Status problem;
  if (name.empty()) {
    problem = absl::FailedPreconditionError(
        absl::StrCat("adapters.", adapter, ".", reference_key,
                     " names no credentials for the ad server"));
  } else if (!deps.secrets) {
    problem = absl::FailedPreconditionError(
        "this deployment has no adapter secret store");
  } else {
    auto value = deps.secrets->Get(name);
    if (value.ok()) return AdapterMode{.credential = *std::move(value)};
    problem = absl::FailedPreconditionError(
        absl::StrCat("adapters.", adapter, ".", reference_key, ": ",
                     value.status().message()));
  }
  if (deps.dry_run_without_credentials) {
    log::Info("ad server adapter runs in dry_run: no credentials",
              {{"tenant_id", context.tenant_id},
               {"adapter", adapter},
               {"reason", std::string(problem.message())}});
    return AdapterMode{.dry_run = true};
  }
  return problem;
}

void CallJournal::Record(const HttpRequest& request) {
  std::string line = absl::StrCat(request.method, " ", request.url);
  if (!request.body.empty()) absl::StrAppend(&line, " ", request.body);
  if (dry_run_) {
    log::Info(
        "adapter dry_run",
        {{"tenant_id", tenant_id_}, {"adapter", adapter_}, {"call", line}});
  }
  lines_.push_back(std::move(line));
}

UpstreamClient MakeUpstreamClient(
    const AdapterDeps& deps, const AdapterContext& context,
    const std::string& adapter, std::string server_name,
    ErrorDetail error_detail,
    std::function<bool(const HttpResponse&)> is_refusal) {
  UpstreamPolicy policy = deps.policy;
  if (context.config.contains("timeout_seconds") &&
      context.config["timeout_seconds"].is_number() &&
      context.config["timeout_seconds"].get<double>() > 0) {
    policy.timeout =
        absl::Seconds(context.config["timeout_seconds"].get<double>());
  }
  return UpstreamClient(
      {.server_name = std::move(server_name),
       .breaker_key = absl::StrCat(context.tenant_id, "/", adapter),
       .transport = deps.transport,
       .breakers = deps.breakers,
       .policy = policy,
       .error_detail = std::move(error_detail),
       .is_refusal = std::move(is_refusal),
       .sleep = deps.sleep});
}

std::string MappedId(const nlohmann::json& mappings, const std::string& adapter,
                     const std::string& key) {
  if (!mappings.is_object() || !mappings.contains(adapter) ||
      !mappings[adapter].is_object())
    return "";
  return ConfigString(mappings[adapter], key);
}

namespace {

const nlohmann::json* Member(const nlohmann::json& object,
                             const std::string& key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

}  // namespace

std::string JsonString(const nlohmann::json& object, const std::string& key,
                       const std::string& fallback) {
  const nlohmann::json* value = Member(object, key);
  return value && value->is_string() ? value->get<std::string>() : fallback;
}

int64_t JsonInt(const nlohmann::json& object, const std::string& key,
                int64_t fallback) {
  const nlohmann::json* value = Member(object, key);
  if (value == nullptr || !value->is_number()) return fallback;
  if (value->is_number_float()) {
    const double number = value->get<double>();
    return std::isfinite(number) && std::fabs(number) < 9e18
               ? static_cast<int64_t>(std::llround(number))
               : fallback;
  }
  return value->is_number_unsigned() ? static_cast<int64_t>(std::min<uint64_t>(
                                           value->get<uint64_t>(), INT64_MAX))
                                     : value->get<int64_t>();
}

double JsonNumber(const nlohmann::json& object, const std::string& key,
                  double fallback) {
  const nlohmann::json* value = Member(object, key);
  return value && value->is_number() ? value->get<double>() : fallback;
}

bool JsonBool(const nlohmann::json& object, const std::string& key,
              bool fallback) {
  const nlohmann::json* value = Member(object, key);
  return value && value->is_boolean() ? value->get<bool>() : fallback;
}

const nlohmann::json& JsonArray(const nlohmann::json& object,
                                const std::string& key) {
  static const nlohmann::json* empty =
      new nlohmann::json(nlohmann::json::array());
  const nlohmann::json* value = Member(object, key);
  return value && value->is_array() ? *value : *empty;
}

const nlohmann::json& JsonObject(const nlohmann::json& object,
                                 const std::string& key) {
  static const nlohmann::json* empty =
      new nlohmann::json(nlohmann::json::object());
  const nlohmann::json* value = Member(object, key);
  return value && value->is_object() ? *value : *empty;
}

std::string ConfigString(const nlohmann::json& config, const std::string& key,
                         const std::string& fallback) {
  if (!config.is_object() || !config.contains(key)) return fallback;
  const nlohmann::json& value = config[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_number_unsigned()) return std::to_string(value.get<uint64_t>());
  return fallback;
}

std::string IsoTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

bool OutcomeUnknown(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

OrderProgress::OrderProgress(CreatedOrder& order) : order_(order) {
  order_.failed_step.clear();
  if (!order_.upstream.is_object()) order_.upstream = nlohmann::json::object();
  uncertain_ = JsonString(order_.upstream, "uncertain");
  order_.upstream.erase("uncertain");
}

absl::Status OrderProgress::Fail(const std::string& step,
                                 const absl::Status& status, bool creating) {
  order_.failed_step = step;
  if (creating && OutcomeUnknown(status)) order_.upstream["uncertain"] = step;
  return status;
}

DeliveryReport DeliveryFromLines(
    const AdapterBuy& buy, absl::Time until,
    std::map<std::string, PackageDeliveryReport> by_line) {
  DeliveryReport report;
  const absl::Time end = std::min(until, buy.end_time);
  const double flight = absl::ToDoubleSeconds(buy.end_time - buy.start_time);
  const double elapsed =
      std::clamp(absl::ToDoubleSeconds(end - buy.start_time), 0.0, flight);
  for (const AdapterPackage& package : buy.packages) {
    PackageDeliveryReport line = by_line[package.line_id];
    line.package_id = package.package_id;
    const double expected = flight > 0 ? package.budget * elapsed / flight : 0;
    line.pacing_index = expected > 0 ? line.spend / expected : 0;
    if (until < buy.start_time) {
      line.delivery_status.clear();
    } else if (until >= buy.end_time) {
      line.delivery_status = "completed";
    } else if (package.budget > 0 && line.spend >= package.budget) {
      line.delivery_status = "budget_exhausted";
    } else if (!buy.paused && !package.paused) {
      line.delivery_status = "delivering";
    }
    report.packages.push_back(std::move(line));
  }
  return report;
}

nlohmann::json FindAsset(const nlohmann::json& assets,
                         const std::string& type) {
  if (!assets.is_object()) return nullptr;
  for (const auto& [role, asset] : assets.items()) {
    if (asset.is_object() && JsonString(asset, "asset_type") == type)
      return asset;
  }
  return nullptr;
}

std::string ClickUrl(const nlohmann::json& assets) {
  if (!assets.is_object()) return "";
  for (const auto& [role, asset] : assets.items()) {
    if (!asset.is_object() || JsonString(asset, "asset_type") != "url")
      continue;
    const std::string kind = JsonString(asset, "url_type") + " " + role;
    if (absl::StrContains(kind, "click") || absl::StrContains(kind, "landing"))
      return JsonString(asset, "url");
  }
  return "";
}

}  // namespace adcp::media_buy
