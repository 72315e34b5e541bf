// The rules every task applies to the fields of a request: versions,
// idempotency keys, ids, format ids, domains, impressions and the URLs of
// creatives. Each failure is an AdCP error naming the field. No I/O.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/domain/adcp_error.h"

namespace adcp::media_buy {

template <typename Request>
absl::Status CheckMajorVersion(const Request& request) {
  if (request.has_adcp_major_version() && request.adcp_major_version() != 3) {
    return AdcpError(
        "VERSION_UNSUPPORTED", "adcp_major_version",
        absl::StrCat("adcp_major_version: ", request.adcp_major_version(),
                     " is not supported; this seller speaks 3"),
        "send adcp_major_version 3");
  }
  return absl::OkStatus();
}

// ^[A-Za-z0-9_.:-]{16,255}$, required.
absl::Status ValidateIdempotencyKey(const std::string& key);
// 1-255 printable characters.
absl::Status ValidateId(std::string_view field, const std::string& value);
absl::Status ValidateFormatId(std::string_view field, const v1::FormatId& id);
// A domain name such as example.com (letters, digits, '-', '.'), required.
absl::Status ValidateDomain(std::string_view field, const std::string& domain);
// A whole number of impressions, 1 to 10^15.
absl::Status ValidateImpressions(std::string_view field, double impressions);
// A package's pacing: even, asap, front_loaded, or empty (even).
absl::Status ValidatePacing(std::string_view field, const std::string& pacing);

// A URL of a creative that reaches an ad server (click-through, landing,
// trackers, media): an absolute https URL with a host, at most 2048
// characters, without spaces or control characters; http too when
// `allow_http` (sandbox tenants). javascript:, data: and every other scheme
// are refused, naming the field (the value is never echoed).
inline constexpr size_t kMaxCreativeUrlLength = 2048;
absl::Status ValidateCreativeUrl(std::string_view field, std::string_view url,
                                 bool allow_http);
// Every URL in a creative's assets: the values of the keys "url", "href",
// "*_url", "*_url_template", and the strings of arrays under "*_urls", at
// any depth (assets nest at most kMaxAssetDepth levels).
inline constexpr int kMaxAssetDepth = 16;
absl::Status ValidateCreativeUrls(std::string_view field,
                                  const nlohmann::json& assets,
                                  bool allow_http);

}  // namespace adcp::media_buy
