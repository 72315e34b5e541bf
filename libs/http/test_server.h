// Test-only: a keep-alive HTTP/1.1 server on 127.0.0.1 with a scripted
// answer per request, for the outbound client's tests.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace adcp::http::test_support {

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

}  // namespace adcp::http::test_support
