// The suite's HTTP/1.1 request parsing (libs/http/request_parser.h:
// Beast's parser with our limits and framing rules,
// as both HTTP servers configure it), then what the servers do first with a
// request: the client address behind a trusted proxy (ClientAddress, from
// X-Forwarded-For). Each input is parsed with the servers' default limits
// and with small ones. Properties of a request that parses:
//  - body within max_body_bytes, header fields within max_header_fields,
//    never Transfer-Encoding together with Content-Length, a Content-Length
//    body of exactly that length, HTTP/1.0 or 1.1, a nonempty target;
//  - written out again by Beast, it parses to the same request (without
//    Transfer-Encoding: see CheckRequest);
//  - the client address is the peer or a parsed IP address, and passes
//    IsClientAddress where metadata validation exists (it is forwarded to
//    the services as x-adcp-client).
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/http/request_parser.h"
#include "libs/tenancy/metadata.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

namespace http = boost::beast::http;
using adcp::http::Request;
using adcp::http::ServerOptions;

std::vector<std::pair<std::string, std::string>> Fields(const Request& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& field : r)
    out.emplace_back(std::string(field.name_string()),
                     std::string(field.value()));
  return out;
}

void CheckRequest(const Request& request, const ServerOptions& options,
                  std::string_view input) {
  FUZZ_CHECK(request.body().size() <= options.max_body_bytes,
             "body over the limit");
  size_t fields = 0;
  for (auto it = request.begin(); it != request.end(); ++it) ++fields;
  FUZZ_CHECK(fields <= options.max_header_fields, "too many header fields");
  const bool te = request.count(http::field::transfer_encoding) > 0;
  const bool cl = request.count(http::field::content_length) > 0;
  FUZZ_CHECK(!(te && cl), "Transfer-Encoding with Content-Length");
  if (cl) {
    const auto value = request[http::field::content_length];
    unsigned long long length = 0;
    const auto [end, error] =
        std::from_chars(value.data(), value.data() + value.size(), length);
    FUZZ_CHECK(error == std::errc() && request.body().size() == length,
               "Content-Length " + std::string(value) + " with a body of " +
                   std::to_string(request.body().size()));
  }
  FUZZ_CHECK(request.version() == 10 || request.version() == 11,
             std::to_string(request.version()));
  FUZZ_CHECK(!request.target().empty(), "an empty target");

  // Beast's rendering is compared only for requests without
  // Transfer-Encoding: with several of its fields, or codings other than
  // chunked, Beast's writer and parser frame the body differently.
  if (te) return;
  std::ostringstream written;
  written << request;
  const std::string text = written.str();
  ServerOptions roomy = options;  // the same request, written canonically
  roomy.max_header_bytes += 64;
  const absl::StatusOr<Request> again = adcp::http::ParseRequest(text, roomy);
  FUZZ_CHECK(again.ok(), "Beast's own rendering does not parse (" +
                             again.status().ToString() + "): " + text);
  FUZZ_CHECK(again->method_string() == request.method_string() &&
                 again->target() == request.target() &&
                 again->version() == request.version() &&
                 again->body() == request.body() &&
                 Fields(*again) == Fields(request),
             "the request does not round trip: " + text);

  ServerOptions proxied = options;
  proxied.trusted_proxies = {"127.0.0.1", "10.0.0.0/8", "fd00::/8"};
  for (const std::string peer : {"127.0.0.1", "10.1.2.3", "203.0.113.9"}) {
    const std::string client =
        adcp::http::ClientAddress(request, peer, proxied);
    boost::system::error_code error;
    boost::asio::ip::make_address(client, error);
    FUZZ_CHECK(client == peer || !error, "client address " + client);
    FUZZ_CHECK(adcp::IsClientAddress(client),
               "the client address would be refused as metadata: " + client);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = adcp_fuzz::AsText(data, size);
  // No bytes are no request (Beast's put_eof needs some).
  if (input.empty()) {
    FUZZ_CHECK(
        !adcp::http::ParseRequest(input, adcp::http::ServerOptions()).ok(),
        "accepted no bytes");
    return 0;
  }
  ServerOptions defaults;  // what ServerOptionsFromEnv starts from
  ServerOptions small;
  small.max_body_bytes = 64;
  small.max_header_bytes = 512;
  small.max_header_fields = 4;
  for (const ServerOptions* options : {&defaults, &small}) {
    const absl::StatusOr<Request> request =
        adcp::http::ParseRequest(input, *options);
    if (!request.ok()) {
      FUZZ_CHECK(absl::IsInvalidArgument(request.status()),
                 request.status().ToString());
      continue;
    }
    CheckRequest(*request, *options, input);
  }
  return 0;
}
