#include "services/media-buy/testing/faulty_ad_servers.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/adapters/gam/xml_node.h"
#include "services/media-buy/testing/ad_server_scripts.h"

namespace adcp::media_buy::testing {
namespace {

using json = nlohmann::json;

constexpr char kHangMs[] = "5000";
constexpr char kSlowMs[] = "2000";

// The query parameters of a target ("/orders?account=a" -> {account: a}).
std::map<std::string, std::string> QueryOf(const std::string& target) {
  std::map<std::string, std::string> out;
  const size_t mark = target.find('?');
  if (mark == std::string::npos) return out;
  for (absl::string_view pair : absl::StrSplit(target.substr(mark + 1), '&')) {
    std::vector<std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    out[kv[0]] = kv.size() > 1 ? kv[1] : "";
  }
  return out;
}

std::string PathOf(const std::string& target) {
  return target.substr(0, target.find('?'));
}

// The account a request acts for: the SOAP header's networkCode (Ad
// Manager) or the API key (Kevel); "gam" for the token endpoint.
std::string AccountOf(const RecordedRequest& request) {
  auto key = request.headers.find("x-adzerk-apikey");
  if (key != request.headers.end()) return "kevel:" + key->second;
  if (request.target.starts_with("/apis/")) {
    auto root = ParseXml(request.body);
    const XmlNode* code = root.ok() ? root->Find("networkCode") : nullptr;
    return absl::StrCat("gam:", code ? code->text : "");
  }
  return "";
}

// The quoted value after `field = ` in a PQL query ("WHERE name = 'x'").
std::string PqlValue(const std::string& query, const std::string& field) {
  const std::string mark = field + " = ";
  const size_t at = query.find(mark);
  if (at == std::string::npos) return "";
  std::string value = query.substr(at + mark.size());
  if (value.starts_with('\'')) {
    value = value.substr(1);
    return value.substr(0, value.find('\''));
  }
  return value.substr(0, value.find(' '));
}

bool IsCreate(const RecordedRequest& request) {
  return request.method == "POST"
             ? !request.target.starts_with("/apis/") ||
                   absl::StartsWith(SoapMethod(request.body), "create")
             : false;
}

http::Response Reply(const http::Request& in, const FakeAnswer& answer,
                     const char* delay_ms = nullptr) {
  http::Response out = ResponseOf(in, answer);
  if (delay_ms) out.set(http::kDelayHeader, delay_ms);
  return out;
}

}  // namespace

bool ParseAdServerFault(const std::string& name, AdServerFault* fault) {
  static const std::map<std::string, AdServerFault> names = {
      {"normal", AdServerFault::kNormal},
      {"hang", AdServerFault::kHang},
      {"error500", AdServerFault::kError500},
      {"slow", AdServerFault::kSlow},
      {"drop_after_accept", AdServerFault::kDropAfterAccept}};
  auto it = names.find(name);
  if (it == names.end()) return false;
  *fault = it->second;
  return true;
}

FaultyAdServers::FaultyAdServers(http::ServerOptions options) {
  server_ = std::make_unique<http::Server>(
      std::move(options), [this](const http::Request& in, const std::string&) {
        return Handle(in);
      });
}

FaultyAdServers::~FaultyAdServers() { Stop(); }

absl::Status FaultyAdServers::Start() { return server_->Start(); }
int FaultyAdServers::port() const { return server_->port(); }
void FaultyAdServers::Stop() { server_->Stop(); }

http::Response FaultyAdServers::Handle(const http::Request& in) {
  const RecordedRequest request = RecordOf(in);
  const std::string path = PathOf(request.target);
  auto query = QueryOf(request.target);
  if (path == "/control" && request.method == "POST") {
    AdServerFault fault;
    if (query["account"].empty() || !ParseAdServerFault(query["fault"], &fault))
      return Reply(
          in, JsonAnswer(R"({"error":"account and fault required"})", 400));
    SetFault(query["account"], fault);
    return Reply(in, JsonAnswer(R"({"status":"ok"})"));
  }
  if (path == "/orders" && request.method == "GET") {
    json orders = json::array();
    for (const UpstreamOrder& order : Orders(query["account"]))
      orders.push_back({{"account", order.account},
                        {"id", order.id},
                        {"name", order.name},
                        {"lines", order.lines},
                        {"created_ms", order.created_ms}});
    return Reply(in, JsonAnswer(json{{"orders", orders}}.dump()));
  }
  if (path == "/token" || path == "/report.csv")
    return Reply(in, HappyGam(request));
  const std::string account = AccountOf(request);
  switch (FaultOf(account)) {
    case AdServerFault::kHang:
      return Reply(in, JsonAnswer(R"({"message":"hung"})", 503), kHangMs);
    case AdServerFault::kError500:
      return Reply(in, JsonAnswer(R"({"message":"internal error"})", 500));
    case AdServerFault::kSlow:
      return Reply(in, Answer(account, request), kSlowMs);
    case AdServerFault::kDropAfterAccept:
      if (IsCreate(request))
        return Reply(in, Answer(account, request), kHangMs);
      break;
    case AdServerFault::kNormal:
      break;
  }
  return Reply(in, Answer(account, request));
}

void FaultyAdServers::SetFault(const std::string& account,
                               AdServerFault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  if (account == "*") {
    default_fault_ = fault;
    faults_.clear();
  } else {
    faults_[account] = fault;
  }
}

AdServerFault FaultyAdServers::FaultOf(const std::string& account) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = faults_.find(account);
  return it == faults_.end() ? default_fault_ : it->second;
}

std::vector<UpstreamOrder> FaultyAdServers::Orders(
    const std::string& account) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<UpstreamOrder> out;
  for (const UpstreamOrder& order : orders_)
    if (account.empty() || order.account == account) out.push_back(order);
  return out;
}

void FaultyAdServers::AddLine(const std::string& account,
                              const std::string& order_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (UpstreamOrder& order : orders_)
    if (order.account == account && order.id == order_id) ++order.lines;
}

FakeAnswer FaultyAdServers::Answer(const std::string& account,
                                   const RecordedRequest& request) {
  return absl::StartsWith(account, "kevel:") ? AnswerKevel(account, request)
                                             : AnswerGam(account, request);
}

FakeAnswer FaultyAdServers::AnswerKevel(const std::string& account,
                                        const RecordedRequest& request) {
  const std::string path = PathOf(request.target);
  if (request.method == "GET" && path == "/v1/campaign") {
    json items = json::array();
    for (const UpstreamOrder& order : Orders(account))
      items.push_back(
          {{"Id", std::stoll(order.id)},
           {"Name", order.name},
           {"AdvertiserId", json::parse(order.advertiser, nullptr, false)},
           {"IsDeleted", false}});
    return JsonAnswer(json{{"items", items}}.dump());
  }
  FakeAnswer answer = HappyKevel(request);
  if (request.method != "POST" || answer.status != 200) return answer;
  const json sent = json::parse(request.body, nullptr, false);
  const json got = json::parse(answer.body, nullptr, false);
  if (!sent.is_object() || !got.is_object()) return answer;
  if (path == "/v1/campaign") {
    std::lock_guard<std::mutex> lock(mu_);
    orders_.push_back({.account = account,
                       .id = got["Id"].dump(),
                       .name = sent.value("Name", ""),
                       .advertiser = sent.value("AdvertiserId", json()).dump(),
                       .created_ms = absl::ToUnixMillis(absl::Now())});
  } else if (path == "/v1/flight" && sent.contains("CampaignId")) {
    const json& campaign = sent["CampaignId"];
    AddLine(account, campaign.is_string() ? campaign.get<std::string>()
                                          : campaign.dump());
  }
  return answer;
}

FakeAnswer FaultyAdServers::AnswerGam(const std::string& account,
                                      const RecordedRequest& request) {
  const std::string method = SoapMethod(request.body);
  auto root = ParseXml(request.body);
  const XmlNode* query = root.ok() ? root->Find("query") : nullptr;
  if (method == "getOrdersByStatement" && query) {
    const std::string name = PqlValue(query->text, "name");
    std::string results;
    int count = 0;
    for (const UpstreamOrder& order : Orders(account)) {
      if (order.name != name) continue;
      ++count;
      absl::StrAppend(&results, "<results><id>", order.id, "</id><name>",
                      XmlEscape(order.name), "</name></results>");
    }
    return SoapAnswer(
        absl::StrCat("<getOrdersByStatementResponse><rval><totalResultSetSize>",
                     count, "</totalResultSetSize>", results,
                     "</rval></getOrdersByStatementResponse>"));
  }
  FakeAnswer answer = HappyGam(request);
  if (!method.starts_with("create") || !root.ok()) return answer;
  auto created = ParseXml(answer.body);
  const XmlNode* id = created.ok() ? created->Find("id") : nullptr;
  if (!id) return answer;
  if (method == "createOrders") {
    const XmlNode* name = root->Find("name");
    std::lock_guard<std::mutex> lock(mu_);
    orders_.push_back({.account = account,
                       .id = id->text,
                       .name = name ? name->text : "",
                       .created_ms = absl::ToUnixMillis(absl::Now())});
  } else if (method == "createLineItems") {
    const XmlNode* order = root->Find("orderId");
    if (order) AddLine(account, order->text);
  }
  return answer;
}

}  // namespace adcp::media_buy::testing
