#include "libs/tenancy/metadata.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/base/identifiers.h"
#include "libs/tenancy/call_context.h"
#include "libs/tenancy/guard.h"

namespace adcp {
namespace {

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '+' || c == '/';
}

using Pairs = std::vector<std::pair<const char*, std::string>>;

// The (key, value) pairs of `call`, or the first rule a value breaks.
absl::Status Collect(const ForwardedCall& call, Pairs* pairs) {
  if (!call.tenant_id.empty()) {
    if (!IsDnsLabel(call.tenant_id))
      return absl::InvalidArgumentError(
          absl::StrCat(kTenantIdKey, ": expected a lowercase DNS label"));
    pairs->emplace_back(kTenantIdKey, std::string(call.tenant_id));
  }
  if (!call.bearer_token.empty()) {
    if (!IsBearerToken(call.bearer_token))
      return absl::InvalidArgumentError(absl::StrCat(
          kAuthorizationKey, ": expected a bearer token of at most ",
          kMaxBearerTokenBytes, " token characters (RFC 6750)"));
    pairs->emplace_back(kAuthorizationKey,
                        "Bearer " + std::string(call.bearer_token));
  }
  const std::pair<const char*, std::string_view> plain[] = {
      {kInternalTokenKey, call.internal_token},
      {kPrincipalIdKey, call.principal_id},
      {kSystemTokenKey, call.system_token},
      {kTenantHostKey, call.tenant_host},
      {kRequestIdKey, call.request_id}};
  for (const auto& [key, value] : plain) {
    if (value.empty()) continue;
    if (!IsSafeMetadataValue(value))
      return absl::InvalidArgumentError(
          absl::StrCat(key, ": expected 1 to ", kMaxMetadataValueBytes,
                       " printable ASCII characters"));
    pairs->emplace_back(key, std::string(value));
  }
  if (!call.client_address.empty()) {
    if (!IsClientAddress(call.client_address))
      return absl::InvalidArgumentError(
          absl::StrCat(kClientAddressKey, ": expected an IP address"));
    pairs->emplace_back(kClientAddressKey, std::string(call.client_address));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsSafeMetadataValue(std::string_view value) {
  if (value.empty() || value.size() > kMaxMetadataValueBytes) return false;
  for (char c : value) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

bool IsBearerToken(std::string_view token) {
  if (token.empty() || token.size() > kMaxBearerTokenBytes) return false;
  size_t i = 0;
  while (i < token.size() && IsTokenChar(token[i])) ++i;
  if (i == 0) return false;
  while (i < token.size() && token[i] == '=') ++i;
  return i == token.size();
}

bool IsClientAddress(std::string_view address) {
  if (address.empty() || address.size() > kMaxClientAddressBytes) return false;
  bool zone = false;
  for (char c : address) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                       (c >= 'A' && c <= 'Z');
    if (zone) {
      if (!alnum) return false;
    } else if (c == '%') {
      zone = true;
    } else if (!(alnum || c == '.' || c == ':')) {
      return false;
    }
  }
  return true;
}

absl::Status ForwardTenant(grpc::ClientContext* context,
                           const ForwardedCall& call) {
  Pairs pairs;
  if (absl::Status status = Collect(call, &pairs); !status.ok()) return status;
  for (auto& [key, value] : pairs) context->AddMetadata(key, value);
  return absl::OkStatus();
}

absl::Status ForwardTenant(std::multimap<std::string, std::string>* metadata,
                           const ForwardedCall& call) {
  Pairs pairs;
  if (absl::Status status = Collect(call, &pairs); !status.ok()) return status;
  for (auto& [key, value] : pairs) {
    if (metadata->find(key) == metadata->end())
      metadata->emplace(key, std::move(value));
  }
  return absl::OkStatus();
}

}  // namespace adcp
