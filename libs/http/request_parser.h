// How the suite's HTTP servers read a request: Beast's parser with our
// limits. The server uses ConfigureParser; ParseRequest runs the same
// parser over bytes in memory (the fuzz target and tests).
#pragma once

#include <boost/beast/http.hpp>
#include <string_view>

#include "absl/status/statusor.h"
#include "libs/http/http_server.h"

namespace adcp::http {

using RequestParser =
    boost::beast::http::request_parser<boost::beast::http::string_body>;

// Body and header limits from `options`.
void ConfigureParser(RequestParser& parser, const ServerOptions& options);

// Whether a parsed request's framing is one we serve: no Transfer-Encoding
// together with Content-Length (request smuggling), and no more header
// fields than options.max_header_fields. INVALID_ARGUMENT naming the header
// otherwise.
absl::Status CheckFraming(const Request& request, const ServerOptions& options);

// Parses exactly one request from `bytes`: INVALID_ARGUMENT when the bytes
// are not a whole valid request within the limits.
absl::StatusOr<Request> ParseRequest(std::string_view bytes,
                                     const ServerOptions& options);

}  // namespace adcp::http
