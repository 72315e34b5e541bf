// The fake Google Ad Manager and Kevel of ./dev chaos, on one real HTTP
// listener: both create what they are asked to (HappyGam, HappyKevel),
// remember the orders each account created, and answer as the fault an
// operator set for that account. Test-only (adcp-fake-ad-servers).
//
// An account is "gam:<networkCode of the SOAP header>" or
// "kevel:<X-Adzerk-ApiKey>": ./dev chaos gives each tenant its own.
//
// Control and query (not ad server API):
//   POST /control?account=A&fault=F  F: normal, hang, error500, slow,
//        drop_after_accept; account "*" sets every account (and the default)
//   GET  /orders[?account=A]  {"orders":[{account, id, name, lines,
//        created_ms}]}
//
// Faults: hang answers 503 after 5 s (the adapters' timeout is shorter);
// error500 answers 500 at once and creates nothing; slow answers after 2 s;
// drop_after_accept creates the order (or line) and then answers only after
// 5 s, so that the caller gives up on an order that exists: the half-placed
// order. Delays hold no thread (http::kDelayHeader).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/http/http_server.h"
#include "services/media-buy/testing/fake_ad_server.h"

namespace adcp::media_buy::testing {

enum class AdServerFault { kNormal, kHang, kError500, kSlow, kDropAfterAccept };

// "normal", "hang", ... ; false for an unknown name.
bool ParseAdServerFault(const std::string& name, AdServerFault* fault);

struct UpstreamOrder {
  std::string account;
  std::string id;
  std::string name;  // "AdCP <media_buy_id>"
  int lines = 0;
  std::string advertiser;  // Kevel's AdvertiserId, as JSON
  int64_t created_ms = 0;  // Unix time
};

class FaultyAdServers {
 public:
  explicit FaultyAdServers(http::ServerOptions options);
  ~FaultyAdServers();

  absl::Status Start();
  int port() const;
  void Stop();

  // What one request gets (the HTTP server's handler).
  http::Response Handle(const http::Request& in);

  void SetFault(const std::string& account, AdServerFault fault);
  std::vector<UpstreamOrder> Orders(const std::string& account) const;

 private:
  AdServerFault FaultOf(const std::string& account) const;
  // The ad server's answer, recording the orders and lines it creates.
  FakeAnswer Answer(const std::string& account, const RecordedRequest& request);
  FakeAnswer AnswerKevel(const std::string& account,
                         const RecordedRequest& request);
  FakeAnswer AnswerGam(const std::string& account,
                       const RecordedRequest& request);
  void AddLine(const std::string& account, const std::string& order_id);

  mutable std::mutex mu_;
  AdServerFault default_fault_ = AdServerFault::kNormal;
  std::map<std::string, AdServerFault> faults_;
  std::vector<UpstreamOrder> orders_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace adcp::media_buy::testing
