// New ids of the media-buy records, and the hash that tells a retried
// request from a different one under the same idempotency_key.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

namespace adcp::media_buy {

// SHA-256 (hex) of the request without its idempotency_key and context, in
// deterministic serialization: equal payloads hash equal.
std::string RequestHash(const google::protobuf::Message& request);

// `prefix` + 16 hex characters of randomness ("mb_", "pkg_", "task_", ...).
std::string NewId(std::string_view prefix);

}  // namespace adcp::media_buy
