#include "services/media-buy/adapters/gam/gam_soap.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace adcp::media_buy::gam_soap {

bool IsGamId(const std::string& id) {
  return !id.empty() && id.size() <= 20 &&
         std::all_of(id.begin(), id.end(), absl::ascii_isdigit);
}

// "Fault string [reason @ field path; ...]" from a SOAP fault.
std::string SoapFaultDetail(const HttpResponse& response) {
  auto root = ParseXml(response.body);
  if (!root.ok()) return "";
  const XmlNode* fault = root->Find("Fault");
  if (fault == nullptr) return "";
  std::string detail = fault->ChildText("faultstring");
  std::vector<std::string> errors;
  for (const XmlNode* error : fault->FindAll("errors")) {
    std::string one = error->ChildText("errorString");
    const std::string path = error->ChildText("fieldPath");
    if (!path.empty()) absl::StrAppend(&one, " @ ", path);
    const std::string trigger = error->ChildText("trigger");
    if (!trigger.empty()) absl::StrAppend(&one, " (", trigger, ")");
    errors.push_back(std::move(one));
  }
  if (!errors.empty())
    absl::StrAppend(&detail, " [", absl::StrJoin(errors, "; "), "]");
  return detail;
}

// Ad Manager answers every fault with HTTP 500; only server, quota and
// concurrency errors are outages, the rest refuse the request.
bool SoapFaultIsRefusal(const HttpResponse& response) {
  auto root = ParseXml(response.body);
  if (!root.ok() || root->Find("Fault") == nullptr) return false;
  const std::vector<const XmlNode*> errors = root->FindAll("errorString");
  if (errors.empty()) return false;
  for (const XmlNode* error : errors) {
    if (error->text.starts_with("ServerError.") ||
        error->text.starts_with("QuotaError.") ||
        error->text.starts_with("InternalApiError.") ||
        error->text.starts_with("ConcurrentModificationError."))
      return false;
  }
  return true;
}

// PQL string literal.
std::string PqlString(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// CSV_DUMP: Dimension.LINE_ITEM_ID, Column.AD_SERVER_IMPRESSIONS,
// Column.AD_SERVER_CLICKS, Column.AD_SERVER_CPM_AND_CPC_REVENUE (micros).
absl::StatusOr<std::map<std::string, PackageDeliveryReport>> ParseReport(
    const std::string& csv) {
  std::map<std::string, PackageDeliveryReport> out;
  std::vector<std::string> rows = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  if (rows.empty()) return out;
  std::vector<std::string> header = absl::StrSplit(rows[0], ',');
  auto column = [&](const std::string& name) -> int {
    for (size_t i = 0; i < header.size(); ++i)
      if (std::string(absl::StripAsciiWhitespace(header[i])) == name)
        return static_cast<int>(i);
    return -1;
  };
  const int id = column("Dimension.LINE_ITEM_ID");
  const int impressions = column("Column.AD_SERVER_IMPRESSIONS");
  const int clicks = column("Column.AD_SERVER_CLICKS");
  const int revenue = column("Column.AD_SERVER_CPM_AND_CPC_REVENUE");
  if (id < 0 || impressions < 0 || clicks < 0 || revenue < 0)
    return absl::UnavailableError(
        "the Google Ad Manager report lacks the expected columns");
  for (size_t r = 1; r < rows.size(); ++r) {
    std::vector<std::string> cells = absl::StrSplit(rows[r], ',');
    if (cells.size() < header.size()) continue;
    auto number = [&](int i) {
      int64_t value = 0;
      (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(cells[i]), &value);
      return value;
    };
    PackageDeliveryReport& line =
        out[std::string(absl::StripAsciiWhitespace(cells[id]))];
    line.impressions += number(impressions);
    line.clicks += number(clicks);
    line.spend += number(revenue);
  }
  return out;
}

XmlNode DateTime(const std::string& name, absl::Time time, absl::TimeZone zone,
                 const std::string& zone_name) {
  const absl::TimeZone::CivilInfo civil = zone.At(time);
  XmlNode out(name);
  XmlNode& date = out.Add("date");
  date.Add("year", std::to_string(civil.cs.year()));
  date.Add("month", std::to_string(civil.cs.month()));
  date.Add("day", std::to_string(civil.cs.day()));
  out.Add("hour", std::to_string(civil.cs.hour()));
  out.Add("minute", std::to_string(civil.cs.minute()));
  out.Add("second", std::to_string(civil.cs.second()));
  out.Add("timeZoneId", zone_name);
  return out;
}

XmlNode Date(const std::string& name, absl::Time time, absl::TimeZone zone) {
  const absl::TimeZone::CivilInfo civil = zone.At(time);
  XmlNode out(name);
  out.Add("year", std::to_string(civil.cs.year()));
  out.Add("month", std::to_string(civil.cs.month()));
  out.Add("day", std::to_string(civil.cs.day()));
  return out;
}

XmlNode Money(const std::string& name, Micros amount,
              const std::string& currency) {
  XmlNode out(name);
  out.Add("currencyCode", currency);
  out.Add("microAmount", std::to_string(amount));
  return out;
}

XmlNode Statement(const std::string& query) {
  XmlNode out("filterStatement");
  out.Add("query", query);
  return out;
}

std::string FirstRvalId(const XmlNode& answer) {
  const XmlNode* rval = answer.Find("rval");
  return rval ? rval->ChildText("id") : "";
}

// rval's child `field`, or rval's own text when `field` is empty.
std::string RvalText(const XmlNode& answer, const std::string& field) {
  const XmlNode* rval = answer.Find("rval");
  if (rval == nullptr) return "";
  return field.empty() ? rval->text : rval->ChildText(field);
}

// What Ad Manager would plausibly answer, without calling it.
XmlNode DryRunAnswer(const XmlNode& envelope, int& dry_run_ids) {
  const XmlNode* body = envelope.Find("Body");
  const std::string method =
      body && !body->children.empty() ? body->children[0].name : "";
  XmlNode answer("soap:Body");
  XmlNode& response = answer.Add(method + "Response");
  if (method.starts_with("create")) {
    response.Add("rval").Add("id", absl::StrCat("dryrun-", ++dry_run_ids));
  } else if (method == "runReportJob") {
    response.Add("rval").Add("id", "dryrun-report");
  } else if (method == "getReportJobStatus") {
    response.Add("rval", "COMPLETED");
  } else if (method.starts_with("perform")) {
    response.Add("rval").Add("numChanges", "1");
  } else {
    response.Add("rval").Add("totalResultSetSize", "0");
  }
  return answer;
}

}  // namespace adcp::media_buy::gam_soap
