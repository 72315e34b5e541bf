#include "libs/http/client.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace adcp::http {
namespace {

// Where a request goes: the pool's key, and the name in error messages.
struct Origin {
  std::string scheme;
  std::string host;
  std::string port;

  std::string Key() const {
    return absl::StrCat(scheme, "://", host, ":", port);
  }
  std::string HostPort() const { return absl::StrCat(host, ":", port); }
};

absl::StatusOr<Origin> OriginOf(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(),
                                                             curl_url_cleanup);
  if (!parsed) return absl::ResourceExhaustedError("curl_url failed");
  if (curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return absl::InvalidArgumentError(
        absl::StrCat("URL '", url, "' is malformed"));
  Origin origin;
  for (auto [part, out] : {std::pair{CURLUPART_SCHEME, &origin.scheme},
                           std::pair{CURLUPART_HOST, &origin.host},
                           std::pair{CURLUPART_PORT, &origin.port}}) {
    char* text = nullptr;
    if (curl_url_get(parsed.get(), part, &text, CURLU_DEFAULT_PORT) ==
        CURLUE_OK) {
      *out = text;
      curl_free(text);
    }
  }
  if ((origin.scheme != "http" && origin.scheme != "https") ||
      origin.host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL '", url, "' is not http:// or https:// with a host"));
  }
  return origin;
}

bool HasLineBreak(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

bool HasHeader(const ClientRequest& request, const char* name) {
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [&](const auto& header) {
                       return absl::EqualsIgnoreCase(header.first, name);
                     });
}

// What one exchange collects from libcurl's callbacks.
struct Exchange {
  const ClientOptions* options;
  ClientResponse response;
  size_t header_bytes = 0;
  bool body_too_large = false;
  bool headers_too_large = false;
  absl::Status refused;  // an address admit_address refused

  // CURLOPT_OPENSOCKETFUNCTION: the socket for an address it admits.
  static curl_socket_t OnOpenSocket(void* self, curlsocktype,
                                    curl_sockaddr* address) {
    auto* exchange = static_cast<Exchange*>(self);
    absl::Status admitted = exchange->options->admit_address(&address->addr);
    if (!admitted.ok()) {
      exchange->refused = std::move(admitted);
      return CURL_SOCKET_BAD;
    }
    return ::socket(address->family, address->socktype, address->protocol);
  }

  static size_t OnBody(char* data, size_t size, size_t count, void* self) {
    auto* exchange = static_cast<Exchange*>(self);
    const size_t bytes = size * count;
    if (exchange->response.body.size() + bytes >
        exchange->options->max_response_bytes) {
      exchange->body_too_large = true;
      return 0;  // libcurl aborts with CURLE_WRITE_ERROR
    }
    exchange->response.body.append(data, bytes);
    return bytes;
  }

  // One header line per call, the status line included; a new status line
  // (after a 100 Continue) starts the fields over.
  static size_t OnHeader(char* data, size_t size, size_t count, void* self) {
    auto* exchange = static_cast<Exchange*>(self);
    const size_t bytes = size * count;
    exchange->header_bytes += bytes;
    if (exchange->header_bytes > exchange->options->max_header_bytes) {
      exchange->headers_too_large = true;
      return 0;
    }
    const absl::string_view line(data, bytes);
    if (absl::StartsWith(line, "HTTP/")) {
      exchange->response.headers.clear();
      return bytes;
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) return bytes;
    exchange->response.headers[absl::AsciiStrToLower(line.substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    return bytes;
  }
};

using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

// The request's header fields, and empty ones that remove libcurl's own
// defaults (Accept, a form Content-Type for a body, Expect: 100-continue).
absl::StatusOr<HeaderList> HeadersOf(const ClientRequest& request) {
  HeaderList list(nullptr, curl_slist_free_all);
  auto append = [&list](const std::string& line) {
    curl_slist* grown = curl_slist_append(list.get(), line.c_str());
    if (grown) {
      list.release();
      list.reset(grown);
    }
    return grown != nullptr;
  };
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
        name.find(':') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("header '", name, "' cannot be sent"));
    }
    // "Name;" is libcurl's spelling of a field with an empty value.
    if (!append(value.empty() ? name + ";" : absl::StrCat(name, ": ", value)))
      return absl::ResourceExhaustedError("curl_slist_append failed");
  }
  for (const char* name : {"Accept", "Content-Type", "Expect"}) {
    if (!HasHeader(request, name) && !append(absl::StrCat(name, ":")))
      return absl::ResourceExhaustedError("curl_slist_append failed");
  }
  return list;
}

void SetMethodAndBody(CURL* easy, const ClientRequest& request) {
  if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty() || request.method == "POST" ||
      request.method == "PUT") {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
  }
}

absl::Status ExchangeError(CURLcode code, const Exchange& exchange,
                           const Origin& origin, const char* detail) {
  const std::string where = origin.HostPort();
  if (!exchange.refused.ok()) return exchange.refused;
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(
        absl::StrCat("no answer from ", where, " in time"));
  }
  if (exchange.body_too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return absl::UnavailableError(
        absl::StrCat("the answer from ", where, " is longer than ",
                     exchange.options->max_response_bytes, " bytes"));
  }
  if (exchange.headers_too_large) {
    return absl::UnavailableError(absl::StrCat(
        "the header of the answer from ", where, " is longer than ",
        exchange.options->max_header_bytes, " bytes"));
  }
  return absl::UnavailableError(
      absl::StrCat("exchange with ", where,
                   " failed: ", *detail ? detail : curl_easy_strerror(code)));
}

}  // namespace

// Easy handles kept per origin. A handle holds its own connection cache
// (one connection: a handle serves one origin and one call at a time), so
// taking a handle of the same origin takes its open connection. libcurl's
// shared connection cache (CURL_LOCK_DATA_CONNECT) is not used: libcurl
// documents it as unsafe between concurrent threads.
class Client::Pool {
 public:
  explicit Pool(ClientOptions options) : options_(std::move(options)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  ~Pool() {
    for (auto& [origin, handles] : idle_)
      for (CURL* easy : handles) curl_easy_cleanup(easy);
  }

  CURL* Take(const std::string& origin) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto found = idle_.find(origin);
      if (found != idle_.end() && !found->second.empty()) {
        CURL* easy = found->second.back();
        found->second.pop_back();
        --idle_count_;
        return easy;
      }
    }
    return curl_easy_init();
  }

  // Keeps `easy` (and its open connection) for the next call to `origin`,
  // unless max_idle_connections are kept already.
  void Return(const std::string& origin, CURL* easy) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (idle_count_ < options_.max_idle_connections) {
        idle_[origin].push_back(easy);
        ++idle_count_;
        return;
      }
    }
    curl_easy_cleanup(easy);
  }

  const ClientOptions& options() const { return options_; }

 private:
  const ClientOptions options_;
  std::mutex mu_;
  std::map<std::string, std::vector<CURL*>> idle_;
  int idle_count_ = 0;
};

Client::Client(ClientOptions options)
    : pool_(std::make_unique<Pool>(std::move(options))) {}

Client::~Client() = default;

absl::StatusOr<ClientResponse> Client::Send(const ClientRequest& request,
                                            absl::Duration timeout) {
  absl::StatusOr<Origin> origin = OriginOf(request.url);
  if (!origin.ok()) return origin.status();
  absl::StatusOr<HeaderList> headers = HeadersOf(request);
  if (!headers.ok()) return headers.status();
  const std::string key = origin->Key();
  CURL* easy = pool_->Take(key);
  if (easy == nullptr)
    return absl::ResourceExhaustedError("curl_easy_init failed");

  // Options are set again on every call; reset keeps the open connection.
  curl_easy_reset(easy);
  Exchange exchange{.options = &pool_->options()};
  char detail[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(
                       1, absl::ToInt64Milliseconds(timeout))));
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(easy, CURLOPT_MAXCONNECTS, 1L);
  curl_easy_setopt(
      easy, CURLOPT_MAXFILESIZE_LARGE,
      static_cast<curl_off_t>(pool_->options().max_response_bytes));
  curl_easy_setopt(easy, CURLOPT_USERAGENT,
                   pool_->options().user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers->get());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Exchange::OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Exchange::OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, detail);
  if (pool_->options().admit_address) {
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &Exchange::OnOpenSocket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, &exchange);
  }
  SetMethodAndBody(easy, request);

  const CURLcode code = curl_easy_perform(easy);
  long status = 0;
  if (code == CURLE_OK)
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  // The handle must not point at this call's header list and buffers.
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
  pool_->Return(key, easy);
  if (code != CURLE_OK) return ExchangeError(code, exchange, *origin, detail);
  exchange.response.status = static_cast<int>(status);
  return std::move(exchange.response);
}

}  // namespace adcp::http
