#include "services/agent-edge/signature_gate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/base/log.h"
#include "libs/http/outbound_guard.h"
#include "libs/httpsig/structured_fields.h"
#include "libs/tenancy/request_signing_config.h"
#include "libs/tenancy/tenant_route.h"

namespace adcp::agent_edge {
namespace {

using tenant::v1::RequestSigningConfig;

bool Lists(const google::protobuf::RepeatedPtrField<std::string>& names,
           std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

httpsig::RequestSigningPolicy PolicyOf(const RequestSigningConfig& config) {
  httpsig::RequestSigningPolicy policy;
  const std::string& digest = config.covers_content_digest();
  policy.covers_content_digest =
      digest == "required"    ? httpsig::DigestCoverage::kRequired
      : digest == "forbidden" ? httpsig::DigestCoverage::kForbidden
                              : httpsig::DigestCoverage::kEither;
  policy.required_for.assign(config.required_for().begin(),
                             config.required_for().end());
  return policy;
}

// Tenants whose key sets are kept at once.
constexpr size_t kMaxKeySets = 10000;

std::string HeaderOf(const http::Request& request,
                     boost::beast::http::field name) {
  const auto found = request.find(name);
  return found == request.end()
             ? std::string()
             : std::string(found->value().data(), found->value().size());
}

// The bounds on the signature fields: their bytes, and their members.
bool WithinBounds(const httpsig::HttpMessage& message) {
  for (const char* name : {"signature-input", "signature", "content-digest"}) {
    size_t bytes = 0, members = 0;
    for (const std::string& line : message.FieldLines(name)) {
      bytes += line.size();
      members += 1 + std::count(line.begin(), line.end(), ',');
    }
    // Commas inside inner lists are separators of no member, so the count
    // is an upper bound only for dictionaries of items; inner lists use
    // spaces.
    if (bytes > kMaxSignatureFieldBytes || members > kMaxSignatureMembers)
      return false;
  }
  return true;
}

}  // namespace

std::shared_ptr<httpsig::MemoryReplayCache> MemoryReplayStores::Memory(
    const std::string& tenant_id, uint32_t per_key_cap) {
  std::lock_guard lock(mutex_);
  auto& [cap, cache] = caches_[tenant_id];
  if (cache == nullptr || cap != per_key_cap) {
    cap = per_key_cap;
    cache = std::make_shared<httpsig::MemoryReplayCache>(per_key_cap);
  }
  return cache;
}

SignatureGate::SignatureGate(JwksFetchOptions jwks_options,
                             std::vector<http::Cidr> jwks_allowed,
                             std::shared_ptr<ReplayStores> replays,
                             std::vector<std::string> base_domains)
    : client_([&] {
        http::ClientOptions options;
        options.max_response_bytes = jwks_options.max_bytes;
        options.max_idle_connections = 16;
        auto guard =
            std::make_shared<http::OutboundGuard>(std::move(jwks_allowed));
        options.admit_address = [guard](const sockaddr* address) {
          return guard->Admit(address);
        };
        return http::Client(options);
      }()),
      jwks_(client_, jwks_options),
      replays_(replays ? std::move(replays)
                       : std::shared_ptr<ReplayStores>(
                             std::make_shared<MemoryReplayStores>())),
      base_domains_(std::move(base_domains)) {}

int SignatureGate::key_sets_built() const {
  std::lock_guard lock(key_sets_mutex_);
  return key_sets_built_;
}

std::shared_ptr<const CounterpartyKeySet> SignatureGate::KeySetOf(
    const tenant::v1::Tenant& tenant) {
  const int64_t version = tenant.updated_at().seconds() * 1000000 +
                          tenant.updated_at().nanos() / 1000;
  std::lock_guard lock(key_sets_mutex_);
  auto found = key_sets_.find(tenant.tenant_id());
  if (found != key_sets_.end() && found->second.updated_at_micros == version)
    return found->second.set;
  // Bounded by the tenants that verify signatures; a deleted tenant's set
  // goes when the map is full.
  if (found == key_sets_.end() && key_sets_.size() >= kMaxKeySets)
    key_sets_.clear();
  auto set = std::make_shared<const CounterpartyKeySet>(
      tenant.config().request_signing());
  key_sets_[tenant.tenant_id()] = {version, set};
  ++key_sets_built_;
  return set;
}

httpsig::HttpMessage SignatureGate::MessageOf(const http::Request& request) {
  auto text = [](const auto& view) {
    return std::string(view.data(), view.size());
  };
  httpsig::HttpMessage message;
  message.method = text(request.method_string());
  const auto proto = request.find("x-forwarded-proto");
  std::string scheme = "http";
  if (proto != request.end() &&
      (text(proto->value()) == "https" || text(proto->value()) == "http"))
    scheme = text(proto->value());
  const auto host = request.find(boost::beast::http::field::host);
  message.url = absl::StrCat(scheme, "://",
                             host == request.end() ? "" : text(host->value()),
                             text(request.target()));
  for (const auto& field : request)
    message.headers.emplace_back(text(field.name_string()),
                                 text(field.value()));
  message.body = request.body();
  return message;
}

httpsig::VerifyResult SignatureGate::Check(const http::Request& request,
                                           const tenant::v1::Tenant& tenant,
                                           std::string_view operation,
                                           bool other_credential,
                                           const nlohmann::json* arguments) {
  const RequestSigningConfig& config = tenant.config().request_signing();
  if (!config.supported()) return {};
  const httpsig::HttpMessage message = MessageOf(request);
  httpsig::VerifyResult result;
  if (!WithinBounds(message)) {
    result.error_code = "request_signature_header_malformed";
    result.detail = "signature fields over their bounds";
  } else if (!message.FieldLines("signature-input").empty() &&
             !HostAddressesTenant(
                 HeaderOf(request, boost::beast::http::field::host),
                 base_domains_, tenant.subdomain(), tenant.virtual_host())) {
    result.error_code = "request_target_uri_malformed";
    result.detail = "the Host does not address this publisher";
  } else {
    const absl::Time now = absl::Now();
    const CounterpartyKeys keys(KeySetOf(tenant), &jwks_, now);
    const uint32_t cap = config.has_replay_cap_per_key()
                             ? config.replay_cap_per_key()
                             : kMinProductionReplayCap;
    std::shared_ptr<httpsig::ReplayCache> replays =
        replays_->For(tenant.tenant_id(), cap);
    result = httpsig::VerifyRequest(message, operation, other_credential,
                                    PolicyOf(config), keys, *replays, now,
                                    arguments);
  }
  if (result.ok()) return result;
  log::Warn("request signature refused",
            {{"operation", std::string(operation)},
             {"error", result.error_code},
             {"detail", result.detail.substr(0, 200)}});
  // Shadow mode, except for the demand that webhook credentials be signed.
  if (Lists(config.warn_for(), operation) &&
      !Lists(config.required_for(), operation) &&
      result.error_code != "request_signature_required")
    return {};
  return result;
}

}  // namespace adcp::agent_edge
