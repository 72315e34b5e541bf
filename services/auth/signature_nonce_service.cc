// Auth's RecordSignatureNonce: the replay cache of signed requests that
// every agent-edge replica shares (signature_nonce_repository.h).
#include "absl/strings/str_cat.h"
#include "libs/base/status.h"
#include "libs/tenancy/request_signing_config.h"
#include "services/auth/auth_service.h"

namespace adcp::auth {
namespace {

absl::Status Invalid(std::string_view field, std::string_view rule) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), ": ", std::string(rule)));
}

bool Printable(const std::string& text, size_t min, size_t max) {
  if (text.size() < min || text.size() > max) return false;
  for (char c : text)
    if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

absl::Status Validate(const pb::RecordSignatureNonceRequest& request,
                      absl::Time now) {
  if (!Printable(request.key_id(), 1, 128))
    return Invalid("key_id", "expected 1 to 128 printable ASCII characters");
  if (!request.check_cap_only()) {
    if (!Printable(request.nonce(), 16, 256))
      return Invalid("nonce", "expected 16 to 256 printable ASCII characters");
    const absl::Time expires = absl::FromUnixSeconds(request.expires_unix());
    if (expires <= now || expires > now + absl::Hours(1))
      return Invalid("expires_unix",
                     "expected a time in the next hour (the signature's "
                     "expiry)");
  }
  if (request.per_key_cap() < 1 || request.per_key_cap() > kMaxReplayCapPerKey)
    return Invalid("per_key_cap",
                   absl::StrCat("must be >= 1 and <= ", kMaxReplayCapPerKey));
  return absl::OkStatus();
}

}  // namespace

grpc::Status AuthService::RecordSignatureNonce(
    grpc::ServerContext* context,
    const pb::RecordSignatureNonceRequest* request,
    pb::RecordSignatureNonceResponse* response) {
  return guard_.Run(
      context, "RecordSignatureNonce", [&](const CallContext&) -> absl::Status {
        RETURN_IF_ERROR(Validate(*request, absl::Now()));
        absl::StatusOr<SignatureNonceRepository::Outcome> outcome =
            request->check_cap_only()
                ? nonces_.CheckCap(request->key_id(), request->per_key_cap())
                : nonces_.Record(request->key_id(), request->nonce(),
                                 absl::FromUnixSeconds(request->expires_unix()),
                                 request->per_key_cap());
        if (!outcome.ok()) return outcome.status();
        response->set_outcome(*outcome);
        return absl::OkStatus();
      });
}

}  // namespace adcp::auth
