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

const char kStyle[] = R"css(
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:var(--brand,#1f2937);color:#fff;padding:12px 24px;display:flex;align-items:center;gap:16px}
header a{color:#fff}header img{height:32px}
main{padding:24px;max-width:1100px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #ddd;padding:6px 8px;text-align:left;font-size:14px}
.notice{background:#e7f6ec;border:1px solid #8bc79f;padding:8px 12px;margin:12px 0}
.error{background:#fdecea;border:1px solid #e6a19a;padding:8px 12px;margin:12px 0}
.token{font-family:monospace;background:#fff8dc;padding:4px 8px;word-break:break-all}
textarea{width:100%;font-family:monospace;font-size:13px}
form.inline{display:inline}
section{background:#fff;padding:12px 16px;margin:16px 0;border:1px solid #e3e3e3}
label{display:inline-block;margin:4px 12px 4px 0}
)css";

}  // namespace

std::string Page(const std::string& title, const std::string& body,
                 const std::string& brand_color, const std::string& logo_url,
                 const std::string& csrf) {
  std::string header = "<header>";
  if (!logo_url.empty())
    header += "<img alt=\"logo\" src=\"" + Html(logo_url) + "\">";
  header +=
      "<strong>AdCP sales agent &middot; system admin</strong> <a "
      "href=\"/admin/tenants\">Tenants</a>";
  if (!csrf.empty()) {
    header +=
        "<form class=\"inline\" method=\"post\" "
        "action=\"/admin/logout\"><input type=\"hidden\" "
        "name=\"_csrf\" value=\"" +
        Html(csrf) + "\"><button id=\"logout\">Log out</button></form>";
  }
  header += "</header>";
  const std::string brand =
      brand_color.empty()
          ? ""
          : "<style>:root{--brand:" + Html(brand_color) + "}</style>";
  return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" +
         Html(title) + "</title><style>" + kStyle + "</style>" + brand +
         "</head><body>" + header + "<main>" + body + "</main></body></html>";
}

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

std::string Notices(const std::string& notice, const std::string& error) {
  std::string out;
  if (!notice.empty())
    out += "<div class=\"notice\" id=\"notice\">" + notice + "</div>";
  if (!error.empty())
    out += "<div class=\"error\" id=\"error\">" + Html(error) + "</div>";
  return out;
}

std::string CsrfField(const std::string& csrf) {
  return "<input type=\"hidden\" name=\"_csrf\" value=\"" + Html(csrf) + "\">";
}

std::string TokenNotice(const std::string& what, const IssuedToken& issued) {
  return Html(what) + " <b>" + Html(issued.principal_id) +
         "</b>. Its access token is shown once: <div class=\"token\" "
         "id=\"token\">" +
         Html(issued.access_token) + "</div>";
}

std::string Html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
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
