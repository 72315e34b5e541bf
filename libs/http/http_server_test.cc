// The HTTP server over real sockets: limits, errors, the connection cap, the
// delay header and a graceful stop, each seen from a client connection.
#include "libs/http/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/eventually.h"

namespace adcp::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using ::adcp::testing::Eventually;

// One client connection, read with a 10 s timeout.
class Connection {
 public:
  explicit Connection(int port) : stream_(io_) {
    beast::error_code error;
    stream_.socket().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                           static_cast<unsigned short>(port)),
                             error);
    connected_ = !error;
  }
  bool connected() const { return connected_; }

  void Send(const std::string& bytes) {
    beast::error_code ignored;
    asio::write(stream_.socket(), asio::buffer(bytes), ignored);
  }
  void Get(const std::string& target) {
    Send(absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: t\r\n\r\n"));
  }

  // The next response; nullopt once the server has closed the connection.
  std::optional<Response> Read() {
    Response response;
    beast::error_code error;
    stream_.expires_after(std::chrono::seconds(10));
    bhttp::async_read(stream_, buffer_, response,
                      [&](beast::error_code e, size_t) { error = e; });
    io_.restart();
    io_.run();
    if (error) return std::nullopt;
    return response;
  }

 private:
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

// {"error": ...} of a JSON error response.
std::string ErrorOf(const Response& response) {
  const auto body = nlohmann::json::parse(response.body(), nullptr, false);
  return body.is_object() && body.contains("error")
             ? body["error"].get<std::string>()
             : "<not a JSON error: " + response.body() + ">";
}

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options, Handler handler) {
    options.bind_host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<Server>(std::move(options), std::move(handler));
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }
  void Start(ServerOptions options = {}) {
    Start(std::move(options),
          [](const Request& request, const std::string& client) {
            return JsonResponse(
                request, bhttp::status::ok,
                nlohmann::json{{"target", std::string(request.target())},
                               {"body", request.body()},
                               {"client", client}}
                    .dump());
          });
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  int port() const { return server_->port(); }

  std::unique_ptr<Server> server_;
};

TEST_F(HttpServerTest, ServesSeveralRequestsOnOneConnection) {
  Start();
  Connection connection(port());
  ASSERT_TRUE(connection.connected());
  connection.Get("/first");
  connection.Send(
      "POST /second HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  for (const char* target : {"/first", "/second"}) {
    const std::optional<Response> response = connection.Read();
    ASSERT_TRUE(response.has_value()) << target;
    EXPECT_EQ(response->result(), bhttp::status::ok);
    EXPECT_EQ(response->at(bhttp::field::content_type), "application/json");
    EXPECT_EQ(response->at(bhttp::field::cache_control), "no-store");
    const auto body = nlohmann::json::parse(response->body());
    EXPECT_EQ(body["target"], target);
    EXPECT_EQ(body["client"], "127.0.0.1");
    if (std::string(target) == "/second") {
      EXPECT_EQ(body["body"], "hello");
    }
  }
}

TEST_F(HttpServerTest, XForwardedProtoReachesTheHandlerOnlyFromAProxy) {
  // The handler echoes the scheme header it was given.
  auto echo = [](const Request& request, const std::string&) {
    const auto proto = request.find("X-Forwarded-Proto");
    return JsonResponse(
        request, bhttp::status::ok,
        nlohmann::json{{"proto", proto == request.end()
                                     ? "none"
                                     : std::string(proto->value())}}
            .dump());
  };
  const std::string request =
      "GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-Proto: https\r\n\r\n";
  for (const auto& [proxies, expected] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{}, "none"},              // no proxy configured
           {{"10.0.0.0/8"}, "none"},  // the peer is not one
           {{"127.0.0.1"}, "https"},  // the peer is the proxy
           {{"10.0.0.0/8", "127.0.0.0/8"}, "https"}}) {
    Start({.trusted_proxies = proxies}, echo);
    {
      Connection connection(port());
      ASSERT_TRUE(connection.connected());
      connection.Send(request);
      const std::optional<Response> response = connection.Read();
      ASSERT_TRUE(response.has_value());
      EXPECT_EQ(nlohmann::json::parse(response->body())["proto"], expected)
          << (proxies.empty() ? "none" : proxies.back());
    }
    server_->Stop();
  }
}

TEST_F(HttpServerTest, HeadersOverTheByteLimitAre431AndClose) {
  Start({.max_header_bytes = 1024});
  Connection connection(port());
  connection.Send(absl::StrCat("GET / HTTP/1.1\r\nHost: t\r\nX-Big: ",
                               std::string(2000, 'a'), "\r\n\r\n"));
  const std::optional<Response> response = connection.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), bhttp::status::request_header_fields_too_large);
  EXPECT_EQ(ErrorOf(*response), "request line and headers over 1024 bytes");
  EXPECT_FALSE(response->keep_alive());
  EXPECT_FALSE(connection.Read().has_value());
}

TEST_F(HttpServerTest, TooManyHeaderFieldsAre431) {
  Start({.max_header_fields = 4});
  Connection connection(port());
  std::string request = "GET / HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 6; ++i) absl::StrAppend(&request, "X-", i, ": v\r\n");
  connection.Send(request + "\r\n");
  const std::optional<Response> response = connection.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), bhttp::status::request_header_fields_too_large);
  EXPECT_EQ(ErrorOf(*response), "headers: more than 4 header fields");
}

TEST_F(HttpServerTest, ABodyOverTheLimitIs413) {
  Start({.max_body_bytes = 100});
  Connection connection(port());
  connection.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" +
                  std::string(1000, 'x'));
  const std::optional<Response> response = connection.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), bhttp::status::payload_too_large);
  EXPECT_EQ(ErrorOf(*response), "request body over 100 bytes");
}

TEST_F(HttpServerTest, MalformedAndAmbiguouslyFramedRequestsAre400) {
  Start();
  Connection garbage(port());
  garbage.Send("NOT HTTP AT ALL\r\n\r\n");
  const std::optional<Response> malformed = garbage.Read();
  ASSERT_TRUE(malformed.has_value());
  EXPECT_EQ(malformed->result(), bhttp::status::bad_request);
  EXPECT_TRUE(ErrorOf(*malformed).starts_with("malformed HTTP request: "))
      << ErrorOf(*malformed);

  Connection smuggler(port());
  smuggler.Send(
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  const std::optional<Response> smuggled = smuggler.Read();
  ASSERT_TRUE(smuggled.has_value());
  EXPECT_EQ(smuggled->result(), bhttp::status::bad_request);
  EXPECT_EQ(ErrorOf(*smuggled),
            "malformed HTTP request: bad Transfer-Encoding");
  EXPECT_FALSE(smuggler.Read().has_value());  // and the connection closed

  // A coding Beast reads but we do not serve.
  Connection gzip(port());
  gzip.Send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n");
  const std::optional<Response> coded = gzip.Read();
  ASSERT_TRUE(coded.has_value());
  EXPECT_EQ(coded->result(), bhttp::status::bad_request);
  EXPECT_EQ(ErrorOf(*coded),
            "Transfer-Encoding: only a single \"chunked\" is served");
  EXPECT_FALSE(gzip.Read().has_value());
}

TEST_F(HttpServerTest, AHandlerThatThrowsIsA500AndTheConnectionGoesOn) {
  Start({}, [](const Request& request, const std::string&) -> Response {
    if (request.target() == "/throw") throw std::runtime_error("secret detail");
    return JsonResponse(request, bhttp::status::ok, "{}");
  });
  Connection connection(port());
  connection.Get("/throw");
  const std::optional<Response> failed = connection.Read();
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->result(), bhttp::status::internal_server_error);
  EXPECT_EQ(ErrorOf(*failed), "internal error");
  connection.Get("/fine");
  const std::optional<Response> fine = connection.Read();
  ASSERT_TRUE(fine.has_value());
  EXPECT_EQ(fine->result(), bhttp::status::ok);
}

TEST_F(HttpServerTest, ConnectionsBeyondTheCapAre503) {
  Start({.max_connections = 2});
  auto first = std::make_unique<Connection>(port());
  Connection second(port());
  for (Connection* connection : {first.get(), &second}) {
    connection->Get("/");
    const std::optional<Response> served = connection->Read();
    ASSERT_TRUE(served.has_value());
    EXPECT_EQ(served->result(), bhttp::status::ok);
  }
  {
    Connection third(port());
    const std::optional<Response> refused = third.Read();
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->result(), bhttp::status::service_unavailable);
    EXPECT_EQ(ErrorOf(*refused), "too many connections; retry later");
    EXPECT_FALSE(third.Read().has_value());  // and closed
  }
  // Once one of the two goes, a new connection is served again.
  first.reset();
  EXPECT_TRUE(Eventually([&] {
    Connection next(port());
    next.Get("/");
    const std::optional<Response> response = next.Read();
    return response && response->result() == bhttp::status::ok;
  }));
}

TEST_F(HttpServerTest, TheDelayHeaderDelaysTheAnswerWithoutHoldingAThread) {
  // One I/O thread: if the delayed answer held it, the other connection
  // would wait as long.
  Start({.threads = 1}, [](const Request& request, const std::string&) {
    Response response = JsonResponse(request, bhttp::status::ok, "{}");
    if (request.target() == "/slow") response.set(kDelayHeader, "1000");
    if (request.target() == "/junk") response.set(kDelayHeader, "soon");
    return response;
  });
  Connection slow(port());
  Connection fast(port());
  const absl::Time start = absl::Now();
  slow.Get("/slow");
  fast.Get("/fast");
  ASSERT_TRUE(fast.Read().has_value());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(800));
  const std::optional<Response> delayed = slow.Read();
  ASSERT_TRUE(delayed.has_value());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(1000));
  EXPECT_EQ(delayed->result(), bhttp::status::ok);
  EXPECT_EQ(delayed->count(kDelayHeader), 0u);  // never sent to the client
  // A value that is not a number is dropped, and the answer not delayed.
  const absl::Time junk_start = absl::Now();
  fast.Get("/junk");
  const std::optional<Response> junk = fast.Read();
  ASSERT_TRUE(junk.has_value());
  EXPECT_EQ(junk->count(kDelayHeader), 0u);
  EXPECT_LT(absl::Now() - junk_start, absl::Milliseconds(800));
}

TEST_F(HttpServerTest, AnIdleConnectionIsClosed) {
  Start({.idle_timeout = absl::Milliseconds(200)});
  Connection idle(port());
  const absl::Time start = absl::Now();
  EXPECT_FALSE(idle.Read().has_value());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));
  EXPECT_LT(absl::Now() - start, absl::Seconds(8));
}

TEST_F(HttpServerTest, StopFinishesRequestsInFlightAndRefusesNewOnes) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> entered{false};
  Start({}, [&](const Request& request, const std::string&) {
    if (request.target() == "/block") {
      entered = true;
      released.wait();
    }
    return JsonResponse(request, bhttp::status::ok, "{}");
  });
  Connection blocked(port());
  Connection idle(port());
  idle.Get("/");
  ASSERT_TRUE(idle.Read().has_value());  // a kept-alive connection
  blocked.Get("/block");
  ASSERT_TRUE(Eventually([&] { return entered.load(); }));

  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server_->Stop();
    stopped = true;
  });
  // The listening socket closes first.
  EXPECT_TRUE(Eventually([&] { return !Connection(port()).connected(); }));
  // A request on a kept-alive connection meanwhile is refused, and closes it.
  idle.Get("/");
  const std::optional<Response> refused = idle.Read();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->result(), bhttp::status::service_unavailable);
  EXPECT_EQ(ErrorOf(*refused), "server shutting down");
  EXPECT_FALSE(refused->keep_alive());
  EXPECT_FALSE(stopped.load());  // still waiting for the request in flight
  release.set_value();
  const std::optional<Response> finished = blocked.Read();
  ASSERT_TRUE(finished.has_value());
  EXPECT_EQ(finished->result(), bhttp::status::ok);
  stopper.join();
  EXPECT_TRUE(stopped.load());
}

TEST(HttpServerJsonTest, ReplacesInvalidUtf8RatherThanThrowing) {
  Request request{bhttp::verb::get, "/", 11};
  const Response response = JsonError(request, bhttp::status::bad_request,
                                      std::string("bad \xff byte"));
  EXPECT_EQ(response.result(), bhttp::status::bad_request);
  EXPECT_EQ(nlohmann::json::parse(response.body())["error"],
            "bad \xEF\xBF\xBD byte");
}

}  // namespace
}  // namespace adcp::http
