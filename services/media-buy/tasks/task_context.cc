#include "services/media-buy/tasks/task_context.h"

#include "libs/base/status.h"

namespace adcp::media_buy {

namespace {

// Rolls a dry run's transaction back after the answer was built.
constexpr char kDryRunRollback[] = "dry run: rolled back";

}  // namespace

Placement TaskContext::PlacementOf(const Call& call) const {
  return Placement(
      adapters, options.clock, call.ctx, *call.tenant,
      [&call]() -> const TenantConfigView& { return call.config(); },
      call.dry_run, call.ad_server.get());
}

absl::Status TaskContext::InTransaction(
    const Call& call, const std::function<absl::Status(TenantTxn&)>& fn) const {
  absl::Status status =
      pool.WithTenantTransaction(call.ctx.tenant_id, [&](TenantTxn& txn) {
        RETURN_IF_ERROR(fn(txn));
        if (call.dry_run) return absl::AbortedError(kDryRunRollback);
        return absl::OkStatus();
      });
  if (call.dry_run && status.code() == absl::StatusCode::kAborted &&
      status.message() == kDryRunRollback) {
    return absl::OkStatus();
  }
  return status;
}

}  // namespace adcp::media_buy
