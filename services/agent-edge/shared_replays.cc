#include "services/agent-edge/shared_replays.h"

#include "absl/strings/str_cat.h"
#include "libs/base/log.h"
#include "libs/tenancy/metadata.h"

namespace adcp::agent_edge {
namespace {

using Outcome = auth::v1::RecordSignatureNonceResponse;

class SharedReplayCache : public httpsig::ReplayCache {
 public:
  SharedReplayCache(std::shared_ptr<auth::v1::Auth::Stub> stub,
                    std::string tenant_id, uint32_t cap,
                    absl::Duration deadline,
                    std::shared_ptr<httpsig::ReplayCache> front)
      : stub_(std::move(stub)),
        tenant_id_(std::move(tenant_id)),
        cap_(cap),
        deadline_(deadline),
        front_(std::move(front)) {}

  bool AtCap(std::string_view keyid, absl::Time now) override {
    if (front_->AtCap(keyid, now)) return true;
    auth::v1::RecordSignatureNonceRequest request;
    request.set_key_id(std::string(keyid));
    request.set_check_cap_only(true);
    std::optional<Outcome::Outcome> outcome = Call(request);
    return outcome == Outcome::AT_CAP;
  }

  bool Insert(std::string_view keyid, std::string_view nonce, absl::Time until,
              absl::Time now, bool* over_cap) override {
    if (!front_->Insert(keyid, nonce, until, now, over_cap)) return false;
    auth::v1::RecordSignatureNonceRequest request;
    request.set_key_id(std::string(keyid));
    request.set_nonce(std::string(nonce));
    request.set_expires_unix(absl::ToUnixSeconds(until));
    std::optional<Outcome::Outcome> outcome = Call(request);
    *over_cap = outcome == Outcome::AT_CAP;
    return outcome == Outcome::RECORDED;
  }

 private:
  std::optional<Outcome::Outcome> Call(
      auth::v1::RecordSignatureNonceRequest& request) {
    request.set_per_key_cap(cap_);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
    if (absl::Status forwarded =
            ForwardTenant(&context, ForwardedCall{.tenant_id = tenant_id_});
        !forwarded.ok()) {
      log::Error("nonce not recorded", {{"error", forwarded.ToString()}});
      return std::nullopt;
    }
    Outcome response;
    const grpc::Status status =
        stub_->RecordSignatureNonce(&context, request, &response);
    if (!status.ok()) {
      log::Error("the shared replay cache did not answer",
                 {{"tenant_id", tenant_id_},
                  {"code", static_cast<int>(status.error_code())},
                  {"error", status.error_message()}});
      return std::nullopt;
    }
    return response.outcome();
  }

  const std::shared_ptr<auth::v1::Auth::Stub> stub_;
  const std::string tenant_id_;
  const uint32_t cap_;
  const absl::Duration deadline_;
  const std::shared_ptr<httpsig::ReplayCache> front_;
};

}  // namespace

SharedReplayStores::SharedReplayStores(std::shared_ptr<grpc::Channel> auth,
                                       absl::Duration deadline)
    : stub_(auth::v1::Auth::NewStub(std::move(auth))), deadline_(deadline) {}

std::shared_ptr<httpsig::ReplayCache> SharedReplayStores::For(
    const std::string& tenant_id, uint32_t per_key_cap) {
  return std::make_shared<SharedReplayCache>(
      stub_, tenant_id, per_key_cap, deadline_,
      fronts_.For(tenant_id, per_key_cap));
}

}  // namespace adcp::agent_edge
