// AdCP task errors. A failed task is an absl::Status whose payload carries the
// AdCP Error (code, field, recovery, suggestion); at the RPC edge the service
// sends the status code and message, and the Error in the trailing metadata
// "adcp-error-bin", from which the agent edge builds `adcp_error`.
#pragma once

#include <grpcpp/server_context.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "adcp/media_buy/v1/media_buy.pb.h"

namespace adcp::media_buy {

namespace pb = ::adcp::media_buy::v1;

inline constexpr char kAdcpErrorTrailer[] = "adcp-error-bin";

// The status code that goes with an AdCP error code (VALIDATION_ERROR ->
// INVALID_ARGUMENT, *_NOT_FOUND -> NOT_FOUND, IDEMPOTENCY_CONFLICT and
// CONFLICT -> ABORTED, INVALID_STATE/BUDGET_EXCEEDED -> FAILED_PRECONDITION,
// ...), and the recovery class of each.
absl::StatusCode StatusCodeFor(std::string_view adcp_code);
std::string RecoveryFor(std::string_view adcp_code);

// An AdCP failure: `message` names the field; `field` is JSONPath-lite
// ("packages[1].budget") or empty.
absl::Status AdcpError(std::string_view code, std::string_view field,
                       std::string_view message,
                       std::string_view suggestion = {});

// An AdCP failure that says no more than its code and message (no field,
// recovery or suggestion): IDEMPOTENCY_CONFLICT, whose envelope must not
// help anyone holding a stolen key learn about the original request.
absl::Status BareAdcpError(std::string_view code, std::string_view message);

// VALIDATION_ERROR for `field` with message "<field>: <rule>".
absl::Status InvalidField(std::string_view field, std::string_view rule);

// The AdCP error in `status` (from its payload, or derived from its code when
// it has none, e.g. a database outage -> SERVICE_UNAVAILABLE).
pb::Error ErrorOf(const absl::Status& status);

// Whether `status` carries an AdCP error of ours (made by AdcpError).
bool HasAdcpError(const absl::Status& status);

// Adds the "adcp-error-bin" trailer to a failed call.
void AttachError(grpc::ServerContext* context, const absl::Status& status);

}  // namespace adcp::media_buy
