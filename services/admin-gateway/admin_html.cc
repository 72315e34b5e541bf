#include "services/admin-gateway/admin_html.h"

#include "absl/strings/str_split.h"

namespace adcp::admin_gateway {
namespace {

namespace bhttp = boost::beast::http;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string UrlDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() + 0 &&
               HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 +
                                      HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

http::Response HtmlResponse(const http::Request& request, bhttp::status status,
                            std::string body) {
  http::Response response{status, request.version()};
  response.set(bhttp::field::content_type, "text/html; charset=utf-8");
  response.set(bhttp::field::cache_control, "no-store");
  response.set(
      "Content-Security-Policy",
      "default-src 'none'; style-src 'unsafe-inline'; img-src https: http:; "
      "form-action 'self'; frame-ancestors 'none'");
  response.set("X-Frame-Options", "DENY");
  response.set("Referrer-Policy", "no-referrer");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

http::Response Redirect(const http::Request& request,
                        const std::string& location) {
  http::Response response{bhttp::status::see_other, request.version()};
  response.set(bhttp::field::location, location);
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return response;
}

absl::flat_hash_map<std::string, std::string> ParseForm(std::string_view body) {
  // Our forms have a handful of fields: the rest of a larger form is
  // ignored, so a 1 MiB body of empty fields costs no more than a scan.
  constexpr size_t kMaxFields = 64;
  absl::flat_hash_map<std::string, std::string> form;
  for (absl::string_view pair :
       absl::StrSplit(absl::string_view(body.data(), body.size()), '&',
                      absl::SkipEmpty())) {
    if (form.size() >= kMaxFields) break;
    const auto equals = pair.find('=');
    const absl::string_view key = pair.substr(0, equals);
    const absl::string_view value = equals == absl::string_view::npos
                                        ? absl::string_view()
                                        : pair.substr(equals + 1);
    form[UrlDecode(std::string_view(key.data(), key.size()))] =
        UrlDecode(std::string_view(value.data(), value.size()));
  }
  return form;
}

}  // namespace adcp::admin_gateway
