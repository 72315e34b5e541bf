#include "services/media-buy/adapters/http_transport.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace adcp::media_buy {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

constexpr size_t kMaxResponseBytes = 32 << 20;

absl::Status ExchangeError(const beast::error_code& error,
                           const ParsedUrl& url) {
  const std::string where = absl::StrCat(url.host, ":", url.port);
  if (error == beast::error::timeout) {
    return absl::DeadlineExceededError(
        absl::StrCat("no answer from ", where, " in time"));
  }
  return absl::UnavailableError(
      absl::StrCat("exchange with ", where, " failed: ", error.message()));
}

// Runs one asynchronous operation to completion on `io` (Beast's stream
// timeouts apply to asynchronous operations only).
template <typename Start>
beast::error_code Await(boost::asio::io_context& io, Start&& start) {
  beast::error_code result = boost::asio::error::would_block;
  start([&result](beast::error_code error, auto&&...) { result = error; });
  io.restart();
  io.run();
  return result;
}

template <typename Stream>
absl::StatusOr<HttpResponse> Exchange(boost::asio::io_context& io,
                                      Stream& stream, const ParsedUrl& url,
                                      const HttpRequest& request) {
  bhttp::request<bhttp::string_body> out{bhttp::string_to_verb(request.method),
                                         url.target, 11};
  out.set(bhttp::field::host, url.host);
  out.set(bhttp::field::user_agent, "adcp-sales-agent");
  for (const auto& [name, value] : request.headers) out.set(name, value);
  if (!request.body.empty() || request.method == "POST" ||
      request.method == "PUT") {
    out.body() = request.body;
    out.prepare_payload();
  }
  if (beast::error_code error = Await(io, [&](auto handler) {
        bhttp::async_write(stream, out, std::move(handler));
      }))
    return ExchangeError(error, url);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  if (beast::error_code error = Await(io, [&](auto handler) {
        bhttp::async_read(stream, buffer, parser, std::move(handler));
      }))
    return ExchangeError(error, url);
  HttpResponse response;
  response.status = parser.get().result_int();
  response.body = std::move(parser.get().body());
  for (const auto& field : parser.get()) {
    response.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
        std::string(field.value());
  }
  return response;
}

class BeastTransport final : public HttpTransport {
 public:
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request,
                                    absl::Duration timeout) override {
    auto url = ParseUrl(request.url);
    if (!url.ok()) return url.status();
    const auto budget = std::chrono::milliseconds(
        std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout)));
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    tcp::resolver::results_type endpoints;
    beast::error_code error = boost::asio::error::would_block;
    resolver.async_resolve(
        url->host, url->port,
        [&](beast::error_code e, tcp::resolver::results_type results) {
          error = e;
          endpoints = std::move(results);
        });
    io.run_for(budget);
    if (error == boost::asio::error::would_block) {
      resolver.cancel();
      return ExchangeError(beast::error::timeout, *url);
    }
    if (error) return ExchangeError(error, *url);
    if (!url->tls) {
      beast::tcp_stream stream(io);
      stream.expires_after(budget);
      if (beast::error_code e = Await(io, [&](auto handler) {
            stream.async_connect(endpoints, std::move(handler));
          }))
        return ExchangeError(e, *url);
      auto response = Exchange(io, stream, *url, request);
      stream.socket().shutdown(tcp::socket::shutdown_both, error);
      return response;
    }
    ssl::context context(ssl::context::tls_client);
    context.set_default_verify_paths(error);
    if (error) return ExchangeError(error, *url);
    context.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, context);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str())) {
      return absl::UnavailableError(
          absl::StrCat("TLS set-up for ", url->host, " failed"));
    }
    stream.set_verify_callback(ssl::host_name_verification(url->host));
    beast::get_lowest_layer(stream).expires_after(budget);
    if (beast::error_code e = Await(io, [&](auto handler) {
          beast::get_lowest_layer(stream).async_connect(endpoints,
                                                        std::move(handler));
        }))
      return ExchangeError(e, *url);
    if (beast::error_code e = Await(io, [&](auto handler) {
          stream.async_handshake(ssl::stream_base::client, std::move(handler));
        }))
      return ExchangeError(e, *url);
    auto response = Exchange(io, stream, *url, request);
    // The peer may just close: not an error once the answer is read.
    beast::get_lowest_layer(stream).socket().shutdown(
        tcp::socket::shutdown_both, error);
    return response;
  }
};

}  // namespace

absl::StatusOr<ParsedUrl> ParseUrl(const std::string& url) {
  ParsedUrl out;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    out.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("URL '", url, "' must start with http:// or https://"));
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.target =
      slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos &&
      authority.find(']') == std::string_view::npos) {
    out.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
  } else {
    out.port = out.tls ? "443" : "80";
  }
  out.host = std::string(authority);
  if (out.host.empty() || out.port.empty() ||
      !std::all_of(out.port.begin(), out.port.end(), absl::ascii_isdigit)) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL '", url, "' has no valid host and port"));
  }
  return out;
}

std::shared_ptr<HttpTransport> BeastHttpTransport() {
  return std::make_shared<BeastTransport>();
}

}  // namespace adcp::media_buy
