#include "libs/tenancy/call_context.h"

namespace adcp {
namespace {
thread_local const CallContext* current_context = nullptr;
}  // namespace

const CallContext* CurrentCallContext() { return current_context; }

ScopedCallContext::ScopedCallContext(const CallContext& context)
    : previous_(current_context),
      log_fields_{.tenant_id = context.tenant_id,
                  .request_id = context.request_id},
      log_scope_(log_fields_) {
  current_context = &context;
}

ScopedCallContext::~ScopedCallContext() { current_context = previous_; }

}  // namespace adcp
