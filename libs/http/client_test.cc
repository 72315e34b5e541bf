#include "libs/http/client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace adcp::http {
namespace {

struct SeenRequest {
  std::string line;                            // "GET /path HTTP/1.1"
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct Answer {
  int status = 200;
  std::string body;
  std::string extra_headers;  // "Name: value\r\n" lines
  // No Content-Length: the body ends when the connection closes.
  bool close_delimited = false;
  // Holds the answer until the server stops.
  bool hang = false;
};

// A keep-alive HTTP/1.1 server on 127.0.0.1 (port 0), one thread per
// connection, that counts the connections it accepts.
class TestServer {
 public:
  explicit TestServer(std::function<Answer(const SeenRequest&)> script)
      : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), length),
              0);
    EXPECT_EQ(::listen(listener_, 64), 0);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~TestServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
    }
    released_.notify_all();
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    for (std::thread& worker : workers_) worker.join();
    ::close(listener_);
  }

  std::string url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }
  int port() const { return port_; }
  int accepted() const { return accepted_; }
  std::vector<SeenRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void AcceptLoop() {
    while (true) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      ++accepted_;
      connections_.push_back(fd);
      workers_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  // Reads one request; false when the peer closed or sent garbage.
  static bool ReadRequest(int fd, std::string& buffer, SeenRequest& out) {
    size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      char chunk[4096];
      const ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
      if (got <= 0) return false;
      buffer.append(chunk, got);
      // A TLS ClientHello: answered as a plain HTTP server would.
      if (buffer[0] == '\x16') {
        SendAll(fd, "HTTP/1.1 400 X\r\nConnection: close\r\n\r\n");
        return false;
      }
    }
    std::vector<std::string> lines =
        absl::StrSplit(buffer.substr(0, head_end), "\r\n");
    out.line = lines[0];
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      if (colon == std::string::npos) return false;
      out.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    }
    size_t length = 0;
    if (auto it = out.headers.find("content-length"); it != out.headers.end())
      if (!absl::SimpleAtoi(it->second, &length)) return false;
    buffer.erase(0, head_end + 4);
    while (buffer.size() < length) {
      char chunk[4096];
      const ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
      if (got <= 0) return false;
      buffer.append(chunk, got);
    }
    out.body = buffer.substr(0, length);
    buffer.erase(0, length);
    return true;
  }

  static void SendAll(int fd, const std::string& data) {
    for (size_t sent = 0; sent < data.size();) {
      const ssize_t n =
          ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += n;
    }
  }

  void Serve(int fd) {
    std::string buffer;
    SeenRequest request;
    while (ReadRequest(fd, buffer, request)) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(request);
      }
      const Answer answer = script_(request);
      if (answer.hang) {
        std::unique_lock<std::mutex> lock(mu_);
        released_.wait(lock, [this] { return stopping_; });
        break;
      }
      std::string head = absl::StrCat("HTTP/1.1 ", answer.status, " X\r\n",
                                      answer.extra_headers);
      if (answer.close_delimited) {
        SendAll(fd,
                absl::StrCat(head, "Connection: close\r\n\r\n", answer.body));
        break;
      }
      SendAll(fd, absl::StrCat(head, "Content-Length: ", answer.body.size(),
                               "\r\n\r\n", answer.body));
      request = {};
    }
    std::lock_guard<std::mutex> lock(mu_);
    ::close(fd);
    std::erase(connections_, fd);
  }

  const std::function<Answer(const SeenRequest&)> script_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::condition_variable released_;
  bool stopping_ = false;
  std::vector<int> connections_;
  std::vector<SeenRequest> requests_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

Answer Echo(const SeenRequest& request) {
  return {.body = absl::StrCat(request.line, "|", request.body),
          .extra_headers = "X-Answer:  yes \r\n"};
}

TEST(HttpClient, SendsTheRequestAndReadsTheAnswer) {
  TestServer server(Echo);
  Client client;
  auto response =
      client.Send({.method = "POST",
                   .url = server.url("/v1/flight?x=1"),
                   .headers = {{"X-Adzerk-ApiKey", "k"},
                               {"Content-Type", "application/json"}},
                   .body = R"({"a":1})"},
                  absl::Seconds(5));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"(POST /v1/flight?x=1 HTTP/1.1|{"a":1})");
  EXPECT_EQ(response->headers["x-answer"], "yes");
  const SeenRequest seen = server.requests().at(0);
  EXPECT_EQ(seen.headers.at("x-adzerk-apikey"), "k");
  EXPECT_EQ(seen.headers.at("content-type"), "application/json");
  EXPECT_EQ(seen.headers.at("user-agent"), "adcp-sales-agent");
  EXPECT_EQ(seen.headers.at("host"), absl::StrCat("127.0.0.1:", server.port()));
  EXPECT_EQ(seen.headers.count("expect"), 0u);
  EXPECT_EQ(seen.headers.count("accept"), 0u);

  auto deleted =
      client.Send({.method = "DELETE", .url = server.url("/v1/flight/3")},
                  absl::Seconds(5));
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->body, "DELETE /v1/flight/3 HTTP/1.1|");
  // A POST without a body still says so.
  ASSERT_TRUE(client
                  .Send({.method = "POST", .url = server.url("/empty")},
                        absl::Seconds(5))
                  .ok());
  EXPECT_EQ(server.requests().at(2).headers.at("content-length"), "0");
  EXPECT_EQ(server.requests().at(2).headers.count("content-type"), 0u);
}

TEST(HttpClient, ReusesOneConnectionForSequentialCalls) {
  TestServer server(Echo);
  Client client;
  for (int i = 0; i < 20; ++i) {
    auto response = client.Send({.method = "GET", .url = server.url("/ping")},
                                absl::Seconds(5));
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
  }
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(server.requests().size(), 20u);
}

TEST(HttpClient, KeepsAConnectionPerConcurrentCaller) {
  TestServer server(Echo);
  Client client;
  constexpr int kThreads = 4;
  constexpr int kCalls = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        auto response = client.Send({.method = "GET", .url = server.url("/")},
                                    absl::Seconds(5));
        if (!response.ok() || response->status != 200) ++failures;
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(server.requests().size(), size_t{kThreads * kCalls});
  EXPECT_GE(server.accepted(), 1);
  EXPECT_LE(server.accepted(), kThreads);
}

TEST(HttpClient, OneDeadlineForTheWholeExchange) {
  TestServer server([](const SeenRequest&) { return Answer{.hang = true}; });
  Client client;
  const absl::Time start = absl::Now();
  auto response = client.Send({.method = "GET", .url = server.url("/slow")},
                              absl::Milliseconds(200));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded)
      << response.status();
  EXPECT_TRUE(absl::StrContains(response.status().message(), "in time"));
  EXPECT_GE(took, absl::Milliseconds(190));
  EXPECT_LT(took, absl::Seconds(3));
}

TEST(HttpClient, RefusesAnswersOverTheLimits) {
  TestServer server([](const SeenRequest& request) {
    if (absl::StrContains(request.line, "/sized"))
      return Answer{.body = std::string(5000, 'x')};
    if (absl::StrContains(request.line, "/unsized"))
      return Answer{.body = std::string(5000, 'x'), .close_delimited = true};
    if (absl::StrContains(request.line, "/header"))
      return Answer{.extra_headers = absl::StrCat(
                        "X-Big: ", std::string(4000, 'h'), "\r\n")};
    return Answer{.body = std::string(1000, 'x')};
  });
  Client client({.max_response_bytes = 1000, .max_header_bytes = 2048});
  auto fits = client.Send({.method = "GET", .url = server.url("/fits")},
                          absl::Seconds(5));
  ASSERT_TRUE(fits.ok()) << fits.status();
  EXPECT_EQ(fits->body.size(), 1000u);
  for (const char* path : {"/sized", "/unsized", "/header"}) {
    auto response = client.Send({.method = "GET", .url = server.url(path)},
                                absl::Seconds(5));
    EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable)
        << path << ": " << response.status();
    EXPECT_TRUE(absl::StrContains(response.status().message(), "longer than"))
        << response.status();
  }
  // The client is still usable afterwards.
  EXPECT_TRUE(
      client
          .Send({.method = "GET", .url = server.url("/fits")}, absl::Seconds(5))
          .ok());
}

TEST(HttpClient, RefusedConnectionIsUnavailable) {
  // A port that was free a moment ago and has no listener now.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  Client client;
  auto response = client.Send(
      {.method = "GET",
       .url = absl::StrCat("http://127.0.0.1:", ntohs(address.sin_port), "/")},
      absl::Seconds(5));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable)
      << response.status();
  EXPECT_TRUE(absl::StrContains(response.status().message(), "127.0.0.1:"))
      << response.status();
}

TEST(HttpClient, ReturnsRedirectsWithoutFollowingThem) {
  TestServer server([](const SeenRequest&) {
    return Answer{.status = 302, .extra_headers = "Location: /elsewhere\r\n"};
  });
  Client client;
  auto response = client.Send({.method = "GET", .url = server.url("/moved")},
                              absl::Seconds(5));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 302);
  EXPECT_EQ(response->headers["location"], "/elsewhere");
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(HttpClient, TlsToAPlainServerFails) {
  TestServer server(Echo);
  Client client;
  auto response = client.Send(
      {.method = "GET",
       .url = absl::StrCat("https://127.0.0.1:", server.port(), "/")},
      absl::Seconds(5));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable)
      << response.status();
}

TEST(HttpClient, RefusesWhatItCannotSend) {
  Client client;
  for (const char* url :
       {"ftp://example.com/", "file:///etc/passwd", "http://", "not a url"}) {
    EXPECT_EQ(client.Send({.method = "GET", .url = url}, absl::Seconds(1))
                  .status()
                  .code(),
              absl::StatusCode::kInvalidArgument)
        << url;
  }
  auto injected = client.Send({.method = "GET",
                               .url = "http://127.0.0.1:1/",
                               .headers = {{"X-A", "v\r\nX-Evil: 1"}}},
                              absl::Seconds(1));
  EXPECT_EQ(injected.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace adcp::http
