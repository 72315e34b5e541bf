#include "services/media-buy/domain/adcp_error.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace adcp::media_buy {
namespace {

constexpr char kPayloadUrl[] = "type.googleapis.com/adcp.media_buy.v1.Error";

struct Mapping {
  absl::StatusCode code;
  const char* recovery;
};

const absl::flat_hash_map<std::string, Mapping>& Mappings() {
  using C = absl::StatusCode;
  static const auto* mappings = new absl::flat_hash_map<std::string, Mapping>{
      {"INVALID_REQUEST", {C::kInvalidArgument, "correctable"}},
      {"VALIDATION_ERROR", {C::kInvalidArgument, "correctable"}},
      {"AUTH_REQUIRED", {C::kUnauthenticated, "correctable"}},
      {"PERMISSION_DENIED", {C::kPermissionDenied, "terminal"}},
      {"RATE_LIMITED", {C::kResourceExhausted, "transient"}},
      {"SERVICE_UNAVAILABLE", {C::kUnavailable, "transient"}},
      {"PRODUCT_NOT_FOUND", {C::kNotFound, "correctable"}},
      {"MEDIA_BUY_NOT_FOUND", {C::kNotFound, "correctable"}},
      {"PACKAGE_NOT_FOUND", {C::kNotFound, "correctable"}},
      {"CREATIVE_NOT_FOUND", {C::kNotFound, "correctable"}},
      {"ACCOUNT_NOT_FOUND", {C::kNotFound, "terminal"}},
      {"ACCOUNT_PAYMENT_REQUIRED", {C::kFailedPrecondition, "terminal"}},
      {"ACCOUNT_SUSPENDED", {C::kFailedPrecondition, "terminal"}},
      {"ACCOUNT_SETUP_REQUIRED", {C::kFailedPrecondition, "correctable"}},
      {"REFERENCE_NOT_FOUND", {C::kNotFound, "correctable"}},
      {"BUDGET_TOO_LOW", {C::kInvalidArgument, "correctable"}},
      {"BUDGET_EXCEEDED", {C::kFailedPrecondition, "correctable"}},
      {"UNSUPPORTED_FEATURE", {C::kUnimplemented, "correctable"}},
      {"INVALID_STATE", {C::kFailedPrecondition, "correctable"}},
      {"NOT_CANCELLABLE", {C::kFailedPrecondition, "correctable"}},
      {"CONFLICT", {C::kAborted, "transient"}},
      {"IDEMPOTENCY_CONFLICT", {C::kAlreadyExists, "correctable"}},
      {"IDEMPOTENCY_EXPIRED", {C::kFailedPrecondition, "correctable"}},
      {"CREATIVE_REJECTED", {C::kFailedPrecondition, "correctable"}},
      {"TERMS_REJECTED", {C::kFailedPrecondition, "correctable"}},
      {"POLICY_VIOLATION", {C::kFailedPrecondition, "correctable"}},
      {"VERSION_UNSUPPORTED", {C::kInvalidArgument, "correctable"}},
  };
  return *mappings;
}

// The AdCP code for a status that carries none.
const char* CodeForStatus(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return "INVALID_REQUEST";
    case absl::StatusCode::kNotFound:
      return "REFERENCE_NOT_FOUND";
    case absl::StatusCode::kUnauthenticated:
      return "AUTH_REQUIRED";
    case absl::StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case absl::StatusCode::kResourceExhausted:
      return "RATE_LIMITED";
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return "CONFLICT";
    case absl::StatusCode::kFailedPrecondition:
      return "INVALID_STATE";
    case absl::StatusCode::kUnimplemented:
      return "UNSUPPORTED_FEATURE";
    default:
      return "SERVICE_UNAVAILABLE";
  }
}

}  // namespace

absl::StatusCode StatusCodeFor(std::string_view adcp_code) {
  auto it = Mappings().find(std::string(adcp_code));
  return it == Mappings().end() ? absl::StatusCode::kFailedPrecondition
                                : it->second.code;
}

std::string RecoveryFor(std::string_view adcp_code) {
  auto it = Mappings().find(std::string(adcp_code));
  return it == Mappings().end() ? "correctable" : it->second.recovery;
}

absl::Status AdcpError(std::string_view code, std::string_view field,
                       std::string_view message, std::string_view suggestion) {
  pb::Error error;
  error.set_code(std::string(code));
  error.set_field(std::string(field));
  error.set_message(std::string(message));
  error.set_suggestion(std::string(suggestion));
  error.set_recovery(RecoveryFor(code));
  absl::Status status(StatusCodeFor(code), std::string(message));
  status.SetPayload(kPayloadUrl, absl::Cord(error.SerializeAsString()));
  return status;
}

absl::Status BareAdcpError(std::string_view code, std::string_view message) {
  pb::Error error;
  error.set_code(std::string(code));
  error.set_message(std::string(message));
  absl::Status status(StatusCodeFor(code), std::string(message));
  status.SetPayload(kPayloadUrl, absl::Cord(error.SerializeAsString()));
  return status;
}

absl::Status InvalidField(std::string_view field, std::string_view rule) {
  return AdcpError("VALIDATION_ERROR", field,
                   absl::StrCat(std::string(field), ": ", std::string(rule)));
}

pb::Error ErrorOf(const absl::Status& status) {
  pb::Error error;
  if (auto payload = status.GetPayload(kPayloadUrl);
      payload && error.ParseFromString(std::string(*payload))) {
    return error;
  }
  error.set_code(CodeForStatus(status.code()));
  error.set_message(std::string(status.message()));
  error.set_recovery(RecoveryFor(error.code()));
  if (error.code() == "SERVICE_UNAVAILABLE") {
    error.set_recovery("transient");
    // Internal details (SQL, hosts) stay in the logs.
    if (status.code() == absl::StatusCode::kInternal ||
        status.code() == absl::StatusCode::kUnknown) {
      error.set_message("internal error");
    }
  }
  return error;
}

bool HasAdcpError(const absl::Status& status) {
  return status.GetPayload(kPayloadUrl).has_value();
}

void AttachError(grpc::ServerContext* context, const absl::Status& status) {
  if (status.ok() || context == nullptr) return;
  context->AddTrailingMetadata(kAdcpErrorTrailer,
                               ErrorOf(status).SerializeAsString());
}

}  // namespace adcp::media_buy
