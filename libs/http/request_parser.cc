#include "libs/http/request_parser.h"

#include "absl/strings/str_cat.h"

namespace adcp::http {

void ConfigureParser(RequestParser& parser, const ServerOptions& options) {
  parser.body_limit(options.max_body_bytes);
  parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
}

absl::Status CheckFraming(const Request& request,
                          const ServerOptions& options) {
  const size_t codings =
      request.count(boost::beast::http::field::transfer_encoding);
  if (codings > 0 &&
      request.count(boost::beast::http::field::content_length) > 0) {
    return absl::InvalidArgumentError(
        "Transfer-Encoding: not allowed together with Content-Length");
  }
  // One coding we serve, so that no two readers frame the body differently.
  if (codings > 1 ||
      (codings == 1 &&
       !boost::beast::iequals(
           request[boost::beast::http::field::transfer_encoding], "chunked")))
    return absl::InvalidArgumentError(
        "Transfer-Encoding: only a single \"chunked\" is served");
  size_t fields = 0;
  for (auto it = request.begin(); it != request.end(); ++it) {
    if (++fields > options.max_header_fields)
      return absl::InvalidArgumentError(absl::StrCat(
          "headers: more than ", options.max_header_fields, " header fields"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Request> ParseRequest(std::string_view bytes,
                                     const ServerOptions& options) {
  RequestParser parser;
  ConfigureParser(parser, options);
  parser.eager(true);
  boost::beast::error_code error;
  size_t used = 0;
  while (used < bytes.size() && !parser.is_done()) {
    const size_t n = parser.put(
        boost::asio::buffer(bytes.data() + used, bytes.size() - used), error);
    if (error == boost::beast::http::error::need_more) break;
    if (error) return absl::InvalidArgumentError("request: " + error.message());
    if (n == 0) break;
    used += n;
  }
  if (!parser.got_some())
    return absl::InvalidArgumentError("request: no bytes");
  if (!parser.is_done()) {
    parser.put_eof(error);
    if (error || !parser.is_done())
      return absl::InvalidArgumentError("request: incomplete");
  }
  Request request = parser.release();
  if (absl::Status framing = CheckFraming(request, options); !framing.ok())
    return framing;
  return request;
}

}  // namespace adcp::http
