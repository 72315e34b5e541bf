#include "services/media-buy/media_buy_service.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "libs/tenancy/call_context.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/ids_and_hashes.h"
#include "services/media-buy/tasks/accounts.h"
#include "services/media-buy/tasks/comply.h"
#include "services/media-buy/tasks/create_media_buy.h"
#include "services/media-buy/tasks/creatives.h"
#include "services/media-buy/tasks/feedback.h"
#include "services/media-buy/tasks/human_tasks.h"
#include "services/media-buy/tasks/media_buy_reads.h"
#include "services/media-buy/tasks/products.h"
#include "services/media-buy/tasks/update_media_buy.h"
#include "services/media-buy/tasks/webhook_deliveries.h"
#include "services/media-buy/tasks/webhook_signing_keys.h"

namespace adcp::media_buy {

namespace pb = ::adcp::media_buy::v1;

namespace {

// A request id we echo to buyers and write to logs: the caller's
// x-request-id when it is a plain token, else one of ours.
bool IsPlainRequestId(const std::string& id) {
  return !id.empty() && id.size() <= 128 &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
                  c == ':';
         });
}

}  // namespace

const ServicePolicy& MediaBuyService::Policy() {
#define ADCP_POLICY(Method, Request, Response, scope, audited) \
  {#Method, CallScope::scope},
  static const ServicePolicy* policy =
      new ServicePolicy{ADCP_MEDIA_BUY_RPCS(ADCP_POLICY)};
#undef ADCP_POLICY
  return *policy;
}

MediaBuyService::MediaBuyService(const CallGuard& guard, PgPool& pool,
                                 TenantLookup tenants,
                                 const AdapterRegistry& adapters,
                                 AuditLog& audit, ProductCache& products,
                                 AccountCache& accounts,
                                 MediaBuyOptions options)
    : guard_(guard),
      tenants_(std::move(tenants)),
      audit_(audit),
      options_(std::move(options)),
      formats_(options_.format_agent_url),
      bulkhead_(options_.ad_server_limits.concurrency_per_tenant,
                options_.ad_server_limits.slot_wait),
      tasks_{.pool = pool,
             .products = products,
             .accounts = accounts,
             .adapters = adapters,
             .options = options_,
             .formats = formats_} {}

template <typename Task>
grpc::Status MediaBuyService::Serve(grpc::ServerContext* context,
                                    const char* method, bool mutating,
                                    Task&& task) {
  return guard_.Run(context, method, [&](const CallContext& admitted) {
    Call call{.ctx = admitted, .tenant = tenants_(admitted.tenant_id)};
    // Every request has an id: logs carry it, and an ad-server failure
    // answers with it instead of the ad server's text.
    if (!IsPlainRequestId(call.ctx.request_id))
      call.ctx.request_id = NewId("req_");
    const CallContext& ctx = call.ctx;
    ScopedCallContext scoped(ctx);
    call.ad_server = std::make_shared<AdServerSession>(
        &bulkhead_, ctx.tenant_id,
        options_.ad_server_limits.max_calls_per_request,
        options_.ad_server_limits.max_http_requests_per_request);
    const auto& metadata = context->client_metadata();
    auto dry = metadata.find(kDryRunKey);
    call.dry_run =
        options_.dry_run || (dry != metadata.end() &&
                             (dry->second == "true" || dry->second == "1"));
    absl::Status status =
        call.tenant ? task(tasks_, call)
                    : absl::UnavailableError("tenant configuration not loaded");
    if (!status.ok()) {
      AttachError(context, status);
      if (mutating) {
        const pb::Error error = ErrorOf(status);
        audit_.Record({.tenant_id = ctx.tenant_id,
                       .operation = method,
                       .principal_id = ctx.principal_id,
                       .success = false,
                       .details = {{"error_code", error.code()},
                                   {"field", error.field()},
                                   {"message", error.message()}}});
      }
    }
    return status;
  });
}

// One method per RPC: the guard, then its task (tasks::<Method>).
#define ADCP_SERVE(Method, Request, Response, scope, audited)              \
  grpc::Status MediaBuyService::Method(grpc::ServerContext* context,       \
                                       const pb::Request* request,         \
                                       pb::Response* response) {           \
    return Serve(context, #Method, audited,                                \
                 [&](const TaskContext& shared, const Call& call) {        \
                   return tasks::Method(shared, call, *request, response); \
                 });                                                       \
  }
ADCP_MEDIA_BUY_RPCS(ADCP_SERVE)
#undef ADCP_SERVE

}  // namespace adcp::media_buy
