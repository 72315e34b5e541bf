// A small HTTP/1.1 server on Boost.Beast for the suite's HTTP edges:
// keep-alive, a request body limit, graceful stop. Handlers are synchronous
// (they may make blocking gRPC calls) and run on the server's I/O threads, so
// size `threads` for the expected concurrency of slow calls.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace adcp::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// `client` is the caller's address: the peer, or behind a trusted proxy the
// client it forwarded (ClientAddress).
using Handler =
    std::function<Response(const Request& request, const std::string& client)>;

struct ServerOptions {
  std::string bind_host = "0.0.0.0";
  int port = 0;  // 0 picks a free port
  int threads = 4;
  size_t max_body_bytes = 1 << 20;
  // The request line and header fields together (431 beyond).
  size_t max_header_bytes = 8 << 10;
  size_t max_header_fields = 64;  // 431 beyond
  // Open connections; beyond, a new connection is answered 503 and closed.
  int max_connections = 4096;
  // Addresses or CIDR networks of our own proxies (Envoy): from them, the
  // client is taken from X-Forwarded-For, and X-Forwarded-Proto reaches the
  // handler; from any other peer the server removes X-Forwarded-Proto, so a
  // handler that sees it may believe it.
  std::vector<std::string> trusted_proxies;
  absl::Duration idle_timeout = absl::Seconds(60);
  absl::Duration shutdown_grace = absl::Seconds(10);
};

// Reads `port_variable` (default `default_port`), BIND_HOST (0.0.0.0),
// HTTP_THREADS (`default_threads`), HTTP_READ_TIMEOUT_SECONDS (60: a request
// not read whole by then is dropped), HTTP_MAX_CONNECTIONS (4096),
// TRUSTED_PROXIES (comma-separated addresses or CIDR networks; none) and
// SHUTDOWN_GRACE_SECONDS (10).
absl::StatusOr<ServerOptions> ServerOptionsFromEnv(const char* port_variable,
                                                   int default_port,
                                                   int default_threads);

// A handler may set this header to delay its answer by that many
// milliseconds (at most 5000; for throttled callers). The server removes it
// and waits on a timer, holding no thread.
inline constexpr char kDelayHeader[] = "x-adcp-delay-ms";

// Whether `peer` is one of options.trusted_proxies.
bool FromTrustedProxy(const std::string& peer, const ServerOptions& options);

// The caller's address: `peer`, unless `peer` is one of
// options.trusted_proxies; then the rightmost X-Forwarded-For entry that is
// not a trusted proxy.
std::string ClientAddress(const Request& request, const std::string& peer,
                          const ServerOptions& options);

// A JSON response with the given status and body text.
Response JsonResponse(const Request& request, boost::beast::http::status status,
                      std::string body);
// {"error": message}
Response JsonError(const Request& request, boost::beast::http::status status,
                   const std::string& message);

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();

  absl::Status Start();
  int port() const { return port_; }
  // Stops accepting, lets in-flight requests finish, closes connections.
  void Stop();

 private:
  class Session;
  void Accept();

  const ServerOptions options_;
  const Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> in_flight_{0};
  std::atomic<int> connections_{0};
};

}  // namespace adcp::http
