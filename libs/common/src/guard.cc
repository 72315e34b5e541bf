#include "adcp/common/guard.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace adcp {
namespace {

std::string Sha256(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string_view Metadata(const grpc::ServerContext& context,
                          std::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return {};
  return std::string_view(it->second.data(), it->second.size());
}

bool IsDnsLabel(std::string_view text) {
  if (text.empty() || text.size() > 63 || text.front() == '-' ||
      text.back() == '-')
    return false;
  for (char c : text) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-'))
      return false;
  }
  return true;
}

}  // namespace

bool SecretsEqual(std::string_view a, std::string_view b) {
  const std::string da = Sha256(a);
  const std::string db = Sha256(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

CallGuard::CallGuard(std::string internal_token,
                     std::shared_ptr<const TenantDirectory> tenants)
    : internal_token_digest_(Sha256(internal_token)),
      tenants_(std::move(tenants)) {}

absl::StatusOr<CallContext> CallGuard::Admit(const grpc::ServerContext& context,
                                             CallScope scope) const {
  const std::string presented = Sha256(Metadata(context, kInternalTokenKey));
  if (Metadata(context, kInternalTokenKey).empty() ||
      CRYPTO_memcmp(presented.data(), internal_token_digest_.data(),
                    presented.size()) != 0) {
    return absl::UnauthenticatedError(absl::StrCat(
        kInternalTokenKey, ": missing or not this deployment's service token"));
  }
  CallContext call;
  call.tenant_id = std::string(Metadata(context, kTenantIdKey));
  call.principal_id = std::string(Metadata(context, kPrincipalIdKey));
  call.request_id = std::string(Metadata(context, kRequestIdKey));
  if (scope == CallScope::kPlatform) return call;

  if (call.tenant_id.empty()) {
    return absl::UnauthenticatedError(absl::StrCat(kTenantIdKey, ": required"));
  }
  if (!IsDnsLabel(call.tenant_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kTenantIdKey, ": expected a lowercase DNS label"));
  }
  if (tenants_ == nullptr) {
    return absl::InternalError(
        "tenant-scoped method on a service without a tenant directory");
  }
  absl::StatusOr<TenantState> tenant = tenants_->Find(call.tenant_id);
  if (!tenant.ok()) {
    if (absl::IsNotFound(tenant.status()))
      return absl::NotFoundError("tenant not found");
    return tenant.status();
  }
  if (!tenant->active) return absl::PermissionDeniedError("tenant is inactive");
  return call;
}

}  // namespace adcp
