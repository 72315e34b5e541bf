// Outbound HTTP for the ad-server adapters: one blocking HTTP/1.1 exchange
// per call (Boost.Beast), plain HTTP or TLS (OpenSSL, peer verified against
// the system's CA store), bounded by a deadline that covers resolving,
// connecting, the TLS handshake, writing and reading.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace adcp::media_buy {

struct HttpRequest {
  std::string method;  // GET, POST, PUT, DELETE
  std::string url;     // http://host[:port]/path?query or https://...
  // Header names as sent; values may be secrets: never log them.
  std::map<std::string, std::string> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

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

// The Beast implementation; safe to share between threads.
std::shared_ptr<HttpTransport> BeastHttpTransport();

}  // namespace adcp::media_buy
