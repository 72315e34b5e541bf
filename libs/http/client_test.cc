#include "libs/http/client.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/http/test_server.h"

namespace adcp::http {
namespace {

using test_support::Answer;
using test_support::SeenRequest;
using test_support::TestServer;

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
