// Outbound HTTP for the ad-server adapters: the HttpTransport interface the
// adapters call (upstream.h), and its implementation on libs/http's pooled
// libcurl client (connections kept per host; plain HTTP or TLS, peer
// verified against the system's CA store; one deadline covering resolving,
// connecting, the TLS handshake, writing and reading).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/http/client.h"

namespace adcp::media_buy {

using HttpRequest = http::ClientRequest;
using HttpResponse = http::ClientResponse;

struct ParsedUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path and query, at least "/"
};

// INVALID_ARGUMENT unless `url` is http:// or https:// with a host.
absl::StatusOr<ParsedUrl> ParseUrl(const std::string& url);

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // The response, whatever its status; DEADLINE_EXCEEDED when `timeout`
  // passed, UNAVAILABLE when the exchange failed (refused, reset, TLS).
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request,
                                            absl::Duration timeout) = 0;
};

// On http::Client (libcurl): connections kept open per host; safe to share
// between threads. Answers longer than 32 MiB are refused (UNAVAILABLE).
std::shared_ptr<HttpTransport> CurlHttpTransport();

}  // namespace adcp::media_buy
