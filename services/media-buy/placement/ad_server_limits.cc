#include "services/media-buy/placement/ad_server_limits.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/base/log.h"
#include "libs/base/status.h"
#include "services/media-buy/domain/adcp_error.h"

namespace adcp::media_buy {
absl::Status AdServerSession::Reserve() {
  if (slot_.held() || bulkhead_ == nullptr) return absl::OkStatus();
  absl::StatusOr<TenantBulkhead::Slot> slot = bulkhead_->Acquire(tenant_id_);
  if (!slot.ok()) {
    log::Warn("ad server bulkhead full: request refused",
              {{"tenant_id", tenant_id_}, {"slots", bulkhead_->per_tenant()}});
    return AdcpError("SERVICE_UNAVAILABLE", "",
                     absl::StrCat("this publisher's ad server is busy with ",
                                  bulkhead_->per_tenant(),
                                  " other requests; nothing was changed"),
                     "retry in a few seconds");
  }
  slot_ = *std::move(slot);
  return absl::OkStatus();
}

namespace {

// A request over one of its limits on the ad server: logged (`event`, the
// call `what` under `key`, the limit) and refused as INVALID_REQUEST.
absl::Status OverLimit(std::string_view event, const std::string& tenant_id,
                       std::string_view key, std::string_view what, int limit,
                       const std::string& message) {
  log::Warn(
      event,
      {{"tenant_id", tenant_id}, {key, std::string(what)}, {"limit", limit}});
  return AdcpError("INVALID_REQUEST", "", message,
                   "ask for fewer media buys at a time");
}

}  // namespace

absl::Status AdServerSession::Charge(std::string_view operation) {
  if (calls_ >= max_calls_)
    return OverLimit(
        "ad server fan-out limit reached: request refused", tenant_id_,
        "operation", operation, max_calls_,
        absl::StrCat("this request needs more than ", max_calls_,
                     " ad-server calls, the most one request may make"));
  ++calls_;
  return absl::OkStatus();
}

absl::Status AdServerSession::ChargeHttpRequest(std::string_view what) {
  if (http_requests_ >= max_http_requests_)
    return OverLimit(
        "ad server request limit reached: request refused", tenant_id_, "call",
        what, max_http_requests_,
        absl::StrCat("this request needs more than ", max_http_requests_,
                     " requests to the ad server, the most one "
                     "request may send"));
  ++http_requests_;
  return absl::OkStatus();
}

namespace {

class GuardedAdapter final : public AdServerAdapter {
 public:
  GuardedAdapter(std::unique_ptr<AdServerAdapter> inner,
                 AdServerSession* session)
      : inner_(std::move(inner)), session_(session) {}

  const std::string& name() const override { return inner_->name(); }
  bool dry_run() const override { return inner_->dry_run(); }

  absl::Status CreateMediaBuy(const AdapterBuy& buy,
                              CreatedOrder& order) override {
    if (absl::Status admitted = Admit("create_media_buy"); !admitted.ok()) {
      if (order.failed_step.empty()) order.failed_step = "admission";
      return admitted;
    }
    ScopedHttpRequestBudget scoped(session_);
    return inner_->CreateMediaBuy(buy, order);
  }
  absl::Status AddCreatives(
      const AdapterBuy& buy, const std::vector<AdapterCreative>& creatives,
      std::map<std::string, std::string>& uploaded) override {
    RETURN_IF_ERROR(Admit("add_creatives"));
    ScopedHttpRequestBudget scoped(session_);
    return inner_->AddCreatives(buy, creatives, uploaded);
  }
  absl::Status UpdateMediaBuy(const AdapterBuy& buy,
                              const AdapterUpdate& update) override {
    RETURN_IF_ERROR(Admit("update_media_buy"));
    ScopedHttpRequestBudget scoped(session_);
    return inner_->UpdateMediaBuy(buy, update);
  }
  absl::StatusOr<std::string> GetStatus(const AdapterBuy& buy) override {
    RETURN_IF_ERROR(Admit("get_status"));
    ScopedHttpRequestBudget scoped(session_);
    return inner_->GetStatus(buy);
  }
  absl::StatusOr<DeliveryReport> GetDelivery(const AdapterBuy& buy,
                                             absl::Time until) override {
    RETURN_IF_ERROR(Admit("get_delivery"));
    ScopedHttpRequestBudget scoped(session_);
    return inner_->GetDelivery(buy, until);
  }
  std::vector<std::string> Journal() const override {
    return inner_->Journal();
  }

 private:
  absl::Status Admit(std::string_view operation) {
    if (session_ == nullptr) return absl::OkStatus();
    if (absl::Status reserved = session_->Reserve(); !reserved.ok())
      return reserved;
    return session_->Charge(operation);
  }

  std::unique_ptr<AdServerAdapter> inner_;
  AdServerSession* session_;
};

}  // namespace

std::unique_ptr<AdServerAdapter> GuardAdapter(
    std::unique_ptr<AdServerAdapter> inner, AdServerSession* session) {
  return std::make_unique<GuardedAdapter>(std::move(inner), session);
}

}  // namespace adcp::media_buy
