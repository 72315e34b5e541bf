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
                    prometheus::Family<prometheus::Counter>* calls,
                    std::shared_ptr<httpsig::MemoryReplayCache> front)
      : stub_(std::move(stub)),
        tenant_id_(std::move(tenant_id)),
        cap_(cap),
        deadline_(deadline),
        calls_(calls),
        front_(std::move(front)) {}

  // This replica's memory only: auth answers the shared cap when the nonce
  // is recorded.
  bool AtCap(std::string_view keyid, absl::Time now) override {
    return front_->AtCap(keyid, now);
  }

  Recorded Insert(std::string_view keyid, std::string_view nonce,
                  absl::Time until, absl::Time now) override {
    const Recorded local = front_->Insert(keyid, nonce, until, now);
    if (local != Recorded::kNew) return local;
    auth::v1::RecordSignatureNonceRequest request;
    request.set_key_id(std::string(keyid));
    request.set_nonce(std::string(nonce));
    request.set_expires_unix(absl::ToUnixSeconds(until));
    request.set_per_key_cap(cap_);
    const Recorded shared = Call(request);
    Count(shared);
    // Not recorded anywhere: the same request may come again.
    if (shared == Recorded::kUnavailable || shared == Recorded::kOverCap)
      front_->Erase(keyid, nonce);
    return shared;
  }

 private:
  Recorded Call(const auth::v1::RecordSignatureNonceRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
    if (absl::Status forwarded =
            ForwardTenant(&context, ForwardedCall{.tenant_id = tenant_id_});
        !forwarded.ok()) {
      log::Error("nonce not recorded", {{"error", forwarded.ToString()}});
      return Recorded::kUnavailable;
    }
    Outcome response;
    const grpc::Status status =
        stub_->RecordSignatureNonce(&context, request, &response);
    if (!status.ok()) {
      log::Error("the shared replay cache did not answer",
                 {{"tenant_id", tenant_id_},
                  {"code", static_cast<int>(status.error_code())},
                  {"error", status.error_message()}});
      return Recorded::kUnavailable;
    }
    switch (response.outcome()) {
      case Outcome::RECORDED:
        return Recorded::kNew;
      case Outcome::REPLAYED:
        return Recorded::kReplayed;
      case Outcome::AT_CAP:
        return Recorded::kOverCap;
      default:
        return Recorded::kUnavailable;
    }
  }

  void Count(Recorded outcome) {
    if (calls_ == nullptr) return;
    const char* name = outcome == Recorded::kNew        ? "recorded"
                       : outcome == Recorded::kReplayed ? "replayed"
                       : outcome == Recorded::kOverCap  ? "at_cap"
                                                        : "unavailable";
    calls_->Add({{"outcome", name}}).Increment();
  }

  const std::shared_ptr<auth::v1::Auth::Stub> stub_;
  const std::string tenant_id_;
  const uint32_t cap_;
  const absl::Duration deadline_;
  prometheus::Family<prometheus::Counter>* const calls_;
  const std::shared_ptr<httpsig::MemoryReplayCache> front_;
};

}  // namespace

SharedReplayStores::SharedReplayStores(
    std::shared_ptr<grpc::Channel> auth,
    prometheus::Family<prometheus::Counter>* calls, absl::Duration deadline)
    : stub_(auth::v1::Auth::NewStub(std::move(auth))),
      calls_(calls),
      deadline_(deadline) {}

std::shared_ptr<httpsig::ReplayCache> SharedReplayStores::For(
    const std::string& tenant_id, uint32_t per_key_cap) {
  return std::make_shared<SharedReplayCache>(
      stub_, tenant_id, per_key_cap, deadline_, calls_,
      fronts_.Memory(tenant_id, per_key_cap));
}

}  // namespace adcp::agent_edge
