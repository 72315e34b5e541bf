#include "services/media-buy/testing/ad_server_scripts.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/adapters/gam/xml_node.h"

namespace adcp::media_buy::testing {

using json = nlohmann::json;

FakeAnswer JsonAnswer(const std::string& body, int status) {
  return {.status = status, .body = body};
}

FakeAnswer SoapAnswer(const std::string& inner) {
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

std::string SoapMethod(const std::string& body) {
  auto root = ParseXml(body);
  if (!root.ok()) return "";
  const XmlNode* soap_body = root->Find("Body");
  if (!soap_body || soap_body->children.empty()) return "";
  return std::string(LocalName(soap_body->children[0].name));
}

FakeAnswer HappyKevel(const RecordedRequest& request) {
  static std::atomic<int> next{100};
  auto answer = [](const json& body) { return JsonAnswer(body.dump()); };
  if (request.method == "POST" && request.target == "/v1/report/queue")
    return answer({{"Id", "rep-1"}});
  if (request.method == "POST") return answer({{"Id", next++}});
  if (request.method == "PUT") return answer(json::parse(request.body));
  if (request.target.starts_with("/v1/campaign/") &&
      !request.target.ends_with("/flight"))
    return answer({{"Id", std::stoll(request.target.substr(13))},
                   {"Name", "AdCP mb_1"},
                   {"AdvertiserId", 42},
                   {"IsActive", true},
                   {"IsDeleted", false}});
  if (request.target.starts_with("/v1/flight/") &&
      !request.target.ends_with("/creative"))
    return answer({{"Id", 11},
                   {"CampaignId", 9},
                   {"PriorityId", 7},
                   {"GoalType", 8},
                   {"Impressions", 500},
                   {"IsActive", true},
                   {"Keywords", "keep-me"}});
  return answer({{"items", json::array()}});
}

FakeAnswer HappyGam(const RecordedRequest& request) {
  static std::atomic<int> next{900};
  if (request.target == "/token")
    return {.body = json({{"access_token", kFakeGamAccessToken},
                          {"expires_in", 3600},
                          {"token_type", "Bearer"}})
                        .dump()};
  if (request.target == "/report.csv")
    return {.body =
                "Dimension.LINE_ITEM_ID,Column.AD_SERVER_IMPRESSIONS,"
                "Column.AD_SERVER_CLICKS,Column.AD_SERVER_CPM_AND_CPC_REVENUE\n"
                "901,1000,4,12500000\n902,50,0,600000\n901,10,1,125000\n",
            .content_type = "text/csv"};
  const std::string method = SoapMethod(request.body);
  if (method.starts_with("create"))
    return SoapAnswer(absl::StrCat("<", method, "Response><rval><id>", next++,
                                   "</id></rval></", method, "Response>"));
  return SoapAnswer(absl::StrCat("<", method,
                                 "Response><rval><totalResultSetSize>0"
                                 "</totalResultSetSize></rval></",
                                 method, "Response>"));
}

}  // namespace adcp::media_buy::testing
