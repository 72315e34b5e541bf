// A blocking HTTP/1.1 client for tests (Boost.Beast), one connection per call.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace adcp::testing {

struct HttpReply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names; the last
  std::vector<std::string> set_cookies;        // every Set-Cookie, in order
  nlohmann::json Json() const {
    return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  }
};

// `method` is GET, POST, PUT, PATCH or DELETE. A status of 0 means the
// connection failed.
HttpReply HttpCall(int port, const std::string& method,
                   const std::string& target, const std::string& body = "",
                   const std::map<std::string, std::string>& headers = {},
                   const std::string& content_type = "application/json");

}  // namespace adcp::testing
