// The admin UI's HTTP side of its pages: HTML responses with the UI's
// security headers, redirects, and form decoding. The pages themselves come
// from templates (admin_pages.h).
#pragma once

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "libs/http/http_server.h"

namespace adcp::admin_gateway {

// Decodes an application/x-www-form-urlencoded body.
absl::flat_hash_map<std::string, std::string> ParseForm(std::string_view body);

// text/html with the UI's security headers (CSP, no framing, no referrer).
http::Response HtmlResponse(const http::Request& request,
                            boost::beast::http::status status,
                            std::string body);
// 303 See Other to `location`.
http::Response Redirect(const http::Request& request,
                        const std::string& location);

}  // namespace adcp::admin_gateway
