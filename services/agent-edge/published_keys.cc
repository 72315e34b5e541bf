#include "services/agent-edge/published_keys.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "adcp/media_buy/v1/media_buy.grpc.pb.h"
#include "libs/base/log.h"
#include "libs/json/proto_json.h"
#include "libs/tenancy/metadata.h"
#include "services/agent-edge/edge_request.h"

namespace adcp::agent_edge {

PublishedKeys::PublishedKeys(std::shared_ptr<grpc::Channel> media_buy,
                             PublishedKeysOptions options, Clock clock)
    : media_buy_(std::move(media_buy)),
      options_(options),
      clock_(std::move(clock)) {}

std::optional<absl::StatusOr<PublishedKeys::Jwks>> PublishedKeys::FreshAnswer(
    const Entry& entry, absl::Time now) const {
  const absl::Duration age = now - entry.fetched_at;
  if (!entry.body.ok()) {
    if (age < options_.failure_ttl) return entry.body.status();
    return std::nullopt;
  }
  if (age < options_.ttl) return Jwks{*entry.body, options_.ttl - age};
  return std::nullopt;
}

absl::StatusOr<PublishedKeys::Jwks> PublishedKeys::Get(
    const std::string& tenant_id) {
  std::unique_lock<std::mutex> lock(mutex_);
  const absl::Time give_up = absl::Now() + options_.deadline;
  while (true) {
    if (auto it = entries_.find(tenant_id); it != entries_.end())
      if (auto answer = FreshAnswer(it->second, clock_())) return *answer;
    if (!in_flight_.count(tenant_id)) break;
    // Another request is fetching this tenant's keys: wait for its answer.
    if (fetched_.wait_until(lock, absl::ToChronoTime(give_up)) ==
        std::cv_status::timeout)
      return absl::UnavailableError("the signing keys are not available");
  }
  in_flight_.insert(tenant_id);
  lock.unlock();
  absl::StatusOr<std::string> body = Fetch(tenant_id);
  lock.lock();
  in_flight_.erase(tenant_id);
  const absl::Time now = clock_();
  Keep(tenant_id, body, now);
  fetched_.notify_all();
  if (!body.ok()) return body.status();
  return Jwks{*std::move(body), options_.ttl};
}

void PublishedKeys::Keep(const std::string& tenant_id,
                         absl::StatusOr<std::string> body, absl::Time now) {
  if (auto it = entries_.find(tenant_id); it != entries_.end()) {
    order_.splice(order_.end(), order_, it->second.in_order);
    it->second.body = std::move(body);
    it->second.fetched_at = now;
    return;
  }
  if (entries_.size() >= options_.max_tenants && !order_.empty()) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(tenant_id);
  entries_.emplace(tenant_id,
                   Entry{std::move(body), now, std::prev(order_.end())});
}

absl::StatusOr<std::string> PublishedKeys::Fetch(const std::string& tenant_id) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
  if (absl::Status forwarded =
          ForwardTenant(&context, ForwardedCall{.tenant_id = tenant_id});
      !forwarded.ok())
    return forwarded;
  media_buy::v1::GetWebhookSigningKeysResponse response;
  const grpc::Status status =
      media_buy::v1::MediaBuyService::NewStub(media_buy_)
          ->GetWebhookSigningKeys(&context,
                                  media_buy::v1::GetWebhookSigningKeysRequest(),
                                  &response);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++fetches_;
  }
  if (!status.ok()) {
    log::Error("media-buy did not give the webhook-signing keys",
               {{"tenant_id", tenant_id},
                {"code", static_cast<int>(status.error_code())},
                {"error", status.error_message()}});
    return absl::UnavailableError("the signing keys are not available");
  }
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& key : response.keys()) keys.push_back(ProtoToJson(key));
  return nlohmann::json{{"keys", std::move(keys)}}.dump();
}

void PublishedKeys::Forget(const std::string& tenant_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = entries_.find(tenant_id); it != entries_.end()) {
    order_.erase(it->second.in_order);
    entries_.erase(it);
  }
}

int64_t PublishedKeys::fetches() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fetches_;
}

nlohmann::json BrandJsonOf(const std::string& tenant_id,
                           const std::string& agent_url,
                           const std::string& jwks_uri) {
  return {{"version", "1.0"},
          {"agents",
           {{{"type", "sales"},
             {"id", absl::StrReplaceAll(tenant_id, {{"-", "_"}})},
             {"url", agent_url},
             {"jwks_uri", jwks_uri}}}}};
}

bool IsPublishedKeysPath(std::string_view path) {
  return path == "/.well-known/jwks.json" || path == "/.well-known/brand.json";
}

http::Response AgentEdge::WellKnownKeys(const Request& call,
                                        const std::string& path) {
  namespace bhttp = boost::beast::http;
  const http::Request& request = call.http;
  if (request.method() != bhttp::verb::get &&
      request.method() != bhttp::verb::head) {
    http::Response response = http::JsonError(
        request, bhttp::status::method_not_allowed, "GET this document");
    response.set(bhttp::field::allow, "GET, HEAD");
    return response;
  }
  if (path == "/.well-known/brand.json") {
    call.tool = "brand.json";
    const std::string base = TenantBaseUrl(request, call.tenant);
    if (base.empty())
      return http::JsonError(request, bhttp::status::bad_request,
                             "a Host header naming this server is required");
    http::Response response =
        Json(request, bhttp::status::ok,
             BrandJsonOf(call.tenant_id, base + "/mcp",
                         base + "/.well-known/jwks.json"));
    response.set(bhttp::field::cache_control, "public, max-age=300");
    return response;
  }
  call.tool = "jwks.json";
  absl::StatusOr<PublishedKeys::Jwks> jwks =
      published_keys_.Get(call.tenant_id);
  if (!jwks.ok())
    return http::JsonError(request, bhttp::status::service_unavailable,
                           std::string(jwks.status().message()));
  http::Response response =
      http::JsonResponse(request, bhttp::status::ok, jwks->body);
  response.set(bhttp::field::content_type, "application/jwk-set+json");
  response.set(
      bhttp::field::cache_control,
      absl::StrCat("public, max-age=",
                   std::max<int64_t>(0, absl::ToInt64Seconds(jwks->max_age))));
  return response;
}

}  // namespace adcp::agent_edge
