#include "tests/support/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"

namespace adcp::testing {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

HttpReply HttpCall(int port, const std::string& method,
                   const std::string& target, const std::string& body,
                   const std::map<std::string, std::string>& headers,
                   const std::string& content_type) {
  HttpReply reply;
  try {
    boost::asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                 static_cast<unsigned short>(port)));
    bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method),
                                               target, 11};
    request.set(bhttp::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) request.set(name, value);
    if (!body.empty() || method == "POST" || method == "PUT" ||
        method == "PATCH") {
      request.set(bhttp::field::content_type, content_type);
      request.body() = body;
      request.prepare_payload();
    }
    bhttp::write(stream, request);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    bhttp::read(stream, buffer, parser);
    const auto& response = parser.get();
    reply.status = response.result_int();
    reply.body = response.body();
    for (const auto& field : response) {
      if (field.name() == bhttp::field::set_cookie)
        reply.set_cookies.emplace_back(field.value());
      reply.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
          std::string(field.value());
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  } catch (const std::exception&) {
    reply.status = 0;
  }
  return reply;
}

}  // namespace adcp::testing
