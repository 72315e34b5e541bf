// The admin UI's HTML: the page frame, responses, notices, the one HTML
// escaper, and form decoding. Every value from a request, the database or a
// tenant's config goes through Html() before it reaches a page; the callers
// pass only their own markup unescaped.
#pragma once

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "libs/http/http_server.h"
#include "services/admin-gateway/admin_operations.h"

namespace adcp::admin_gateway {

// HTML-escapes text for element content and attribute values.
std::string Html(std::string_view text);
// Decodes an application/x-www-form-urlencoded body.
absl::flat_hash_map<std::string, std::string> ParseForm(std::string_view body);

// A whole page: the header (brand color, logo, and with `csrf` the log-out
// form) around `body`, which is markup.
std::string Page(const std::string& title, const std::string& body,
                 const std::string& brand_color = "",
                 const std::string& logo_url = "",
                 const std::string& csrf = "");
// text/html with the UI's security headers (CSP, no framing, no referrer).
http::Response HtmlResponse(const http::Request& request,
                            boost::beast::http::status status,
                            std::string body);
// 303 See Other to `location`.
http::Response Redirect(const http::Request& request,
                        const std::string& location);
// The notice (markup) and error (text) boxes of a page; empty ones left out.
std::string Notices(const std::string& notice, const std::string& error);
// The hidden _csrf field of a form.
std::string CsrfField(const std::string& csrf);
// "<what> <principal>. Its access token is shown once: <token>".
std::string TokenNotice(const std::string& what, const IssuedToken& issued);

}  // namespace adcp::admin_gateway
