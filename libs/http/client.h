// An outbound HTTP/1.1 client on libcurl that keeps connections open per
// host: calls to a host reuse an idle connection (plain or TLS) when one is
// there, and open one when not. Safe to share between threads; each call
// blocks its thread until the answer or the deadline.
//
// One deadline covers the whole exchange: resolving, connecting, the TLS
// handshake, writing and reading. TLS peers are verified against the system
// CA store (and their names against the URL's host). Redirects are not
// followed: a 3xx is returned as it came. Only http:// and https:// URLs.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct sockaddr;

namespace adcp::http {

struct ClientRequest {
  std::string method;  // GET, POST, PUT, DELETE, ...
  std::string url;     // http://host[:port]/path?query or https://...
  // Header names as sent; values may be secrets: never log them.
  std::map<std::string, std::string> headers;
  std::string body;  // sent with a Content-Length (POST and PUT always)
};

struct ClientResponse {
  int status = 0;
  // Lower-case names; of a repeated field, the last value.
  std::map<std::string, std::string> headers;
  std::string body;
};

struct ClientOptions {
  // A longer answer is refused (UNAVAILABLE) and its connection dropped.
  size_t max_response_bytes = 32 << 20;
  // The status line and header fields of an answer together.
  size_t max_header_bytes = 64 << 10;
  // Idle connections kept open, over all hosts.
  int max_idle_connections = 64;
  std::string user_agent = "adcp-sales-agent";
  // Asked about every address before a connection to it is opened (the
  // address actually connected, after DNS: see outbound_guard.h). A refusal
  // fails the call with its status, unless another address of the host is
  // admitted. Unset: every address.
  std::function<absl::Status(const sockaddr* address)> admit_address;
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The answer, whatever its status. INVALID_ARGUMENT for a URL that is not
  // http(s) or a header with a line break; DEADLINE_EXCEEDED when `timeout`
  // passed; UNAVAILABLE when the exchange failed (refused, reset, TLS, an
  // answer over the limits).
  absl::StatusOr<ClientResponse> Send(const ClientRequest& request,
                                      absl::Duration timeout);

 private:
  class Pool;
  std::unique_ptr<Pool> pool_;
};

}  // namespace adcp::http
