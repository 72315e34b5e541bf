#include "services/media-buy/tasks/comply.h"

#include "absl/strings/match.h"
#include "libs/base/status.h"
#include "services/media-buy/sandbox/comply_controller.h"
#include "services/media-buy/store/audit_store.h"

namespace adcp::media_buy::tasks {

namespace pb = ::adcp::media_buy::v1;

absl::Status ComplyTestController(
    const TaskContext& context, const Call& call,
    const pb::ComplyTestControllerRequest& request,
    pb::ComplyTestControllerResponse* response) {
  // Absent, as an unknown task, outside sandbox tenants.
  if (!call.tenant->config().sandbox())
    return absl::NotFoundError(
        "comply_test_controller: no such task (sandbox tenants only)");
  const ControllerCall controller{
      .principal_id = call.ctx.principal_id,
      .tenant = call.tenant.get(),
      .now = context.options.clock(),
      .formats = &context.formats,
      .publisher_base_domain = context.options.publisher_base_domain};
  RETURN_IF_ERROR(context.InTransaction(call, [&](TenantTxn& txn) {
    RETURN_IF_ERROR(
        RunComplyTestController(txn, controller, request, response));
    if (response->success() && request.scenario() != "list_scenarios")
      AuditStore::Insert(txn, "comply_test_controller", call.ctx.principal_id,
                         "",
                         {{"scenario", request.scenario()},
                          {"params", StructToJson(request.params())}});
    return absl::OkStatus();
  }));
  // seed_product and seed_pricing_option change products,
  // force_account_status an account (this replica reads its own write at
  // once; the others on the triggers' notifications).
  if (absl::StartsWith(request.scenario(), "seed_"))
    context.products.Invalidate(call.ctx.tenant_id);
  if (request.scenario() == "force_account_status")
    context.accounts.Invalidate(call.ctx.tenant_id);
  *response->mutable_context() = request.context();
  return absl::OkStatus();
}

}  // namespace adcp::media_buy::tasks
