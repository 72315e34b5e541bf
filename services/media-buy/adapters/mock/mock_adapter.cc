#include "services/media-buy/adapters/mock/mock_adapter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/base/log.h"

namespace adcp::media_buy {
namespace {

// Click-through rate of the simulation: 0.12%.
constexpr int64_t kClicksPerTenThousand = 12;
// CPM assumed for models that do not price by impressions.
constexpr Micros kNominalCpm = 10 * kMicrosPerUnit;

class MockAdapter final : public AdServerAdapter {
 public:
  explicit MockAdapter(const AdapterContext& context)
      : context_(context), name_(kMockAdapterName) {}

  const std::string& name() const override { return name_; }
  bool dry_run() const override { return context_.dry_run; }

  absl::Status CreateMediaBuy(const AdapterBuy& buy,
                              CreatedOrder& order) override {
    order.order_id = absl::StrCat("mock-order-", buy.media_buy_id);
    Record("create_order", order.order_id,
           absl::StrCat("advertiser=", Advertiser(), " currency=", buy.currency,
                        " start=", absl::FormatTime(buy.start_time),
                        " end=", absl::FormatTime(buy.end_time)));
    for (const AdapterPackage& package : buy.packages) {
      const std::string line = absl::StrCat("mock-line-", package.package_id);
      order.line_ids[package.package_id] = line;
      Record("create_line", line,
             absl::StrCat("order=", order.order_id, " product=",
                          package.product_id, " model=", package.pricing_model,
                          " budget=", DecimalFromMicros(package.budget),
                          " pacing=", package.pacing));
    }
    return absl::OkStatus();
  }

  absl::Status AddCreatives(
      const AdapterBuy& buy, const std::vector<AdapterCreative>& creatives,
      std::map<std::string, std::string>& uploaded) override {
    for (const AdapterCreative& creative : creatives) {
      const std::string id =
          absl::StrCat("mock-creative-", creative.creative_id);
      uploaded[creative.creative_id] = id;
      Record("upload_creative", id,
             absl::StrCat("format=", creative.format_id,
                          " lines=", absl::StrJoin(creative.package_ids, ",")));
    }
    return absl::OkStatus();
  }

  absl::Status UpdateMediaBuy(const AdapterBuy& buy,
                              const AdapterUpdate& update) override {
    std::string what;
    if (update.paused)
      absl::StrAppend(&what, *update.paused ? " pause" : " resume");
    if (update.start_time)
      absl::StrAppend(&what, " start=", absl::FormatTime(*update.start_time));
    if (update.end_time)
      absl::StrAppend(&what, " end=", absl::FormatTime(*update.end_time));
    for (const AdapterPackage& package : update.packages) {
      absl::StrAppend(&what, " line ", package.package_id,
                      " budget=", DecimalFromMicros(package.budget),
                      package.paused ? " paused" : "");
    }
    Record("update_order", buy.order_id, what);
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> GetStatus(const AdapterBuy& buy) override {
    const absl::Time now = context_.clock();
    if (now >= buy.end_time) return std::string("completed");
    if (buy.paused) return std::string("paused");
    if (now < buy.start_time) return std::string("scheduled");
    return std::string("delivering");
  }

  absl::StatusOr<DeliveryReport> GetDelivery(const AdapterBuy& buy,
                                             absl::Time until) override {
    DeliveryReport report;
    absl::Time cutoff = std::min(until, buy.end_time);
    if (buy.paused && buy.paused_at) cutoff = std::min(cutoff, *buy.paused_at);
    const double flight = absl::ToDoubleSeconds(buy.end_time - buy.start_time);
    const double elapsed =
        std::clamp(absl::ToDoubleSeconds(cutoff - buy.start_time), 0.0, flight);
    const double f = flight > 0 ? elapsed / flight : 0;
    for (const AdapterPackage& package : buy.packages) {
      PackageDeliveryReport line;
      line.package_id = package.package_id;
      const double curve = MockSpendCurve(package.pacing, f);
      line.spend = static_cast<Micros>(std::llround(package.budget * curve));
      line.pacing_index = f > 0 ? curve / f : 0;
      const Micros cpm =
          (package.pricing_model == "cpm" || package.pricing_model == "vcpm") &&
                  package.rate > 0
              ? package.rate
              : kNominalCpm;
      if (package.pricing_model == "cpc" && package.rate > 0) {
        line.clicks = line.spend / package.rate;
        line.impressions = line.clicks * 10000 / kClicksPerTenThousand;
      } else {
        line.impressions = static_cast<int64_t>(
            static_cast<__int128>(line.spend) * 1000 / cpm);
        line.clicks = line.impressions * kClicksPerTenThousand / 10000;
      }
      // Empty while not delivering (before the flight, or paused).
      if (until < buy.start_time) {
        line.delivery_status.clear();
      } else if (f >= 1.0 || curve >= 1.0) {
        line.delivery_status =
            until >= buy.end_time ? "completed" : "budget_exhausted";
      } else if (!buy.paused && !package.paused) {
        line.delivery_status = "delivering";
      }
      report.packages.push_back(std::move(line));
    }
    return report;
  }

  std::vector<std::string> Journal() const override { return journal_; }

 private:
  std::string Advertiser() const {
    const nlohmann::json& mappings = context_.principal_mappings;
    if (mappings.contains("mock") && mappings["mock"].is_object() &&
        mappings["mock"].contains("advertiser_id")) {
      return mappings["mock"]["advertiser_id"].dump();
    }
    return context_.principal_id;
  }

  void Record(const char* call, const std::string& id,
              const std::string& detail) {
    std::string line = absl::StrCat(call, " ", id, " ", detail);
    if (context_.dry_run) {
      log::Info("adapter dry_run", {{"tenant_id", context_.tenant_id},
                                    {"adapter", name_},
                                    {"call", line}});
    }
    journal_.push_back(std::move(line));
  }

  AdapterContext context_;
  std::string name_;
  std::vector<std::string> journal_;
};

}  // namespace

double MockSpendCurve(const std::string& pacing, double f) {
  f = std::clamp(f, 0.0, 1.0);
  if (pacing == "asap") return std::min(1.0, 2 * f);
  if (pacing == "front_loaded") return 1 - (1 - f) * (1 - f);
  return f;
}

AdapterFactory MockAdapterFactory() {
  return [](const AdapterContext& context)
             -> absl::StatusOr<std::unique_ptr<AdServerAdapter>> {
    return std::make_unique<MockAdapter>(context);
  };
}

}  // namespace adcp::media_buy
