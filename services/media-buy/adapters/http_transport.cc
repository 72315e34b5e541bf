#include "services/media-buy/adapters/http_transport.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace adcp::media_buy {
namespace {

class CurlTransport final : public HttpTransport {
 public:
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request,
                                    absl::Duration timeout) override {
    // The URLs the adapters may call, as before libcurl (which is more
    // lenient, e.g. with "http:///host").
    if (absl::StatusOr<ParsedUrl> url = ParseUrl(request.url); !url.ok())
      return url.status();
    return client_.Send(request, timeout);
  }

 private:
  http::Client client_;
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

std::shared_ptr<HttpTransport> CurlHttpTransport() {
  return std::make_shared<CurlTransport>();
}

}  // namespace adcp::media_buy
