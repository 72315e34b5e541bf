#include "libs/http/request_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace adcp::http {
namespace {

TEST(RequestParserTest, ParsesAWholeRequest) {
  auto request = ParseRequest(
      "POST /mcp HTTP/1.1\r\nHost: a.localhost\r\nContent-Length: 2\r\n\r\n{}",
      ServerOptions());
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->target(), "/mcp");
  EXPECT_EQ(request->body(), "{}");
}

TEST(RequestParserTest, RefusesSmugglingAndOversizeHeaders) {
  ServerOptions options;
  EXPECT_FALSE(ParseRequest("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                            options)
                   .ok());
  for (const std::string coding : {"gzip, chunked", "identity"})
    EXPECT_FALSE(ParseRequest("POST / HTTP/1.1\r\nTransfer-Encoding: " +
                                  coding + "\r\n\r\n0\r\n\r\n",
                              options)
                     .ok())
        << coding;
  EXPECT_TRUE(ParseRequest("POST / HTTP/1.1\r\nTransfer-Encoding: chunked"
                           "\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
                           options)
                  .ok());
  std::string many = "GET / HTTP/1.1\r\n";
  for (size_t i = 0; i <= options.max_header_fields; ++i)
    many += "X-" + std::to_string(i) + ": 1\r\n";
  many += "\r\n";
  auto refused = ParseRequest(many, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("header fields"),
            std::string::npos);
  const std::string big =
      "GET / HTTP/1.1\r\nX-Big: " + std::string(options.max_header_bytes, 'a') +
      "\r\n\r\n";
  EXPECT_FALSE(ParseRequest(big, options).ok());
  options.max_body_bytes = 4;
  EXPECT_FALSE(
      ParseRequest("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", options)
          .ok());
  EXPECT_FALSE(ParseRequest("GET / HTTP/1.1\r\nX: a\x01"
                            "b\r\n\r\n",
                            options)
                   .ok());
  EXPECT_FALSE(ParseRequest("GET / HTTP/1.1\r\n", options).ok());
  EXPECT_FALSE(ParseRequest("", options).ok());
}

TEST(RequestParserTest, ClientAddressTrustsOnlyConfiguredProxies) {
  Request request;
  request.set("X-Forwarded-For", "203.0.113.7, 10.1.1.1");
  ServerOptions options;
  EXPECT_EQ(ClientAddress(request, "10.2.2.2", options), "10.2.2.2");
  options.trusted_proxies = {"10.0.0.0/8"};
  // The rightmost address that is not one of our proxies.
  EXPECT_EQ(ClientAddress(request, "10.2.2.2", options), "203.0.113.7");
  // A peer that is no proxy of ours is the client, whatever it claims.
  EXPECT_EQ(ClientAddress(request, "198.51.100.1", options), "198.51.100.1");
  request.set("X-Forwarded-For", "junk, 10.1.1.1");
  EXPECT_EQ(ClientAddress(request, "10.2.2.2", options), "10.1.1.1");
}

}  // namespace
}  // namespace adcp::http
