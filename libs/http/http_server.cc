#include "libs/http/http_server.h"

#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <future>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "libs/base/env.h"
#include "libs/base/log.h"
#include "libs/base/status.h"
#include "libs/http/request_parser.h"

namespace adcp::http {
namespace beast = boost::beast;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Response JsonResponse(const Request& request, beast::http::status status,
                      std::string body) {
  Response response{status, request.version()};
  response.set(beast::http::field::content_type, "application/json");
  response.set(beast::http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response JsonError(const Request& request, beast::http::status status,
                   const std::string& message) {
  // Invalid UTF-8 in a message (quoted from a request) is replaced, never
  // thrown on.
  return JsonResponse(
      request, status,
      nlohmann::json{{"error", message}}.dump(
          -1, ' ', false, nlohmann::json::error_handler_t::replace));
}

namespace {

bool Trusted(const asio::ip::address& address,
             const std::vector<std::string>& proxies) {
  for (const std::string& proxy : proxies) {
    boost::system::error_code error;
    if (proxy.find('/') != std::string::npos) {
      if (address.is_v4()) {
        const auto network = asio::ip::make_network_v4(proxy, error);
        if (!error &&
            (network.network().to_uint() & network.netmask().to_uint()) ==
                (address.to_v4().to_uint() & network.netmask().to_uint()))
          return true;
      } else {
        const auto network = asio::ip::make_network_v6(proxy, error);
        if (!error) {
          const auto host = asio::ip::make_network_v6(address.to_v6(),
                                                      network.prefix_length());
          if (host.network() == network.network()) return true;
        }
      }
    } else {
      const auto exact = asio::ip::make_address(proxy, error);
      if (!error && exact == address) return true;
    }
  }
  return false;
}

}  // namespace

bool FromTrustedProxy(const std::string& peer, const ServerOptions& options) {
  if (options.trusted_proxies.empty()) return false;
  boost::system::error_code error;
  auto address = asio::ip::make_address(peer, error);
  return !error && Trusted(address, options.trusted_proxies);
}

std::string ClientAddress(const Request& request, const std::string& peer,
                          const ServerOptions& options) {
  if (options.trusted_proxies.empty()) return peer;
  boost::system::error_code error;
  auto hop = asio::ip::make_address(peer, error);
  if (error || !Trusted(hop, options.trusted_proxies)) return peer;
  // X-Forwarded-For lists the client, then each proxy: the rightmost entry
  // that is not a trusted proxy is the client our proxies saw.
  auto it = request.find("X-Forwarded-For");
  if (it == request.end() || it->value().size() > 1024) return peer;
  std::string_view list(it->value().data(), it->value().size());
  std::string client = peer;
  while (!list.empty()) {
    const size_t comma = list.rfind(',');
    std::string_view entry =
        comma == std::string_view::npos ? list : list.substr(comma + 1);
    list = comma == std::string_view::npos ? std::string_view()
                                           : list.substr(0, comma);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    auto address = asio::ip::make_address(std::string(entry), error);
    if (error) return client;  // not an address: stop at what we trust
    client = address.to_string();
    if (!Trusted(address, options.trusted_proxies)) return client;
  }
  return client;
}

class Server::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server& server)
      : stream_(std::move(socket)), server_(server) {
    ++server_.connections_;
  }
  ~Session() { --server_.connections_; }

  // Answers 503 and closes: over the connection limit.
  void Refuse() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->Answer(beast::http::status::service_unavailable,
                   "too many connections; retry later");
    });
  }

  // Answers {"error": message} and closes: the request could not be read.
  void Answer(beast::http::status status, const std::string& message,
              unsigned version = 11) {
    Request head;
    head.version(version);
    head.keep_alive(false);
    ++server_.in_flight_;
    Write(JsonError(head, status, message));
  }

  void Run() {
    boost::system::error_code ignored;
    const auto endpoint = stream_.socket().remote_endpoint(ignored);
    peer_ = endpoint.address().to_string();
    asio::dispatch(
        stream_.get_executor(),
        beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  void Read() {
    parser_.emplace();
    ConfigureParser(*parser_, server_.options_);
    stream_.expires_after(
        absl::ToChronoMilliseconds(server_.options_.idle_timeout));
    beast::http::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code error, size_t) {
    if (error == beast::http::error::end_of_stream ||
        error == beast::error::timeout ||
        error == asio::error::operation_aborted) {
      return Close();
    }
    if (error == beast::http::error::body_limit) {
      return Answer(beast::http::status::payload_too_large,
                    "request body over " +
                        std::to_string(server_.options_.max_body_bytes) +
                        " bytes",
                    parser_->get().version());
    }
    if (error == beast::http::error::header_limit) {
      return Answer(beast::http::status::request_header_fields_too_large,
                    "request line and headers over " +
                        std::to_string(server_.options_.max_header_bytes) +
                        " bytes");
    }
    if (error) {
      return Answer(beast::http::status::bad_request,
                    "malformed HTTP request: " + error.message());
    }
    Request request = parser_->release();
    ++server_.in_flight_;
    if (absl::Status framing = CheckFraming(request, server_.options_);
        !framing.ok()) {
      request.keep_alive(false);
      const bool too_many = absl::StartsWith(framing.message(), "headers:");
      return Write(JsonError(
          request,
          too_many ? beast::http::status::request_header_fields_too_large
                   : beast::http::status::bad_request,
          std::string(framing.message())));
    }
    if (server_.stopping_) {
      request.keep_alive(false);
      return Write(JsonError(request, beast::http::status::service_unavailable,
                             "server shutting down"));
    }
    // The scheme a client used is a proxy's word (our listener is plain
    // HTTP): from anyone else the header is dropped before the handler.
    if (!FromTrustedProxy(peer_, server_.options_))
      request.erase("X-Forwarded-Proto");
    Response response;
    try {
      response = server_.handler_(
          request, ClientAddress(request, peer_, server_.options_));
    } catch (const std::exception& e) {
      log::Error(
          "http handler failed",
          {{"error", e.what()}, {"target", std::string(request.target())}});
      response = JsonError(request, beast::http::status::internal_server_error,
                           "internal error");
    }
    Write(std::move(response));
  }

  void Write(Response response) {
    auto shared = std::make_shared<Response>(std::move(response));
    // A handler's delay (a throttled caller): the answer waits on a timer,
    // holding no thread, so a caller over its budget cannot send its next
    // request on this connection before then.
    if (auto delay = shared->find(kDelayHeader); delay != shared->end()) {
      int ms = 0;
      const bool valid = absl::SimpleAtoi(
          absl::string_view(delay->value().data(), delay->value().size()), &ms);
      shared->erase(delay);
      if (valid && ms > 0) {
        auto timer = std::make_shared<asio::steady_timer>(
            stream_.get_executor(),
            std::chrono::milliseconds(std::min(ms, 5000)));
        timer->async_wait([self = shared_from_this(), shared,
                           timer](beast::error_code) { self->Send(shared); });
        return;
      }
    }
    Send(std::move(shared));
  }

  void Send(std::shared_ptr<Response> shared) {
    const bool close = !shared->keep_alive();
    beast::http::async_write(stream_, *shared,
                             [self = shared_from_this(), shared, close](
                                 beast::error_code error, size_t) {
                               --self->server_.in_flight_;
                               if (error || close || self->server_.stopping_)
                                 return self->Close();
                               self->Read();
                             });
  }

  // Half-closes, then reads and discards what the client still sends (for
  // up to 2 s): closing a socket with unread input makes the kernel send a
  // reset, which can destroy a response (e.g. 413) the client has not read.
  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    Drain();
  }

  void Drain() {
    auto scratch = std::make_shared<std::array<char, 8192>>();
    stream_.async_read_some(
        asio::buffer(*scratch),
        [self = shared_from_this(), scratch](beast::error_code error, size_t) {
          if (!error) self->Drain();
        });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  Server& server_;
  std::string peer_;
};

Server::Server(ServerOptions options, Handler handler)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      acceptor_(asio::make_strand(io_)) {}

Server::~Server() { Stop(); }

absl::Status Server::Start() {
  boost::system::error_code error;
  const auto address = asio::ip::make_address(options_.bind_host, error);
  if (error)
    return absl::InvalidArgumentError("BIND_HOST: not an IP address: " +
                                      options_.bind_host);
  const tcp::endpoint endpoint(address,
                               static_cast<unsigned short>(options_.port));
  acceptor_.open(endpoint.protocol(), error);
  if (!error)
    acceptor_.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor_.bind(endpoint, error);
  if (!error)
    acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError("cannot listen on " + options_.bind_host +
                                  ":" + std::to_string(options_.port) + ": " +
                                  error.message());
  }
  port_ = acceptor_.local_endpoint().port();
  Accept();
  for (int i = 0; i < options_.threads; ++i)
    threads_.emplace_back([this] { io_.run(); });
  return absl::OkStatus();
}

void Server::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code error,
                                                        tcp::socket socket) {
    if (stopping_ || !acceptor_.is_open()) return;
    if (!error) {
      auto session = std::make_shared<Session>(std::move(socket), *this);
      if (connections_.load() > options_.max_connections) {
        session->Refuse();
      } else {
        session->Run();
      }
      return Accept();
    }
    if (error == asio::error::operation_aborted) return;
    // Out of descriptors and the like: say so, and retry a little later
    // rather than spin.
    log::Warn("http accept failed", {{"error", error.message()}});
    auto timer = std::make_shared<asio::steady_timer>(
        acceptor_.get_executor(), std::chrono::milliseconds(100));
    timer->async_wait([this, timer](beast::error_code) {
      if (!stopping_) Accept();
    });
  });
}

void Server::Stop() {
  if (stopping_.exchange(true)) return;
  if (threads_.empty()) return;
  // Close the listening socket before anything else, and wait until it is.
  std::promise<void> closed;
  asio::post(acceptor_.get_executor(), [this, &closed] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    closed.set_value();
  });
  closed.get_future().wait();
  // Requests being served finish (up to the grace period); requests that
  // arrive meanwhile are answered 503 with Connection: close; idle keep-alive
  // connections are dropped with the I/O threads.
  const absl::Time deadline = absl::Now() + options_.shutdown_grace;
  while (in_flight_.load() > 0 && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  io_.stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

absl::StatusOr<ServerOptions> ServerOptionsFromEnv(const char* port_variable,
                                                   int default_port,
                                                   int default_threads) {
  ServerOptions options;
  ASSIGN_OR_RETURN(options.port,
                   env::Int(port_variable, default_port, 0, 65535));
  options.bind_host = env::String("BIND_HOST", "0.0.0.0");
  ASSIGN_OR_RETURN(options.threads,
                   env::Int("HTTP_THREADS", default_threads, 1, 256));
  ASSIGN_OR_RETURN(const int read_timeout,
                   env::Int("HTTP_READ_TIMEOUT_SECONDS", 60, 1, 3600));
  options.idle_timeout = absl::Seconds(read_timeout);
  for (absl::string_view proxy : absl::StrSplit(
           env::String("TRUSTED_PROXIES", ""), ',', absl::SkipWhitespace())) {
    std::string entry(absl::StripAsciiWhitespace(proxy));
    boost::system::error_code error;
    if (entry.find('/') != std::string::npos) {
      if (entry.find(':') == std::string::npos) {
        asio::ip::make_network_v4(entry, error);
      } else {
        asio::ip::make_network_v6(entry, error);
      }
    } else {
      asio::ip::make_address(entry, error);
    }
    if (error)
      return absl::InvalidArgumentError(
          "TRUSTED_PROXIES: not an IP address or CIDR network: " + entry);
    options.trusted_proxies.push_back(std::move(entry));
  }
  ASSIGN_OR_RETURN(options.max_connections,
                   env::Int("HTTP_MAX_CONNECTIONS", 4096, 1, 1000000));
  ASSIGN_OR_RETURN(const int grace,
                   env::Int("SHUTDOWN_GRACE_SECONDS", 10, 0, 3600));
  options.shutdown_grace = absl::Seconds(grace);
  return options;
}

}  // namespace adcp::http
