// The RFC 9421 signature base under AdCP's profile, shared by the signer
// (webhooks) and the verifier (buyers' requests): the covered components in
// the order Signature-Input lists them, one "name": value line each, then
// "@signature-params" with the serialized inner list; lines joined by LF,
// no trailing newline.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/httpsig/structured_fields.h"

namespace adcp::httpsig {

// An HTTP request as received or about to be sent.
struct HttpMessage {
  std::string method;
  // The absolute URL: scheme "://" Host (as received) request-target.
  std::string url;
  // One entry per field line, names in any case, in order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The field lines named `name` (case-insensitive), trimmed.
  std::vector<std::string> FieldLines(std::string_view name) const;
};

// Why a signature base could not be built: the AdCP error code without its
// profile's prefix ("target_uri_malformed" is request_target_uri_malformed
// or webhook_target_uri_malformed) and a detail for the logs (never for the
// caller).
struct BaseError {
  std::string code;
  std::string detail;
};

// The value a covered component has in `message` (RFC 9421 section 2):
// @method, @target-uri and @authority (canonicalized), or a field's lines
// joined with ", ". Fields that hold one value (content-type) refuse a
// second one.
std::variant<std::string, BaseError> ComponentValue(const HttpMessage& message,
                                                    std::string_view component);

// The signature base for `covered` (Signature-Input's inner list, with its
// parameters), or the first component that cannot be resolved.
std::variant<std::string, BaseError> SignatureBase(const HttpMessage& message,
                                                   const InnerList& covered);

}  // namespace adcp::httpsig
