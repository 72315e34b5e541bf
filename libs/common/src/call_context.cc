#include "adcp/common/call_context.h"

namespace adcp {
namespace {
thread_local const CallContext* current_context = nullptr;
}  // namespace

const CallContext* CurrentCallContext() { return current_context; }

ScopedCallContext::ScopedCallContext(const CallContext& context)
    : previous_(current_context) {
  current_context = &context;
}

ScopedCallContext::~ScopedCallContext() { current_context = previous_; }

}  // namespace adcp
