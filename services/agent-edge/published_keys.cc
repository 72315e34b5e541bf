#include "services/agent-edge/published_keys.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

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

absl::StatusOr<PublishedKeys::Jwks> PublishedKeys::Get(
    const std::string& tenant_id) {
  const absl::Time now = clock_();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(tenant_id);
    if (it != entries_.end() && now - it->second.fetched_at < options_.ttl)
      return Jwks{it->second.body,
                  options_.ttl - (now - it->second.fetched_at)};
  }
  // Concurrent misses of one tenant may each call: at most one per HTTP
  // thread, once per ttl.
  absl::StatusOr<std::string> body = Fetch(tenant_id);
  if (!body.ok()) return body.status();
  std::lock_guard<std::mutex> lock(mutex_);
  if (entries_.size() >= options_.max_tenants && !entries_.count(tenant_id)) {
    auto oldest = std::min_element(
        entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
          return a.second.fetched_at < b.second.fetched_at;
        });
    entries_.erase(oldest);
  }
  entries_[tenant_id] = Entry{*body, now};
  return Jwks{*std::move(body), options_.ttl};
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
  entries_.erase(tenant_id);
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
