// Tasks with an idempotency_key: the same request again replays the stored
// answer; a different request under the same key is refused.
#pragma once

#include <google/protobuf/message.h>

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/base/status.h"
#include "libs/db/pg_pool.h"
#include "services/media-buy/domain/records.h"
#include "services/media-buy/tasks/task_context.h"

namespace adcp::media_buy::tasks {

// Claims the request's idempotency key `key` for the caller. True, with
// `response` filled from the stored answer, when the same payload was seen
// before; a different payload under the same key is IDEMPOTENCY_CONFLICT, a
// key older than `ttl` IDEMPOTENCY_EXPIRED, a key whose original request
// still runs CONFLICT.
absl::StatusOr<bool> ClaimKey(TenantTxn& txn, const Call& call,
                              const std::string& key, const char* operation,
                              const google::protobuf::Message& request,
                              absl::Duration ttl,
                              google::protobuf::Message* response);

// Stores `response` (without its context) as the caller's answer under
// `key`, and `audit` with it in one statement when given.
void StoreAnswer(TenantTxn& txn, const Call& call, const std::string& key,
                 const google::protobuf::Message& response,
                 const AuditEntry* audit = nullptr);

// InTransaction for a task with an idempotency_key: claims the key, replays
// the stored answer of the same request, refuses a different one under the
// same key (IDEMPOTENCY_CONFLICT), else runs `body` and stores its answer.
// The request's context is echoed either way.
// `on_replay`, when given, runs in the transaction of a replayed answer
// before it is returned (create_media_buy resumes a placement there).
// `audit`, when `body` fills it, is written with the stored answer in one
// statement.
template <typename Request, typename Response>
absl::Status Idempotently(
    const TaskContext& context, const Call& call, const char* operation,
    const Request& request, Response* response,
    const std::function<absl::Status(TenantTxn&)>& body,
    const std::function<absl::Status(TenantTxn&)>& on_replay = nullptr,
    std::optional<AuditEntry>* audit = nullptr) {
  const absl::Status status =
      context.InTransaction(call, [&](TenantTxn& txn) -> absl::Status {
        ASSIGN_OR_RETURN(
            const bool replayed,
            ClaimKey(txn, call, request.idempotency_key(), operation, request,
                     context.options.idempotency_ttl, response));
        if (replayed) {
          if (on_replay) RETURN_IF_ERROR(on_replay(txn));
          response->set_replayed(true);
          return absl::OkStatus();
        }
        RETURN_IF_ERROR(body(txn));
        response->set_idempotency_key(request.idempotency_key());
        StoreAnswer(
            txn, call, request.idempotency_key(), *response,
            audit != nullptr && audit->has_value() ? &**audit : nullptr);
        return absl::OkStatus();
      });
  if (status.ok()) *response->mutable_context() = request.context();
  return status;
}

}  // namespace adcp::media_buy::tasks
