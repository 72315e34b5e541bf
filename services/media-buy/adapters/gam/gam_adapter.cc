#include "services/media-buy/adapters/gam/gam_adapter.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "services/media-buy/adapters/gam/gam_line_items.h"
#include "services/media-buy/adapters/gam/gam_soap.h"
#include "services/media-buy/adapters/gam/service_account.h"
#include "services/media-buy/adapters/gam/xml_node.h"

namespace adcp::media_buy {
namespace {

using json = nlohmann::json;
using gam_soap::CreativeXml;
using gam_soap::DryRunAnswer;
using gam_soap::FirstRvalId;
using gam_soap::IsGamId;
using gam_soap::LineItemName;
using gam_soap::LineItemXml;
using gam_soap::OrderName;
using gam_soap::ParseReport;
using gam_soap::PlanLineItem;
using gam_soap::PqlString;
using gam_soap::RvalText;
using gam_soap::SoapFaultDetail;
using gam_soap::SoapFaultIsRefusal;
using gam_soap::Statement;

constexpr char kSoapNs[] = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr char kXsiNs[] = "http://www.w3.org/2001/XMLSchema-instance";

class GamAdapter final : public AdServerAdapter {
 public:
  GamAdapter(const AdapterContext& context,
             std::shared_ptr<const AdapterDeps> deps,
             std::shared_ptr<AccessTokenCache> tokens, AdapterMode mode,
             std::optional<ServiceAccountKey> key)
      : context_(context),
        deps_(std::move(deps)),
        tokens_(std::move(tokens)),
        mode_(std::move(mode)),
        key_(std::move(key)),
        name_(kGamAdapterName),
        version_(
            ConfigString(context.config, "api_version", kGamDefaultApiVersion)),
        endpoint_(
            ConfigString(context.config, "endpoint", "https://ads.google.com")),
        client_(MakeUpstreamClient(*deps_, context, kGamAdapterName,
                                   "Google Ad Manager", SoapFaultDetail,
                                   SoapFaultIsRefusal)),
        journal_(context.tenant_id, kGamAdapterName, mode_.dry_run) {
    while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
    const std::string zone =
        ConfigString(context.config, "time_zone", "America/New_York");
    if (absl::LoadTimeZone(zone, &zone_)) {
      zone_name_ = zone;
    } else {
      zone_ = absl::UTCTimeZone();
      zone_name_ = "UTC";
    }
  }

  const std::string& name() const override { return name_; }
  bool dry_run() const override { return mode_.dry_run; }

  absl::Status CreateMediaBuy(const AdapterBuy& buy,
                              CreatedOrder& order) override {
    OrderProgress progress(order);
    const bool resuming = !order.order_id.empty();
    if (order.order_id.empty()) {
      auto id = CreateOrder(buy);
      if (!id.ok()) return progress.Fail("create_order", id.status(), true);
      order.order_id = *id;
    }
    std::map<std::string, std::string> existing;  // line item name -> id
    if (resuming || !progress.uncertain().empty()) {
      auto found = LineItemsOfOrder(order.order_id);
      if (!found.ok())
        return progress.Fail("find_line_items", found.status(), false);
      existing = *std::move(found);
    }
    for (const AdapterPackage& package : buy.packages) {
      if (order.line_ids.count(package.package_id)) continue;
      const std::string step =
          absl::StrCat("create_line_item:", package.package_id);
      const std::string name = LineItemName(buy, package);
      if (auto it = existing.find(name); it != existing.end()) {
        order.line_ids[package.package_id] = it->second;
        continue;
      }
      auto item = LineItemXml(buy, package, order.order_id, context_.config,
                              mode_.dry_run, zone_, zone_name_);
      if (!item.ok()) return progress.Fail(step, item.status(), false);
      XmlNode call("createLineItems");
      call.Add(*std::move(item)).name = "lineItems";
      auto created = Soap(
          "LineItemService", std::move(call), false,
          absl::StrCat("createLineItems for package ", package.package_id));
      if (!created.ok()) return progress.Fail(step, created.status(), true);
      const std::string id = FirstRvalId(*created);
      if (id.empty())
        return progress.Fail(
            step,
            absl::UnavailableError("Google Ad Manager answered "
                                   "createLineItems without an id"),
            true);
      order.line_ids[package.package_id] = id;
    }
    if (JsonBool(context_.config, "approve_orders", true) &&
        !JsonBool(order.upstream, "approved", false)) {
      XmlNode call("performOrderAction");
      call.Add("orderAction").Attr("xsi:type", "ApproveOrders");
      call.Add(Statement(absl::StrCat("WHERE id = ", order.order_id)));
      auto approved = Soap("OrderService", std::move(call), true,
                           absl::StrCat("approve order ", order.order_id));
      if (!approved.ok())
        return progress.Fail("approve_order", approved.status(), false);
      order.upstream["approved"] = true;
    }
    return absl::OkStatus();
  }

  absl::Status AddCreatives(
      const AdapterBuy& buy, const std::vector<AdapterCreative>& creatives,
      std::map<std::string, std::string>& uploaded) override {
    ASSIGN_OR_RETURN(const std::string advertiser, Advertiser());
    std::map<std::string, std::string> lines;
    std::vector<std::string> line_ids;
    for (const AdapterPackage& package : buy.packages) {
      if (package.line_id.empty()) continue;
      lines[package.package_id] = package.line_id;
      line_ids.push_back(package.line_id);
    }
    std::set<std::pair<std::string, std::string>> associated;
    if (!line_ids.empty()) {
      XmlNode call("getLineItemCreativeAssociationsByStatement");
      call.Add(Statement(absl::StrCat("WHERE lineItemId IN (",
                                      absl::StrJoin(line_ids, ", "), ")")))
          .name = "filterStatement";
      ASSIGN_OR_RETURN(
          XmlNode page,
          Soap("LineItemCreativeAssociationService", std::move(call), true,
               "read line item creative associations"));
      for (const XmlNode* lica : page.FindAll("results"))
        associated.insert(
            {lica->ChildText("lineItemId"), lica->ChildText("creativeId")});
    }
    XmlNode licas("createLineItemCreativeAssociations");
    for (const AdapterCreative& creative : creatives) {
      std::string id =
          IsGamId(creative.platform_id) ? creative.platform_id : "";
      if (id.empty()) {
        ASSIGN_OR_RETURN(XmlNode body, CreativeXml(creative, advertiser));
        XmlNode call("createCreatives");
        call.Add(std::move(body));
        ASSIGN_OR_RETURN(XmlNode created,
                         Soap("CreativeService", std::move(call), false,
                              absl::StrCat("createCreatives for creative ",
                                           creative.creative_id)));
        id = FirstRvalId(created);
        if (id.empty())
          return absl::UnavailableError(
              "Google Ad Manager answered createCreatives without an id");
      }
      uploaded[creative.creative_id] = id;
      for (const std::string& package_id : creative.package_ids) {
        auto line = lines.find(package_id);
        if (line == lines.end() || associated.count({line->second, id}))
          continue;
        XmlNode& lica = licas.Add("lineItemCreativeAssociations");
        lica.Add("lineItemId", line->second);
        lica.Add("creativeId", id);
        associated.insert({line->second, id});
      }
    }
    if (!licas.children.empty()) {
      RETURN_IF_ERROR(Soap("LineItemCreativeAssociationService",
                           std::move(licas), false,
                           "createLineItemCreativeAssociations")
                          .status());
    }
    return absl::OkStatus();
  }

  absl::Status UpdateMediaBuy(const AdapterBuy& buy,
                              const AdapterUpdate& update) override {
    if (update.paused) {
      RETURN_IF_ERROR(LineItemAction(
          *update.paused, absl::StrCat("WHERE orderId = ", buy.order_id),
          absl::StrCat("order ", buy.order_id)));
    }
    std::map<std::string, const AdapterPackage*> changed;
    std::vector<std::string> pause, resume;
    for (const AdapterPackage& now : update.packages) {
      changed[now.package_id] = &now;
      if (now.line_id.empty()) continue;
      (now.paused ? pause : resume).push_back(now.line_id);
    }
    for (const auto& [ids, paused] :
         {std::pair{&pause, true}, std::pair{&resume, false}}) {
      if (ids->empty() || (update.paused && *update.paused == paused)) continue;
      RETURN_IF_ERROR(LineItemAction(
          paused, absl::StrCat("WHERE id IN (", absl::StrJoin(*ids, ", "), ")"),
          absl::StrCat("line items ", absl::StrJoin(*ids, ", "))));
    }
    // Dates, budgets and goals: the line items as Ad Manager has them,
    // changed and sent back whole.
    std::map<std::string, const AdapterPackage*> by_line;
    for (const AdapterPackage& package : buy.packages) {
      if (package.line_id.empty()) continue;
      auto change = changed.find(package.package_id);
      if (change != changed.end()) {
        by_line[package.line_id] = change->second;
      } else if (update.start_time || update.end_time) {
        by_line[package.line_id] = nullptr;
      }
    }
    if (by_line.empty()) return absl::OkStatus();
    std::vector<std::string> line_ids;
    for (const auto& [id, package] : by_line) line_ids.push_back(id);
    XmlNode query("getLineItemsByStatement");
    query
        .Add(Statement(
            absl::StrCat("WHERE id IN (", absl::StrJoin(line_ids, ", "), ")")))
        .name = "filterStatement";
    ASSIGN_OR_RETURN(XmlNode page, Soap("LineItemService", std::move(query),
                                        true, "read line items to update"));
    XmlNode call("updateLineItems");
    for (const XmlNode* found : page.FindAll("results")) {
      XmlNode item = *found;
      item.name = "lineItems";
      auto package = by_line.find(item.ChildText("id"));
      if (package == by_line.end()) continue;
      if (update.start_time) {
        if (XmlNode* start = item.Child("startDateTime"))
          *start = DateTime("startDateTime", *update.start_time);
        if (XmlNode* type = item.Child("startDateTimeType"))
          type->text = "USE_START_DATE_TIME";
      }
      if (update.end_time) {
        if (XmlNode* end = item.Child("endDateTime"))
          *end = DateTime("endDateTime", *update.end_time);
      }
      if (package->second != nullptr) {
        auto plan = PlanLineItem(*package->second, buy);
        if (!plan.ok()) return plan.status();
        if (XmlNode* goal = item.Child("primaryGoal")) {
          if (XmlNode* units = goal->Child("units"))
            units->text = std::to_string(plan->units);
        }
      }
      call.Add(std::move(item));
    }
    if (call.children.empty()) return absl::OkStatus();
    return Soap("LineItemService", std::move(call), true, "updateLineItems")
        .status();
  }

  absl::StatusOr<std::string> GetStatus(const AdapterBuy& buy) override {
    XmlNode call("getOrdersByStatement");
    call.Add(Statement(absl::StrCat("WHERE id = ", buy.order_id))).name =
        "filterStatement";
    ASSIGN_OR_RETURN(XmlNode page,
                     Soap("OrderService", std::move(call), true,
                          absl::StrCat("read order ", buy.order_id)));
    const XmlNode* order = page.Find("results");
    const std::string status = order ? order->ChildText("status") : "";
    const absl::Time now = context_.clock();
    if (now >= buy.end_time || status == "CANCELED")
      return std::string("completed");
    if (buy.paused || status == "PAUSED") return std::string("paused");
    if (now < buy.start_time || status != "APPROVED")
      return std::string("scheduled");
    return std::string("delivering");
  }

  absl::StatusOr<DeliveryReport> GetDelivery(const AdapterBuy& buy,
                                             absl::Time until) override {
    const absl::Time end = std::min(until, buy.end_time);
    std::map<std::string, PackageDeliveryReport> by_line;
    if (end > buy.start_time) {
      XmlNode run("runReportJob");
      XmlNode& query = run.Add("reportJob").Add("reportQuery");
      query.Add("dimensions", "LINE_ITEM_ID");
      for (const char* column : {"AD_SERVER_IMPRESSIONS", "AD_SERVER_CLICKS",
                                 "AD_SERVER_CPM_AND_CPC_REVENUE"})
        query.Add("columns", column);
      query.Add(Date("startDate", buy.start_time));
      query.Add(Date("endDate", end));
      query.Add("dateRangeType", "CUSTOM_DATE");
      query.Add(Statement(absl::StrCat("WHERE ORDER_ID = ", buy.order_id)));
      ASSIGN_OR_RETURN(XmlNode job, Soap("ReportService", std::move(run), true,
                                         "runReportJob"));
      const std::string job_id = RvalText(job, "id");
      if (job_id.empty())
        return absl::UnavailableError(
            "Google Ad Manager answered runReportJob without an id");
      ASSIGN_OR_RETURN(std::string csv, DownloadReport(job_id));
      ASSIGN_OR_RETURN(by_line, ParseReport(csv));
    }
    return DeliveryFromLines(buy, until, std::move(by_line));
  }

  std::vector<std::string> Journal() const override { return journal_.lines(); }

 private:
  // principal_mappings.google_ad_manager.company_id (or advertiser_id), else
  // the tenant's company_id.
  absl::StatusOr<std::string> Advertiser() const {
    for (const char* key : {"company_id", "advertiser_id"}) {
      std::string id =
          MappedId(context_.principal_mappings, kGamAdapterName, key);
      if (!id.empty()) return id;
    }
    std::string id = ConfigString(context_.config, "company_id");
    if (!id.empty()) return id;
    if (mode_.dry_run) return std::string("0");
    return absl::FailedPreconditionError(
        "the principal has no platform_mappings.google_ad_manager.company_id "
        "and the tenant no adapters.google_ad_manager.company_id");
  }

  // The order named after the buy if Ad Manager has it (a retry after an
  // answer was lost), else a new one.
  absl::StatusOr<std::string> CreateOrder(const AdapterBuy& buy) {
    const std::string name = OrderName(buy);
    XmlNode find("getOrdersByStatement");
    find.Add(Statement(absl::StrCat("WHERE name = ", PqlString(name)))).name =
        "filterStatement";
    ASSIGN_OR_RETURN(XmlNode page, Soap("OrderService", std::move(find), true,
                                        "find order " + name));
    if (const XmlNode* existing = page.Find("results")) {
      const std::string id = existing->ChildText("id");
      if (!id.empty()) return id;
    }
    ASSIGN_OR_RETURN(const std::string advertiser, Advertiser());
    const std::string trafficker =
        ConfigString(context_.config, "trafficker_id");
    if (trafficker.empty() && !mode_.dry_run)
      return absl::FailedPreconditionError(
          "adapters.google_ad_manager.trafficker_id is required to create "
          "orders");
    XmlNode call("createOrders");
    XmlNode& order = call.Add("orders");
    order.Add("name", name);
    order.Add("notes", absl::StrCat("AdCP media buy ", buy.media_buy_id,
                                    " of principal ", buy.principal_id));
    order.Add("advertiserId", advertiser);
    order.Add("traffickerId", trafficker.empty() ? "0" : trafficker);
    ASSIGN_OR_RETURN(XmlNode created,
                     Soap("OrderService", std::move(call), false,
                          "createOrders for " + buy.media_buy_id));
    std::string id = FirstRvalId(created);
    if (id.empty())
      return absl::UnavailableError(
          "Google Ad Manager answered createOrders without an id");
    return id;
  }

  absl::StatusOr<std::map<std::string, std::string>> LineItemsOfOrder(
      const std::string& order) {
    XmlNode call("getLineItemsByStatement");
    call.Add(Statement(absl::StrCat("WHERE orderId = ", order))).name =
        "filterStatement";
    ASSIGN_OR_RETURN(XmlNode page,
                     Soap("LineItemService", std::move(call), true,
                          "read line items of order " + order));
    std::map<std::string, std::string> out;
    for (const XmlNode* item : page.FindAll("results"))
      out[item->ChildText("name")] = item->ChildText("id");
    return out;
  }

  absl::Status LineItemAction(bool pause, const std::string& where,
                              const std::string& what) {
    XmlNode call("performLineItemAction");
    call.Add("lineItemAction")
        .Attr("xsi:type", pause ? "PauseLineItems" : "ResumeLineItems");
    call.Add(Statement(where));
    return Soap("LineItemService", std::move(call), true,
                absl::StrCat(pause ? "pause " : "resume ", what))
        .status();
  }

  absl::StatusOr<std::string> DownloadReport(const std::string& job) {
    const int attempts =
        static_cast<int>(JsonInt(context_.config, "report_poll_attempts", 30));
    const absl::Duration interval = absl::Milliseconds(
        JsonInt(context_.config, "report_poll_interval_ms", 2000));
    for (int attempt = 0;; ++attempt) {
      if (attempt >= std::max(1, attempts))
        return absl::DeadlineExceededError(absl::StrCat(
            "Google Ad Manager report job ", job, " was not ready in time"));
      if (attempt > 0 && !mode_.dry_run) {
        if (deps_->sleep) {
          deps_->sleep(interval);
        } else {
          absl::SleepFor(interval);
        }
      }
      XmlNode status("getReportJobStatus");
      status.Add("reportJobId", job);
      ASSIGN_OR_RETURN(XmlNode answer, Soap("ReportService", std::move(status),
                                            true, "getReportJobStatus " + job));
      const std::string state = RvalText(answer, "");
      if (state == "COMPLETED") break;
      if (state == "FAILED")
        return absl::UnavailableError(
            absl::StrCat("Google Ad Manager failed report job ", job));
    }
    XmlNode url_call("getReportDownloadUrlWithOptions");
    url_call.Add("reportJobId", job);
    XmlNode& options = url_call.Add("reportDownloadOptions");
    options.Add("exportFormat", "CSV_DUMP");
    options.Add("includeReportProperties", "false");
    options.Add("includeTotalsRow", "false");
    options.Add("useGzipCompression", "false");
    ASSIGN_OR_RETURN(XmlNode answer, Soap("ReportService", std::move(url_call),
                                          true, "getReportDownloadUrl " + job));
    const std::string url = RvalText(answer, "");
    if (mode_.dry_run) return std::string();
    if (url.empty())
      return absl::UnavailableError(
          "Google Ad Manager gave no report download URL");
    // A signed URL: no credentials go with it.
    HttpRequest download{.method = "GET", .url = url};
    journal_.Record(download);
    ASSIGN_OR_RETURN(HttpResponse csv,
                     client_.Call(download, true, "download report " + job));
    return csv.body;
  }

  XmlNode DateTime(const std::string& name, absl::Time time) const {
    return gam_soap::DateTime(name, time, zone_, zone_name_);
  }
  XmlNode Date(const std::string& name, absl::Time time) const {
    return gam_soap::Date(name, time, zone_);
  }

  absl::StatusOr<std::string> AccessToken() {
    const std::string account =
        absl::StrCat(key_->client_email, "/", key_->private_key_id);
    const absl::Time now = context_.clock();
    std::string token = tokens_->Get(account, now);
    if (!token.empty()) return token;
    const std::string url =
        ConfigString(context_.config, "token_url", key_->token_uri);
    ASSIGN_OR_RETURN(const std::string assertion,
                     ServiceAccountAssertion(*key_, kAdManagerScope, url, now));
    HttpRequest request{
        .method = "POST",
        .url = url,
        .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
        .body = absl::StrCat(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
            "&assertion=",
            assertion)};
    ASSIGN_OR_RETURN(HttpResponse response,
                     client_.Call(request, true, "issue an access token"));
    const json answer = json::parse(response.body, nullptr, false);
    if (!answer.is_object() || !answer.contains("access_token") ||
        !answer["access_token"].is_string())
      return absl::UnavailableError("the token endpoint gave no access_token");
    token = answer["access_token"].get<std::string>();
    tokens_->Put(account, token,
                 now + absl::Seconds(JsonInt(answer, "expires_in", 3600)));
    return token;
  }

  // Sends one SOAP call to `service`; the response envelope's Body.
  absl::StatusOr<XmlNode> Soap(const std::string& service, XmlNode call,
                               bool idempotent, const std::string& what) {
    const std::string ns =
        absl::StrCat("https://www.google.com/apis/ads/publisher/", version_);
    XmlNode envelope("soapenv:Envelope");
    envelope.Attr("xmlns:soapenv", kSoapNs)
        .Attr("xmlns:xsi", kXsiNs)
        .Attr("xmlns", ns);
    XmlNode& header = envelope.Add("soapenv:Header").Add("RequestHeader");
    header.Add("networkCode", ConfigString(context_.config, "network_code"));
    header.Add("applicationName", "adcp-sales-agent");
    envelope.Add("soapenv:Body").Add(std::move(call));
    HttpRequest request{
        .method = "POST",
        .url = absl::StrCat(endpoint_, "/apis/ads/publisher/", version_, "/",
                            service),
        .headers = {{"Content-Type", "text/xml; charset=utf-8"},
                    {"SOAPAction", "\"\""}},
        .body = absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                             envelope.Serialize())};
    journal_.Record(request);
    if (mode_.dry_run) return DryRunAnswer(envelope, dry_run_ids_);
    ASSIGN_OR_RETURN(const std::string token, AccessToken());
    request.headers["Authorization"] = absl::StrCat("Bearer ", token);
    ASSIGN_OR_RETURN(HttpResponse response,
                     client_.Call(request, idempotent, what));
    auto root = ParseXml(response.body);
    if (!root.ok())
      return absl::UnavailableError(absl::StrCat("Google Ad Manager answered ",
                                                 what, " with malformed XML"));
    XmlNode* body = root->Find("Body");
    if (body == nullptr)
      return absl::UnavailableError(absl::StrCat("Google Ad Manager answered ",
                                                 what, " without a SOAP body"));
    return std::move(*body);
  }

  AdapterContext context_;
  std::shared_ptr<const AdapterDeps> deps_;
  std::shared_ptr<AccessTokenCache> tokens_;
  AdapterMode mode_;
  std::optional<ServiceAccountKey> key_;
  std::string name_;
  std::string version_;
  std::string endpoint_;
  absl::TimeZone zone_;
  std::string zone_name_;
  UpstreamClient client_;
  CallJournal journal_;
  int dry_run_ids_ = 0;
};

}  // namespace

AdapterFactory GamAdapterFactory(AdapterDeps deps) {
  auto shared = std::make_shared<const AdapterDeps>(std::move(deps));
  auto tokens = std::make_shared<AccessTokenCache>();
  return [shared, tokens](const AdapterContext& context)
             -> absl::StatusOr<std::unique_ptr<AdServerAdapter>> {
    ASSIGN_OR_RETURN(AdapterMode mode,
                     ResolveMode(context, *shared, kGamAdapterName,
                                 "service_account_key_secret"));
    std::optional<ServiceAccountKey> key;
    if (!mode.dry_run) {
      auto parsed = ParseServiceAccountKey(mode.credential);
      if (!parsed.ok())
        return absl::FailedPreconditionError(absl::StrCat(
            "adapters.google_ad_manager.service_account_key_secret: ",
            parsed.status().message()));
      key = *std::move(parsed);
      mode.credential.clear();
    }
    return std::unique_ptr<AdServerAdapter>(new GamAdapter(
        context, shared, tokens, std::move(mode), std::move(key)));
  };
}

}  // namespace adcp::media_buy
