#include "services/media-buy/adapters/gam/gam_adapter.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <atomic>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/media-buy/adapters/gam/service_account.h"
#include "services/media-buy/adapters/gam/xml_node.h"
#include "services/media-buy/testing/fake_ad_server.h"

namespace adcp::media_buy {
namespace {

using json = nlohmann::json;
using testing::FakeAdServer;
using testing::FakeAnswer;
using testing::RecordedRequest;

constexpr char kAccessToken[] = "ya29.test-access-token-never-logged";

// A fresh RSA key: {private PEM, public PEM}.
std::pair<std::string, std::string> RsaKeyPair() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  auto pem = [&](bool is_private) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (is_private) {
      PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    } else {
      PEM_write_bio_PUBKEY(bio, key);
    }
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(length));
    BIO_free(bio);
    return out;
  };
  std::pair<std::string, std::string> pair{pem(true), pem(false)};
  EVP_PKEY_free(key);
  return pair;
}

bool VerifyRs256(const std::string& jwt, const std::string& public_pem) {
  const size_t dot = jwt.rfind('.');
  std::string signature;
  if (!absl::WebSafeBase64Unescape(jwt.substr(dot + 1), &signature))
    return false;
  const std::string input = jwt.substr(0, dot);
  BIO* bio =
      BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx,
                       reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(),
                       reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

json JwtPart(const std::string& jwt, int index) {
  std::vector<std::string> parts = absl::StrSplit(jwt, '.');
  std::string decoded;
  absl::WebSafeBase64Unescape(parts[static_cast<size_t>(index)], &decoded);
  return json::parse(decoded);
}

std::string UrlDecode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> Form(const std::string& body) {
  std::map<std::string, std::string> out;
  for (const std::string& pair :
       std::vector<std::string>(absl::StrSplit(body, '&'))) {
    std::vector<std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    out[kv[0]] = kv.size() > 1 ? UrlDecode(kv[1]) : "";
  }
  return out;
}

// The SOAP call a request carries: its method element.
XmlNode Call(const RecordedRequest& request) {
  auto root = ParseXml(request.body);
  EXPECT_TRUE(root.ok()) << request.body;
  const XmlNode* body = root->Find("Body");
  return body && !body->children.empty() ? body->children[0] : XmlNode();
}

std::string Method(const RecordedRequest& request) {
  return std::string(LocalName(Call(request).name));
}

FakeAnswer Soap(const std::string& inner) {
  return {
      .status = 200,
      .body = absl::StrCat(
          "<?xml version=\"1.0\"?><soap:Envelope "
          "xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">"
          "<soap:Header><ResponseHeader xmlns=\"https://www.google.com/apis/"
          "ads/publisher/v202511\"><requestId>r</requestId></ResponseHeader>"
          "</soap:Header><soap:Body>",
          inner, "</soap:Body></soap:Envelope>"),
      .content_type = "text/xml"};
}

FakeAnswer Fault(const std::string& error, const std::string& field = "") {
  FakeAnswer answer = Soap(absl::StrCat(
      "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>[", error,
      " @ ", field,
      "]</faultstring><detail><ApiExceptionFault "
      "xmlns=\"https://www.google.com/apis/ads/publisher/v202511\"><message>[",
      error, "]</message><errors><fieldPath>", field,
      "</fieldPath><trigger></trigger><errorString>", error,
      "</errorString></errors></ApiExceptionFault></detail></soap:Fault>"));
  answer.status = 500;
  return answer;
}

// An Ad Manager that creates what it is asked to, numbering from 900.
FakeAnswer HappyGam(const RecordedRequest& request) {
  static std::atomic<int> next{900};
  if (request.target == "/token")
    return {.body = json({{"access_token", kAccessToken},
                          {"expires_in", 3600},
                          {"token_type", "Bearer"}})
                        .dump()};
  if (request.target == "/report.csv")
    return {.body =
                "Dimension.LINE_ITEM_ID,Column.AD_SERVER_IMPRESSIONS,"
                "Column.AD_SERVER_CLICKS,Column.AD_SERVER_CPM_AND_CPC_REVENUE\n"
                "901,1000,4,12500000\n902,50,0,600000\n901,10,1,125000\n",
            .content_type = "text/csv"};
  const std::string method = Method(request);
  if (method.starts_with("create"))
    return Soap(absl::StrCat("<", method, "Response><rval><id>", next++,
                             "</id></rval></", method, "Response>"));
  return Soap(absl::StrCat("<", method,
                           "Response><rval><totalResultSetSize>0"
                           "</totalResultSetSize></rval></",
                           method, "Response>"));
}

class GamAdapterTest : public ::testing::Test {
 protected:
  GamAdapterTest() : server_(HappyGam) {
    static const std::pair<std::string, std::string> keys = RsaKeyPair();
    keys_ = keys;
    service_account_ =
        json({{"type", "service_account"},
              {"client_email", "adcp@proj.iam.gserviceaccount.com"},
              {"private_key_id", "kid-1"},
              {"private_key", keys_.first},
              {"token_uri", "https://oauth2.googleapis.com/token"}})
            .dump();
    deps_.transport = CurlHttpTransport();
    deps_.breakers = std::make_shared<CircuitBreakers>([this] { return now_; });
    deps_.secrets = FixedSecretStore({{"gam-nytimes", service_account_}});
    deps_.policy.timeout = absl::Milliseconds(500);
    deps_.policy.initial_backoff = absl::Milliseconds(1);
    deps_.sleep = [](absl::Duration) {};
    factory_ = GamAdapterFactory(deps_);
  }

  AdapterContext Context(bool dry_run = false) {
    return AdapterContext{
        .tenant_id = "nytimes",
        .tenant_name = "The New York Times",
        .principal_id = "buyer_a",
        .principal_mappings = {{"google_ad_manager", {{"company_id", "555"}}}},
        .config = {{"enabled", true},
                   {"network_code", "123456"},
                   {"trafficker_id", "777"},
                   {"service_account_key_secret", "gam-nytimes"},
                   {"ad_unit_ids", {"2001"}},
                   {"creative_sizes", {"300x250", "728x90"}},
                   {"endpoint", server_.base_url()},
                   {"token_url", server_.base_url() + "/token"},
                   {"report_poll_interval_ms", 1}},
        .dry_run = dry_run,
        .clock = [this] { return now_; }};
  }

  std::unique_ptr<AdServerAdapter> Adapter(const AdapterContext& context) {
    auto adapter = factory_(context);
    EXPECT_TRUE(adapter.ok()) << adapter.status();
    return adapter.ok() ? *std::move(adapter) : nullptr;
  }

  static AdapterBuy Buy() {
    AdapterBuy buy{
        .tenant_id = "nytimes",
        .media_buy_id = "mb_1",
        .principal_id = "buyer_a",
        .currency = "USD",
        .start_time = absl::FromUnixSeconds(1767225600),  // 2026-01-01
        .end_time = absl::FromUnixSeconds(1769904000)};   // 2026-02-01
    buy.packages.push_back({.package_id = "pkg_1",
                            .pricing_model = "cpm",
                            .delivery_type = "guaranteed",
                            .budget = 5000 * kMicrosPerUnit,
                            .rate = 12500000});
    buy.packages.push_back({.package_id = "pkg_2",
                            .pricing_model = "cpm",
                            .delivery_type = "non_guaranteed",
                            .budget = 600 * kMicrosPerUnit,
                            .rate = 3 * kMicrosPerUnit,
                            .pacing = "asap"});
    return buy;
  }

  std::vector<RecordedRequest> Soaps(const std::string& method) {
    std::vector<RecordedRequest> out;
    for (const auto& r : server_.requests())
      if (r.target.starts_with("/apis/") && Method(r) == method)
        out.push_back(r);
    return out;
  }

  std::vector<RecordedRequest> TokenRequests() {
    std::vector<RecordedRequest> out;
    for (const auto& r : server_.requests())
      if (r.target == "/token") out.push_back(r);
    return out;
  }

  absl::Time now_ = absl::FromUnixSeconds(1768435200);  // 2026-01-15
  FakeAdServer server_;
  std::pair<std::string, std::string> keys_;
  std::string service_account_;
  AdapterDeps deps_;
  AdapterFactory factory_;
};

TEST_F(GamAdapterTest, CreateSignsAJwtAndSendsOrderLineItemsAndApproval) {
  CreatedOrder order;
  ASSERT_TRUE(Adapter(Context())->CreateMediaBuy(Buy(), order).ok());

  // The JWT bearer flow, once.
  auto tokens = TokenRequests();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].method, "POST");
  EXPECT_EQ(tokens[0].headers["content-type"],
            "application/x-www-form-urlencoded");
  auto form = Form(tokens[0].body);
  EXPECT_EQ(form["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");
  const std::string jwt = form["assertion"];
  EXPECT_TRUE(VerifyRs256(jwt, keys_.second));
  EXPECT_EQ(JwtPart(jwt, 0),
            json({{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "kid-1"}}));
  const json claims = JwtPart(jwt, 1);
  EXPECT_EQ(claims["iss"], "adcp@proj.iam.gserviceaccount.com");
  EXPECT_EQ(claims["scope"], "https://www.googleapis.com/auth/dfp");
  EXPECT_EQ(claims["aud"], server_.base_url() + "/token");
  EXPECT_EQ(claims["iat"], absl::ToUnixSeconds(now_));
  EXPECT_EQ(claims["exp"], absl::ToUnixSeconds(now_) + 3600);

  // The order: looked up by name first (a lost answer is not a duplicate).
  auto lookups = Soaps("getOrdersByStatement");
  ASSERT_EQ(lookups.size(), 1u);
  EXPECT_EQ(Call(lookups[0]).Find("query")->text, "WHERE name = 'AdCP mb_1'");
  auto orders = Soaps("createOrders");
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].target, "/apis/ads/publisher/v202511/OrderService");
  EXPECT_EQ(orders[0].headers["authorization"],
            std::string("Bearer ") + kAccessToken);
  EXPECT_EQ(orders[0].headers["content-type"], "text/xml; charset=utf-8");
  auto envelope = ParseXml(orders[0].body);
  ASSERT_TRUE(envelope.ok());
  EXPECT_EQ(envelope->name, "soapenv:Envelope");
  const XmlNode* header = envelope->Find("RequestHeader");
  ASSERT_NE(header, nullptr);
  EXPECT_EQ(header->ChildText("networkCode"), "123456");
  const XmlNode create_orders = Call(orders[0]);
  const XmlNode* created = create_orders.Child("orders");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->ChildText("name"), "AdCP mb_1");
  EXPECT_EQ(created->ChildText("advertiserId"),
            "555");  // the principal's company
  EXPECT_EQ(created->ChildText("traffickerId"), "777");

  // One line item per package, typed from delivery type and pricing.
  auto items = Soaps("createLineItems");
  ASSERT_EQ(items.size(), 2u);
  const XmlNode standard = *Call(items[0]).Child("lineItems");
  EXPECT_EQ(standard.ChildText("orderId"), order.order_id);
  EXPECT_EQ(standard.ChildText("name"), "AdCP mb_1 pkg_1");
  EXPECT_EQ(standard.ChildText("lineItemType"), "STANDARD");
  EXPECT_EQ(standard.ChildText("costType"), "CPM");
  EXPECT_EQ(standard.Child("costPerUnit")->ChildText("microAmount"),
            "12500000");
  EXPECT_EQ(standard.Child("costPerUnit")->ChildText("currencyCode"), "USD");
  EXPECT_EQ(standard.Child("primaryGoal")->ChildText("goalType"), "LIFETIME");
  EXPECT_EQ(standard.Child("primaryGoal")->ChildText("unitType"),
            "IMPRESSIONS");
  EXPECT_EQ(standard.Child("primaryGoal")->ChildText("units"), "400000");
  EXPECT_EQ(standard.ChildText("deliveryRateType"), "EVENLY");
  // 2026-01-01T00:00Z in the network's zone.
  const XmlNode* start = standard.Child("startDateTime");
  EXPECT_EQ(start->Child("date")->ChildText("year"), "2025");
  EXPECT_EQ(start->Child("date")->ChildText("day"), "31");
  EXPECT_EQ(start->ChildText("hour"), "19");
  EXPECT_EQ(start->ChildText("timeZoneId"), "America/New_York");
  EXPECT_EQ(standard.FindAll("creativePlaceholders").size(), 2u);
  EXPECT_EQ(standard.Find("targetedAdUnits")->ChildText("adUnitId"), "2001");
  const XmlNode priced = *Call(items[1]).Child("lineItems");
  EXPECT_EQ(priced.ChildText("lineItemType"), "PRICE_PRIORITY");
  EXPECT_EQ(priced.ChildText("deliveryRateType"), "AS_FAST_AS_POSSIBLE");
  EXPECT_EQ(priced.Child("primaryGoal")->ChildText("units"), "200000");

  auto approvals = Soaps("performOrderAction");
  ASSERT_EQ(approvals.size(), 1u);
  const XmlNode approve = Call(approvals[0]);
  EXPECT_EQ(approve.Child("orderAction")->attributes,
            (std::vector<std::pair<std::string, std::string>>{
                {"xsi:type", "ApproveOrders"}}));
  EXPECT_EQ(approve.Find("query")->text, "WHERE id = " + order.order_id);
  EXPECT_EQ(order.line_ids.size(), 2u);
  EXPECT_EQ(order.upstream["approved"], true);

  // The token is reused by later adapters of the process.
  AdapterBuy placed = Buy();
  placed.order_id = order.order_id;
  ASSERT_TRUE(
      Adapter(Context())->UpdateMediaBuy(placed, {.paused = true}).ok());
  EXPECT_EQ(TokenRequests().size(), 1u);
}

TEST_F(GamAdapterTest, AnOrderThatExistsIsNotCreatedAgain) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") && Method(r) == "getOrdersByStatement")
      return Soap(
          "<getOrdersByStatementResponse><rval><totalResultSetSize>1"
          "</totalResultSetSize><results><id>4242</id><name>AdCP mb_1"
          "</name></results></rval></getOrdersByStatementResponse>");
    return HappyGam(r);
  });
  CreatedOrder order;
  ASSERT_TRUE(Adapter(Context())->CreateMediaBuy(Buy(), order).ok());
  EXPECT_EQ(order.order_id, "4242");
  EXPECT_TRUE(Soaps("createOrders").empty());
}

TEST_F(GamAdapterTest, AFaultIsARefusalThatSaysWhatWasRefused) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") && Method(r) == "createOrders")
      return Fault("RequiredError.REQUIRED", "orders[0].traffickerId");
    return HappyGam(r);
  });
  CreatedOrder order;
  absl::Status refused = Adapter(Context())->CreateMediaBuy(Buy(), order);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(
      refused.message(),
      "Google Ad Manager refused createOrders for mb_1: HTTP 500: "))
      << refused.message();
  EXPECT_TRUE(absl::StrContains(
      refused.message(), "RequiredError.REQUIRED @ orders[0].traffickerId"));
  EXPECT_EQ(order.failed_step, "create_order");
  EXPECT_EQ(Soaps("createOrders").size(), 1u);
  EXPECT_EQ(deps_.breakers->State("nytimes/google_ad_manager"), "closed");
}

TEST_F(GamAdapterTest, ServerErrorsOfReadsAreRetried) {
  std::atomic<int> reads{0};
  server_.SetScript([&reads](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") && Method(r) == "getOrdersByStatement" &&
        reads++ == 0)
      return Fault("ServerError.SERVER_ERROR");
    return HappyGam(r);
  });
  CreatedOrder order;
  ASSERT_TRUE(Adapter(Context())->CreateMediaBuy(Buy(), order).ok());
  EXPECT_EQ(Soaps("getOrdersByStatement").size(), 2u);
}

TEST_F(GamAdapterTest, HalfwayFailureResumesWithoutDuplicates) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") && Method(r) == "createLineItems" &&
        absl::StrContains(r.body, "pkg_2"))
      return Fault("ServerError.SERVER_ERROR");
    return HappyGam(r);
  });
  CreatedOrder order;
  absl::Status failed = Adapter(Context())->CreateMediaBuy(Buy(), order);
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(order.failed_step, "create_line_item:pkg_2");
  EXPECT_EQ(order.upstream["uncertain"], "create_line_item:pkg_2");
  EXPECT_EQ(order.line_ids.count("pkg_1"), 1u);
  EXPECT_TRUE(Soaps("performOrderAction").empty());  // not approved
  EXPECT_EQ(Soaps("createLineItems").size(), 2u);    // a create is sent once

  // Ad Manager did create it after all: the retry finds it by name.
  const std::string order_id = order.order_id;
  server_.SetScript([order_id](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") &&
        Method(r) == "getLineItemsByStatement")
      return Soap("<getLineItemsByStatementResponse><rval><results><orderId>" +
                  order_id +
                  "</orderId><id>990</id><name>AdCP mb_1 pkg_2</name></results>"
                  "</rval></getLineItemsByStatementResponse>");
    return HappyGam(r);
  });
  server_.Clear();
  AdapterBuy retry = Buy();
  retry.order_id = order.order_id;
  retry.packages[0].line_id = order.line_ids["pkg_1"];
  retry.upstream = order.upstream;
  CreatedOrder resumed{.order_id = order.order_id,
                       .line_ids = order.line_ids,
                       .upstream = order.upstream};
  ASSERT_TRUE(Adapter(Context())->CreateMediaBuy(retry, resumed).ok());
  EXPECT_TRUE(Soaps("createOrders").empty());
  EXPECT_TRUE(Soaps("getOrdersByStatement").empty());
  EXPECT_TRUE(Soaps("createLineItems").empty());
  EXPECT_EQ(Call(Soaps("getLineItemsByStatement")[0]).Find("query")->text,
            "WHERE orderId = " + order.order_id);
  EXPECT_EQ(resumed.line_ids["pkg_2"], "990");
  EXPECT_EQ(Soaps("performOrderAction").size(), 1u);
  EXPECT_TRUE(resumed.failed_step.empty());
}

TEST_F(GamAdapterTest, PauseResumeAndChangesUseLineItemActionsAndUpdates) {
  AdapterBuy buy = Buy();
  buy.order_id = "9001";
  buy.packages[0].line_id = "901";
  buy.packages[1].line_id = "902";
  ASSERT_TRUE(Adapter(Context())->UpdateMediaBuy(buy, {.paused = true}).ok());
  auto actions = Soaps("performLineItemAction");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].target, "/apis/ads/publisher/v202511/LineItemService");
  EXPECT_EQ(Call(actions[0]).Child("lineItemAction")->attributes[0].second,
            "PauseLineItems");
  EXPECT_EQ(Call(actions[0]).Find("query")->text, "WHERE orderId = 9001");

  server_.Clear();
  server_.SetScript([](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") &&
        Method(r) == "getLineItemsByStatement")
      return Soap(
          "<getLineItemsByStatementResponse><rval><results><orderId>9001"
          "</orderId><id>901</id><name>AdCP mb_1 pkg_1</name><endDateTime>"
          "<date><year>2026</year><month>2</month><day>1</day></date><hour>0"
          "</hour><minute>0</minute><second>0</second><timeZoneId>UTC"
          "</timeZoneId></endDateTime><lineItemType>STANDARD</lineItemType>"
          "<primaryGoal><goalType>LIFETIME</goalType><unitType>IMPRESSIONS"
          "</unitType><units>400000</units></primaryGoal><notes>a &amp; b"
          "</notes></results></rval></getLineItemsByStatementResponse>");
    return HappyGam(r);
  });
  AdapterPackage bigger = buy.packages[0];
  bigger.budget = 10000 * kMicrosPerUnit;
  bigger.paused = false;
  ASSERT_TRUE(
      Adapter(Context())
          ->UpdateMediaBuy(buy, {.paused = false,
                                 .end_time = absl::FromUnixSeconds(1772323200),
                                 .packages = {bigger}})
          .ok());
  actions = Soaps("performLineItemAction");
  ASSERT_EQ(actions.size(), 1u);  // the per-package resume is covered by it
  EXPECT_EQ(Call(actions[0]).Child("lineItemAction")->attributes[0].second,
            "ResumeLineItems");
  auto updates = Soaps("updateLineItems");
  ASSERT_EQ(updates.size(), 1u);
  const XmlNode item = *Call(updates[0]).Child("lineItems");
  EXPECT_EQ(item.ChildText("id"), "901");
  EXPECT_EQ(item.ChildText("notes"), "a & b");  // what Ad Manager had is kept
  EXPECT_EQ(item.Child("primaryGoal")->ChildText("units"), "800000");
  EXPECT_EQ(item.Child("endDateTime")->Child("date")->ChildText("month"), "2");
  EXPECT_EQ(item.Child("endDateTime")->Child("date")->ChildText("day"), "28");
  EXPECT_TRUE(absl::StrContains(updates[0].body, "<notes>a &amp; b</notes>"));
}

TEST_F(GamAdapterTest, DeliveryComesFromAReportJob) {
  std::atomic<int> polls{0};
  const std::string url = server_.base_url() + "/report.csv";
  server_.SetScript([&polls, url](const RecordedRequest& r) {
    if (!r.target.starts_with("/apis/")) return HappyGam(r);
    const std::string method = Method(r);
    if (method == "runReportJob")
      return Soap(
          "<runReportJobResponse><rval><id>55</id></rval>"
          "</runReportJobResponse>");
    if (method == "getReportJobStatus")
      return Soap(std::string("<getReportJobStatusResponse><rval>") +
                  (polls++ == 0 ? "IN_PROGRESS" : "COMPLETED") +
                  "</rval></getReportJobStatusResponse>");
    if (method == "getReportDownloadUrlWithOptions")
      return Soap("<getReportDownloadUrlWithOptionsResponse><rval>" + url +
                  "</rval></getReportDownloadUrlWithOptionsResponse>");
    return HappyGam(r);
  });
  AdapterBuy buy = Buy();
  buy.order_id = "9001";
  buy.packages[0].line_id = "901";
  buy.packages[1].line_id = "902";
  auto report = Adapter(Context())->GetDelivery(buy, now_);
  ASSERT_TRUE(report.ok()) << report.status();
  const XmlNode query = *Call(Soaps("runReportJob")[0]).Find("reportQuery");
  EXPECT_EQ(query.ChildText("dimensions"), "LINE_ITEM_ID");
  EXPECT_EQ(query.FindAll("columns").size(), 3u);
  EXPECT_EQ(query.ChildText("dateRangeType"), "CUSTOM_DATE");
  EXPECT_EQ(query.Find("query")->text, "WHERE ORDER_ID = 9001");
  EXPECT_EQ(Soaps("getReportJobStatus").size(), 2u);
  const XmlNode options = *Call(Soaps("getReportDownloadUrlWithOptions")[0])
                               .Child("reportDownloadOptions");
  EXPECT_EQ(options.ChildText("exportFormat"), "CSV_DUMP");
  EXPECT_EQ(options.ChildText("useGzipCompression"), "false");
  ASSERT_EQ(report->packages.size(), 2u);
  EXPECT_EQ(report->packages[0].impressions, 1010);
  EXPECT_EQ(report->packages[0].clicks, 5);
  EXPECT_EQ(report->packages[0].spend, 12625000);
  EXPECT_EQ(report->packages[1].impressions, 50);
  // The signed download URL gets no credentials.
  bool downloaded = false;
  for (const auto& r : server_.requests()) {
    if (r.target == "/report.csv") {
      downloaded = true;
      EXPECT_EQ(r.headers.count("authorization"), 0u);
    }
  }
  EXPECT_TRUE(downloaded);
}

TEST_F(GamAdapterTest, CreativesAndAssociations) {
  server_.SetScript([](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") &&
        Method(r) == "getLineItemCreativeAssociationsByStatement")
      return Soap(
          "<getLineItemCreativeAssociationsByStatementResponse><rval>"
          "<results><lineItemId>902</lineItemId><creativeId>700"
          "</creativeId></results></rval>"
          "</getLineItemCreativeAssociationsByStatementResponse>");
    return HappyGam(r);
  });
  AdapterBuy buy = Buy();
  buy.order_id = "9001";
  buy.packages[0].line_id = "901";
  buy.packages[1].line_id = "902";
  AdapterCreative banner{
      .creative_id = "cr_1",
      .name = "Spring <banner>",
      .assets = {{"image",
                  {{"asset_type", "image"},
                   {"url", "https://cdn.example/a.png?x=1&y=2"},
                   {"width", 300},
                   {"height", 250}}},
                 {"landing",
                  {{"asset_type", "url"}, {"url", "https://acme.example/"}}}},
      .package_ids = {"pkg_1", "pkg_2"}};
  AdapterCreative known{
      .creative_id = "cr_2", .package_ids = {"pkg_2"}, .platform_id = "700"};
  std::map<std::string, std::string> ids;
  absl::Status added =
      Adapter(Context())->AddCreatives(buy, {banner, known}, ids);
  ASSERT_TRUE(added.ok()) << added;
  auto creatives = Soaps("createCreatives");
  ASSERT_EQ(creatives.size(), 1u);
  EXPECT_EQ(creatives[0].target, "/apis/ads/publisher/v202511/CreativeService");
  const XmlNode creative = *Call(creatives[0]).Child("creatives");
  EXPECT_EQ(creative.attributes[0].second, "ImageRedirectCreative");
  EXPECT_EQ(creative.ChildText("advertiserId"), "555");
  EXPECT_EQ(creative.ChildText("name"), "Spring <banner>");
  EXPECT_EQ(creative.ChildText("imageUrl"),
            "https://cdn.example/a.png?x=1&y=2");
  EXPECT_EQ(creative.ChildText("destinationUrl"), "https://acme.example/");
  EXPECT_EQ(creative.Child("size")->ChildText("width"), "300");
  auto licas = Soaps("createLineItemCreativeAssociations");
  ASSERT_EQ(licas.size(), 1u);
  const XmlNode create_licas = Call(licas[0]);
  const auto pairs = create_licas.FindAll("lineItemCreativeAssociations");
  ASSERT_EQ(pairs.size(), 2u);  // cr_1 on 901 and 902; cr_2 was on 902
  EXPECT_EQ(pairs[0]->ChildText("lineItemId"), "901");
  EXPECT_EQ(pairs[0]->ChildText("creativeId"), ids["cr_1"]);
  EXPECT_EQ(pairs[1]->ChildText("lineItemId"), "902");
  EXPECT_EQ(ids["cr_2"], "700");
}

TEST_F(GamAdapterTest, DryRunSendsNothingNotEvenForAToken) {
  ::testing::internal::CaptureStderr();
  auto adapter = Adapter(Context(/*dry_run=*/true));
  CreatedOrder order;
  ASSERT_TRUE(adapter->CreateMediaBuy(Buy(), order).ok());
  AdapterBuy buy = Buy();
  buy.order_id = order.order_id;
  ASSERT_TRUE(adapter->UpdateMediaBuy(buy, {.paused = true}).ok());
  ASSERT_TRUE(adapter->GetDelivery(buy, now_).ok());
  const std::string logs = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(server_.requests().empty());
  EXPECT_EQ(order.line_ids.size(), 2u);
  const auto journal = adapter->Journal();
  ASSERT_FALSE(journal.empty());
  EXPECT_TRUE(
      journal[0].starts_with("POST " + server_.base_url() +
                             "/apis/ads/publisher/v202511/OrderService"));
  EXPECT_TRUE(absl::StrContains(logs, "createOrders")) << logs;
}

TEST_F(GamAdapterTest, TheKeyAndTokenNeverReachLogsOrJournal) {
  ::testing::internal::CaptureStderr();
  server_.SetScript([](const RecordedRequest& r) {
    if (r.target.starts_with("/apis/") && Method(r) == "createLineItems")
      return Fault("ServerError.SERVER_ERROR");
    return HappyGam(r);
  });
  auto adapter = Adapter(Context());
  CreatedOrder order;
  EXPECT_FALSE(adapter->CreateMediaBuy(Buy(), order).ok());
  const std::string logs = ::testing::internal::GetCapturedStderr();
  const std::string key_line = keys_.first.substr(40, 40);  // inside the PEM
  EXPECT_FALSE(absl::StrContains(logs, key_line));
  EXPECT_FALSE(absl::StrContains(logs, kAccessToken));
  for (const std::string& line : adapter->Journal()) {
    EXPECT_FALSE(absl::StrContains(line, key_line));
    EXPECT_FALSE(absl::StrContains(line, kAccessToken));
  }

  // dry_run logs every call it would make (so the check above has lines to
  // read there): still no key and no token.
  ::testing::internal::CaptureStderr();
  auto dry = Adapter(Context(/*dry_run=*/true));
  CreatedOrder planned;
  EXPECT_TRUE(dry->CreateMediaBuy(Buy(), planned).ok());
  const std::string dry_logs = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(absl::StrContains(dry_logs, "adapter dry_run")) << dry_logs;
  EXPECT_FALSE(absl::StrContains(dry_logs, key_line));
  EXPECT_FALSE(absl::StrContains(dry_logs, kAccessToken));
  EXPECT_FALSE(dry->Journal().empty());
  for (const std::string& line : dry->Journal())
    EXPECT_FALSE(absl::StrContains(line, key_line));
}

TEST_F(GamAdapterTest, ABadKeyIsRefusedWithoutEchoingIt) {
  deps_.secrets = FixedSecretStore({{"gam-nytimes", "not json: SECRET-123"}});
  auto adapter = GamAdapterFactory(deps_)(Context());
  EXPECT_EQ(adapter.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(absl::StrContains(adapter.status().message(), "SECRET-123"));
}

}  // namespace
}  // namespace adcp::media_buy
