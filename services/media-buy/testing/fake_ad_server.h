// A fake ad server for adapter tests: a real HTTP listener on 127.0.0.1
// (port 0) that records every request and answers from a script.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "libs/http/http_server.h"

namespace adcp::media_buy::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct FakeAnswer {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  // Holds the answer until Release() (or the server stops): a timeout.
  bool hang = false;
};

// The request as a fake ad server records it.
RecordedRequest RecordOf(const http::Request& in);
// The HTTP answer to `in` that `answer` describes (hang aside).
http::Response ResponseOf(const http::Request& in, const FakeAnswer& answer);

class FakeAdServer {
 public:
  using Script = std::function<FakeAnswer(const RecordedRequest&)>;

  explicit FakeAdServer(Script script);
  ~FakeAdServer();

  std::string base_url() const;
  std::vector<RecordedRequest> requests() const;
  void Clear();
  void SetScript(Script script);
  // Lets hanging answers go.
  void Release();

 private:
  mutable std::mutex mu_;
  std::condition_variable released_cv_;
  bool released_ = false;
  Script script_;
  std::vector<RecordedRequest> requests_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace adcp::media_buy::testing
