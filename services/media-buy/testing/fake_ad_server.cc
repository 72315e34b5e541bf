#include "services/media-buy/testing/fake_ad_server.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace adcp::media_buy::testing {

RecordedRequest RecordOf(const http::Request& in) {
  RecordedRequest request{.method = std::string(in.method_string()),
                          .target = std::string(in.target()),
                          .body = in.body()};
  for (const auto& field : in)
    request.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
        std::string(field.value());
  return request;
}

http::Response ResponseOf(const http::Request& in, const FakeAnswer& answer) {
  http::Response out{static_cast<boost::beast::http::status>(answer.status),
                     in.version()};
  out.set(boost::beast::http::field::content_type, answer.content_type);
  out.body() = answer.body;
  out.prepare_payload();
  return out;
}

FakeAdServer::FakeAdServer(Script script) : script_(std::move(script)) {
  http::ServerOptions options;
  options.bind_host = "127.0.0.1";
  options.threads = 2;
  options.max_body_bytes = 8 << 20;
  options.shutdown_grace = absl::Seconds(2);
  server_ = std::make_unique<http::Server>(
      options, [this](const http::Request& in, const std::string&) {
        RecordedRequest request = RecordOf(in);
        Script script;
        {
          std::lock_guard<std::mutex> lock(mu_);
          requests_.push_back(request);
          script = script_;
        }
        FakeAnswer answer = script(request);
        if (answer.hang) {
          std::unique_lock<std::mutex> lock(mu_);
          released_cv_.wait_for(lock, std::chrono::seconds(5),
                                [this] { return released_; });
        }
        return ResponseOf(in, answer);
      });
  if (!server_->Start().ok()) std::abort();
}

FakeAdServer::~FakeAdServer() {
  Release();
  server_->Stop();
}

std::string FakeAdServer::base_url() const {
  return absl::StrCat("http://127.0.0.1:", server_->port());
}

std::vector<RecordedRequest> FakeAdServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void FakeAdServer::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
}

void FakeAdServer::SetScript(Script script) {
  std::lock_guard<std::mutex> lock(mu_);
  script_ = std::move(script);
}

void FakeAdServer::Release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
  }
  released_cv_.notify_all();
}

}  // namespace adcp::media_buy::testing
