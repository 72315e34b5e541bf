// The one writer of the suite's gRPC metadata. A value that gRPC would refuse
// (a byte outside 0x20-0x7E aborts the process in gRPC's call_op_set.h) never
// reaches it: every value is checked here, so no caller can forget.
#pragma once

#include <grpcpp/client_context.h>

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace adcp {

// Longest value the suite writes under any key.
inline constexpr size_t kMaxMetadataValueBytes = 4096;
// Longest bearer token accepted (ours are 48 characters).
inline constexpr size_t kMaxBearerTokenBytes = 512;
// Longest request id kept from a caller (longer ones are dropped).
inline constexpr size_t kMaxRequestIdBytes = 128;
// Longest client address forwarded (an IPv6 address with a zone fits).
inline constexpr size_t kMaxClientAddressBytes = 64;

// Every gRPC metadata key of the suite (lowercase, as gRPC requires).
// ForwardTenant below is their only writer; the guard their only reader.
inline constexpr char kTenantIdKey[] = "x-tenant-id";
inline constexpr char kPrincipalIdKey[] = "x-principal-id";
inline constexpr char kInternalTokenKey[] = "x-internal-token";
inline constexpr char kRequestIdKey[] = "x-request-id";
inline constexpr char kSystemTokenKey[] = "x-system-token";
inline constexpr char kAuthorizationKey[] = "authorization";
// The Host an HTTP gateway received, when it sends no x-tenant-id: the
// tenant is resolved from it (only callers holding the service token get
// this far).
inline constexpr char kTenantHostKey[] = "x-adcp-tenant-host";
// Trailing metadata of a RESOURCE_EXHAUSTED answer: milliseconds to wait.
inline constexpr char kRetryAfterKey[] = "retry-after-ms";

// The client the HTTP edge served, forwarded so that anonymous calls and
// failed authentications are charged to it. Set only by the suite's edges
// (the guard trusts it only from holders of the internal token).
inline constexpr char kClientAddressKey[] = "x-adcp-client";

// 1 to 4096 bytes of printable ASCII (0x20-0x7E): what gRPC accepts in an
// ASCII metadata value.
bool IsSafeMetadataValue(std::string_view value);

// RFC 6750's b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" )
// *"=", at most kMaxBearerTokenBytes.
bool IsBearerToken(std::string_view token);

// An IPv4 or IPv6 address in text form (hex digits, '.', ':', '%' zone of
// alphanumerics), at most kMaxClientAddressBytes.
bool IsClientAddress(std::string_view address);

// What a call forwards: every field is optional; empty fields are not sent.
struct ForwardedCall {
  std::string_view internal_token;  // x-internal-token
  std::string_view tenant_id;       // x-tenant-id: a lowercase DNS label
  std::string_view principal_id;    // x-principal-id (informational)
  std::string_view bearer_token;    // authorization: Bearer <token>
  std::string_view system_token;    // x-system-token
  std::string_view tenant_host;     // x-adcp-tenant-host: a Host header
  std::string_view client_address;  // x-adcp-client
  std::string_view request_id;      // x-request-id
};

// Checks every value of `call`, then adds them to `context`. An invalid value
// is INVALID_ARGUMENT naming its key and rule, and nothing is added.
absl::Status ForwardTenant(grpc::ClientContext* context,
                           const ForwardedCall& call);

// The same checks for a client interceptor's outgoing metadata (the
// propagation of the running call's context): valid values are added where
// the key is not set yet; an invalid one is INVALID_ARGUMENT and nothing is
// added.
absl::Status ForwardTenant(std::multimap<std::string, std::string>* metadata,
                           const ForwardedCall& call);

}  // namespace adcp
