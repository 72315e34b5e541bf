#include "services/media-buy/adapters/kevel/kevel_adapter.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/base/status.h"
#include "services/media-buy/adapters/upstream.h"

namespace adcp::media_buy {
namespace {

using json = nlohmann::json;

// Kevel's enumerations (Management API).
constexpr int kGoalImpressions = 1;
constexpr int kGoalLifetimeRevenue = 8;
constexpr int kRateFlat = 1;
constexpr int kRateCpm = 2;
constexpr int kRateCpc = 3;
constexpr int kCapRevenue = 4;
constexpr int kReportComplete = 2;
constexpr int kReportFailed = 3;

bool IsKevelId(const std::string& id) {
  return !id.empty() && id.size() <= 18 &&
         std::all_of(id.begin(), id.end(), absl::ascii_isdigit);
}

// Ids are numbers in JSON; the numeric text is kept.
std::string IdOf(const json& object) {
  if (!object.is_object()) return "";
  return ConfigString(object, object.contains("Id") ? "Id" : "id");
}

// Kevel's ids are int32 in JSON; dry-run ids are strings.
json IdValue(const std::string& id) {
  if (IsKevelId(id)) return json(std::stoll(id));
  return json(id);
}

std::string KevelErrorDetail(const HttpResponse& response) {
  const json body = json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    for (const char* key : {"message", "Message", "error", "Error"}) {
      if (body.contains(key) && body[key].is_string())
        return body[key].get<std::string>();
    }
  }
  if (body.is_string()) return body.get<std::string>();
  return "";
}

// A whole-unit amount for Kevel's integer caps (rounded up: a cap below the
// budget would stop delivery early).
int64_t WholeUnits(Micros amount) {
  return (amount + kMicrosPerUnit - 1) / kMicrosPerUnit;
}

class KevelAdapter final : public AdServerAdapter {
 public:
  KevelAdapter(const AdapterContext& context, const AdapterDeps& deps,
               AdapterMode mode)
      : context_(context),
        deps_(deps),
        mode_(std::move(mode)),
        name_(kKevelAdapterName),
        base_url_(
            ConfigString(context.config, "base_url", "https://api.kevel.co")),
        client_(MakeUpstreamClient(deps, context, kKevelAdapterName, "Kevel",
                                   KevelErrorDetail)),
        journal_(context.tenant_id, kKevelAdapterName, mode_.dry_run) {
    while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  }

  const std::string& name() const override { return name_; }
  bool dry_run() const override { return mode_.dry_run; }

  absl::Status CreateMediaBuy(const AdapterBuy& buy,
                              CreatedOrder& order) override {
    OrderProgress progress(order);

    std::string advertiser = ConfigString(order.upstream, "advertiser_id");
    if (advertiser.empty()) {
      auto found = Advertiser();
      if (!found.ok())
        return progress.Fail("find_advertiser", found.status(), true);
      advertiser = *found;
      order.upstream["advertiser_id"] = advertiser;
    }
    if (order.order_id.empty()) {
      const std::string name = CampaignName(buy);
      std::string id;
      if (progress.uncertain() == "create_campaign") {
        auto existing = FindCampaign(name, advertiser);
        if (!existing.ok()) {
          // Still unknown: the next attempt must look again, not create.
          order.upstream["uncertain"] = progress.uncertain();
          return progress.Fail("create_campaign", existing.status(), false);
        }
        id = *existing;
      }
      if (id.empty()) {
        json campaign = {
            {"Name", name},
            {"AdvertiserId", IdValue(advertiser)},
            // Serves once every flight exists (activate_campaign).
            {"IsActive", false},
            {"IsDeleted", false},
            {"StartDateISO", IsoTime(buy.start_time)},
            {"EndDateISO", IsoTime(buy.end_time)},
            {"CustomFieldsJson",
             json{{"adcp_media_buy_id", buy.media_buy_id}}.dump()}};
        auto created =
            Post("/v1/campaign", campaign,
                 absl::StrCat("create campaign for ", buy.media_buy_id));
        if (!created.ok())
          return progress.Fail("create_campaign", created.status(), true);
        id = *created;
      }
      order.order_id = id;
    }
    const std::string priority = ConfigString(context_.config, "priority_id");
    for (const AdapterPackage& package : buy.packages) {
      if (order.line_ids.count(package.package_id)) continue;
      const std::string step =
          absl::StrCat("create_flight:", package.package_id);
      if (priority.empty() && !mode_.dry_run) {
        return progress.Fail(
            step,
            absl::FailedPreconditionError(
                "adapters.kevel.priority_id is required to create "
                "flights"),
            false);
      }
      auto flight = FlightFor(buy, package, order.order_id, priority);
      if (!flight.ok()) return progress.Fail(step, flight.status(), false);
      std::string id;
      if (progress.uncertain() == step) {
        auto existing = FindFlight(order.order_id, (*flight)["Name"]);
        if (!existing.ok()) {
          order.upstream["uncertain"] =
              progress.uncertain();  // look again next time
          return progress.Fail(step, existing.status(), false);
        }
        id = *existing;
      }
      if (id.empty()) {
        auto created = Post(
            "/v1/flight", *flight,
            absl::StrCat("create flight for package ", package.package_id));
        if (!created.ok()) return progress.Fail(step, created.status(), true);
        id = *created;
      }
      order.line_ids[package.package_id] = id;
    }
    if (!buy.paused && !JsonBool(order.upstream, "activated", false)) {
      absl::Status activated =
          Modify(absl::StrCat("/v1/campaign/", order.order_id),
                 absl::StrCat("activate campaign ", order.order_id),
                 [](json& campaign) { campaign["IsActive"] = true; });
      if (!activated.ok())
        return progress.Fail("activate_campaign", activated, false);
      order.upstream["activated"] = true;
    }
    return absl::OkStatus();
  }

  absl::Status AddCreatives(
      const AdapterBuy& buy, const std::vector<AdapterCreative>& creatives,
      std::map<std::string, std::string>& uploaded) override {
    std::string advertiser = ConfigString(buy.upstream, "advertiser_id");
    if (advertiser.empty()) {
      ASSIGN_OR_RETURN(advertiser, Advertiser());
    }
    const std::string ad_type = ConfigString(context_.config, "ad_type_id");
    if (ad_type.empty() && !mode_.dry_run) {
      return absl::FailedPreconditionError(
          "adapters.kevel.ad_type_id is required to upload creatives");
    }
    std::map<std::string, std::string> lines;
    for (const AdapterPackage& package : buy.packages)
      if (!package.line_id.empty()) lines[package.package_id] = package.line_id;
    std::map<std::string, std::set<std::string>> ads_of_flight;
    for (const AdapterCreative& creative : creatives) {
      std::string id =
          IsKevelId(creative.platform_id) ? creative.platform_id : "";
      if (id.empty()) {
        ASSIGN_OR_RETURN(id, UploadCreative(creative, advertiser, ad_type));
      }
      uploaded[creative.creative_id] = id;
      for (const std::string& package_id : creative.package_ids) {
        auto line = lines.find(package_id);
        if (line == lines.end()) continue;
        const std::string& flight = line->second;
        if (!ads_of_flight.count(flight)) {
          ASSIGN_OR_RETURN(ads_of_flight[flight], AdsOfFlight(flight));
        }
        if (ads_of_flight[flight].count(id)) continue;
        json ad = {{"CampaignId", IdValue(buy.order_id)},
                   {"FlightId", IdValue(flight)},
                   {"Creative", {{"Id", IdValue(id)}}},
                   {"IsActive", true},
                   {"IsDeleted", false}};
        RETURN_IF_ERROR(
            Post(absl::StrCat("/v1/flight/", flight, "/creative"), ad,
                 absl::StrCat("create ad of creative ", creative.creative_id,
                              " for package ", package_id))
                .status());
        ads_of_flight[flight].insert(id);
      }
    }
    return absl::OkStatus();
  }

  absl::Status UpdateMediaBuy(const AdapterBuy& buy,
                              const AdapterUpdate& update) override {
    if (update.paused) {
      RETURN_IF_ERROR(Modify(
          absl::StrCat("/v1/campaign/", buy.order_id),
          absl::StrCat(*update.paused ? "pause" : "resume", " campaign ",
                       buy.order_id),
          [&](json& campaign) { campaign["IsActive"] = !*update.paused; }));
    }
    std::map<std::string, const AdapterPackage*> changed;
    for (const AdapterPackage& package : update.packages)
      changed[package.package_id] = &package;
    for (const AdapterPackage& package : buy.packages) {
      if (package.line_id.empty()) continue;
      auto change = changed.find(package.package_id);
      if (change == changed.end() && !update.start_time && !update.end_time)
        continue;
      RETURN_IF_ERROR(Modify(
          absl::StrCat("/v1/flight/", package.line_id),
          absl::StrCat("update flight of package ", package.package_id),
          [&](json& flight) {
            if (update.start_time)
              flight["StartDateISO"] = IsoTime(*update.start_time);
            if (update.end_time)
              flight["EndDateISO"] = IsoTime(*update.end_time);
            if (change == changed.end()) return;
            const AdapterPackage& now = *change->second;
            flight["IsActive"] = !now.paused;
            flight["CapType"] = kCapRevenue;
            flight["LifetimeCapAmount"] = WholeUnits(now.budget);
            if (now.impressions_goal > 0) {
              flight["GoalType"] = kGoalImpressions;
              flight["Impressions"] = now.impressions_goal;
            } else if (JsonInt(flight, "GoalType", 0) == kGoalLifetimeRevenue) {
              flight["Impressions"] = WholeUnits(now.budget);
            }
          }));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> GetStatus(const AdapterBuy& buy) override {
    ASSIGN_OR_RETURN(json campaign,
                     Get(absl::StrCat("/v1/campaign/", buy.order_id),
                         absl::StrCat("read campaign ", buy.order_id)));
    const absl::Time now = context_.clock();
    if (now >= buy.end_time) return std::string("completed");
    if (!JsonBool(campaign, "IsActive", !buy.paused))
      return std::string("paused");
    if (now < buy.start_time) return std::string("scheduled");
    return std::string("delivering");
  }

  absl::StatusOr<DeliveryReport> GetDelivery(const AdapterBuy& buy,
                                             absl::Time until) override {
    const absl::Time end = std::min(until, buy.end_time);
    std::map<std::string, PackageDeliveryReport> by_flight;
    if (end > buy.start_time) {
      json criteria = {
          {"StartDateISO", IsoTime(buy.start_time)},
          {"EndDateISO", IsoTime(end)},
          {"GroupBy", {"flightId"}},
          {"Parameters", {{{"campaignId", IdValue(buy.order_id)}}}}};
      ASSIGN_OR_RETURN(json queued,
                       Send("POST", "/v1/report/queue", criteria.dump(),
                            /*idempotent=*/true,
                            absl::StrCat("queue delivery report of campaign ",
                                         buy.order_id)));
      const std::string report = ConfigString(queued, "Id");
      if (report.empty())
        return absl::UnavailableError("Kevel queued no report (no Id)");
      ASSIGN_OR_RETURN(json result, PollReport(report));
      for (const json& record : JsonArray(result, "Records")) {
        for (const json& detail : JsonArray(record, "Details")) {
          const json grouping = JsonObject(detail, "Grouping");
          const std::string flight = ConfigString(grouping, "flightId");
          if (flight.empty()) continue;
          PackageDeliveryReport& line = by_flight[flight];
          line.impressions += JsonInt(detail, "Impressions", 0);
          line.clicks += JsonInt(detail, "Clicks", 0);
          line.spend += static_cast<Micros>(std::llround(
              JsonNumber(detail, "Revenue", 0.0) * kMicrosPerUnit));
        }
      }
    }
    return DeliveryFromLines(buy, until, std::move(by_flight));
  }

  std::vector<std::string> Journal() const override { return journal_.lines(); }

 private:
  std::string CampaignName(const AdapterBuy& buy) const {
    return absl::StrCat("AdCP ", buy.media_buy_id);
  }

  absl::StatusOr<json> FlightFor(const AdapterBuy& buy,
                                 const AdapterPackage& package,
                                 const std::string& campaign,
                                 const std::string& priority) const {
    json flight = {
        {"Name",
         absl::StrCat("AdCP ", buy.media_buy_id, " ", package.package_id)},
        {"CampaignId", IdValue(campaign)},
        {"PriorityId", priority.empty() ? json(0) : IdValue(priority)},
        {"StartDateISO", IsoTime(buy.start_time)},
        {"EndDateISO", IsoTime(buy.end_time)},
        {"IsActive", !buy.paused && !package.paused},
        {"IsDeleted", false},
        {"CapType", kCapRevenue},
        {"LifetimeCapAmount", WholeUnits(package.budget)}};
    const std::string& model = package.pricing_model;
    if (model == "cpm" || model == "vcpm") {
      flight["RateType"] = kRateCpm;
    } else if (model == "cpc") {
      flight["RateType"] = kRateCpc;
    } else if (model == "flat_rate") {
      flight["RateType"] = kRateFlat;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "Kevel has no rate type for pricing model '", model, "' (package ",
          package.package_id, "): cpm, vcpm, cpc or flat_rate"));
    }
    const Micros price = model == "flat_rate" ? package.budget : package.rate;
    flight["Price"] = static_cast<double>(price) / kMicrosPerUnit;
    if (package.impressions_goal > 0) {
      flight["GoalType"] = kGoalImpressions;
      flight["Impressions"] = package.impressions_goal;
    } else {
      flight["GoalType"] = kGoalLifetimeRevenue;
      flight["Impressions"] = WholeUnits(package.budget);
    }
    return flight;
  }

  // platform_mappings.kevel.advertiser_id, else the advertiser titled after
  // the principal, created when there is none.
  absl::StatusOr<std::string> Advertiser() {
    std::string mapped = MappedId(context_.principal_mappings,
                                  kKevelAdapterName, "advertiser_id");
    if (!mapped.empty()) return mapped;
    const std::string title = absl::StrCat("AdCP ", context_.principal_id);
    ASSIGN_OR_RETURN(json list, Get("/v1/advertiser", "list advertisers"));
    for (const json& advertiser : JsonArray(list, "items")) {
      if (JsonString(advertiser, "Title") == title &&
          !JsonBool(advertiser, "IsDeleted", false))
        return IdOf(advertiser);
    }
    return Post("/v1/advertiser",
                {{"Title", title}, {"IsActive", true}, {"IsDeleted", false}},
                absl::StrCat("create advertiser ", title));
  }

  absl::StatusOr<std::string> FindCampaign(const std::string& name,
                                           const std::string& advertiser) {
    ASSIGN_OR_RETURN(json list, Get("/v1/campaign", "list campaigns"));
    for (const json& campaign : JsonArray(list, "items")) {
      if (JsonString(campaign, "Name") == name &&
          ConfigString(campaign, "AdvertiserId") == advertiser &&
          !JsonBool(campaign, "IsDeleted", false))
        return IdOf(campaign);
    }
    return std::string();
  }

  absl::StatusOr<std::string> FindFlight(const std::string& campaign,
                                         const std::string& name) {
    ASSIGN_OR_RETURN(json list,
                     Get(absl::StrCat("/v1/campaign/", campaign, "/flight"),
                         absl::StrCat("list flights of campaign ", campaign)));
    for (const json& flight : JsonArray(list, "items")) {
      if (JsonString(flight, "Name") == name &&
          !JsonBool(flight, "IsDeleted", false))
        return IdOf(flight);
    }
    return std::string();
  }

  absl::StatusOr<std::set<std::string>> AdsOfFlight(const std::string& flight) {
    ASSIGN_OR_RETURN(json list,
                     Get(absl::StrCat("/v1/flight/", flight, "/creative"),
                         absl::StrCat("list ads of flight ", flight)));
    std::set<std::string> creatives;
    for (const json& ad : JsonArray(list, "items")) {
      if (!JsonBool(ad, "IsDeleted", false))
        creatives.insert(IdOf(JsonObject(ad, "Creative")));
    }
    return creatives;
  }

  absl::StatusOr<std::string> UploadCreative(const AdapterCreative& creative,
                                             const std::string& advertiser,
                                             const std::string& ad_type) {
    json body = {
        {"AdvertiserId", IdValue(advertiser)},
        {"AdTypeId", ad_type.empty() ? json(0) : IdValue(ad_type)},
        {"Title", creative.name.empty() ? creative.creative_id : creative.name},
        {"IsActive", true},
        {"IsDeleted", false}};
    const std::string click = ClickUrl(creative.assets);
    if (!click.empty()) body["Url"] = click;
    const json image = FindAsset(creative.assets, "image");
    const json html = FindAsset(creative.assets, "html");
    if (image.is_object()) {
      body["ImageLink"] = JsonString(image, "url");
    } else if (html.is_object()) {
      body["IsHTMLJS"] = true;
      body["ScriptBody"] = JsonString(html, "content");
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("creative ", creative.creative_id,
                       " has no image or html asset Kevel can serve"));
    }
    return Post("/v1/creative", body,
                absl::StrCat("create creative ", creative.creative_id));
  }

  absl::StatusOr<json> PollReport(const std::string& report) {
    const int attempts =
        static_cast<int>(JsonInt(context_.config, "report_poll_attempts", 30));
    const absl::Duration interval = absl::Milliseconds(
        JsonInt(context_.config, "report_poll_interval_ms", 1000));
    for (int attempt = 0; attempt < std::max(1, attempts); ++attempt) {
      if (attempt > 0) Sleep(interval);
      ASSIGN_OR_RETURN(json status,
                       Get(absl::StrCat("/v1/report/queue/", report),
                           absl::StrCat("read report ", report)));
      const int state = JsonInt(status, "Status", 0);
      if (state == kReportComplete) return JsonObject(status, "Result");
      if (state == kReportFailed) {
        // Kevel's words stay in the log: an adapter's own messages may
        // reach buyers (the service passes them on), Kevel's may not.
        absl::Status failed = absl::UnavailableError(
            absl::StrCat("Kevel failed report ", report, ": ",
                         JsonString(status, "Message")));
        SetUpstreamSummary(failed,
                           absl::StrCat("Kevel failed report ", report));
        return failed;
      }
    }
    return absl::DeadlineExceededError(
        absl::StrCat("Kevel report ", report, " was not ready in time"));
  }

  void Sleep(absl::Duration interval) {
    if (mode_.dry_run) return;
    if (deps_.sleep) {
      deps_.sleep(interval);
    } else {
      absl::SleepFor(interval);
    }
  }

  // GET, change, PUT the whole object (Kevel resets omitted fields).
  absl::Status Modify(const std::string& path, const std::string& what,
                      const std::function<void(json&)>& change) {
    ASSIGN_OR_RETURN(json object, Get(path, what));
    if (!object.is_object())
      return absl::UnavailableError(
          absl::StrCat("Kevel answered ", what, " without the object"));
    change(object);
    return Send("PUT", path, object.dump(), /*idempotent=*/true, what).status();
  }

  absl::StatusOr<json> Get(const std::string& path, const std::string& what) {
    return Send("GET", path, "", /*idempotent=*/true, what);
  }

  // POSTs a new object; its id.
  absl::StatusOr<std::string> Post(const std::string& path, const json& body,
                                   const std::string& what) {
    ASSIGN_OR_RETURN(json created, Send("POST", path, body.dump(),
                                        /*idempotent=*/false, what));
    std::string id = IdOf(created);
    if (id.empty()) {
      return absl::UnavailableError(
          absl::StrCat("Kevel answered ", what, " without an Id"));
    }
    return id;
  }

  absl::StatusOr<json> Send(const std::string& method, const std::string& path,
                            std::string body, bool idempotent,
                            const std::string& what) {
    HttpRequest request{.method = method,
                        .url = base_url_ + path,
                        .headers = {{"Accept", "application/json"}},
                        .body = std::move(body)};
    if (!request.body.empty())
      request.headers["Content-Type"] = "application/json";
    journal_.Record(request);
    if (mode_.dry_run) return DryRunAnswer(method, path);
    request.headers["X-Adzerk-ApiKey"] = mode_.credential;
    ASSIGN_OR_RETURN(HttpResponse response,
                     client_.Call(request, idempotent, what));
    json parsed = json::parse(response.body, nullptr, false);
    if (parsed.is_discarded()) {
      return absl::UnavailableError(absl::StrCat(
          "Kevel answered ", what, " with a body that is not JSON"));
    }
    return parsed;
  }

  // What Kevel would plausibly answer, without calling it.
  json DryRunAnswer(const std::string& method, const std::string& path) {
    if (method == "POST" && path == "/v1/report/queue")
      return {{"Id", "dryrun-report"}};
    if (method == "POST")
      return {{"Id", absl::StrCat("dryrun-", ++dry_run_ids_)}};
    if (path.starts_with("/v1/report/queue/"))
      return {{"Status", kReportComplete},
              {"Result", {{"Records", json::array()}}}};
    if (path == "/v1/advertiser" || path == "/v1/campaign" ||
        path.ends_with("/flight") || path.ends_with("/creative"))
      return {{"items", json::array()}};
    return json::object();
  }

  AdapterContext context_;
  AdapterDeps deps_;
  AdapterMode mode_;
  std::string name_;
  std::string base_url_;
  UpstreamClient client_;
  CallJournal journal_;
  int dry_run_ids_ = 0;
};

}  // namespace

AdapterFactory KevelAdapterFactory(AdapterDeps deps) {
  auto shared = std::make_shared<AdapterDeps>(std::move(deps));
  return [shared](const AdapterContext& context)
             -> absl::StatusOr<std::unique_ptr<AdServerAdapter>> {
    ASSIGN_OR_RETURN(
        AdapterMode mode,
        ResolveMode(context, *shared, kKevelAdapterName, "api_key_secret"));
    return std::unique_ptr<AdServerAdapter>(
        new KevelAdapter(context, *shared, std::move(mode)));
  };
}

}  // namespace adcp::media_buy
