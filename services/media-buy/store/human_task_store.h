// Human tasks (table human_tasks): approvals and reviews a person of the
// publisher resolves.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libs/db/pg_pool.h"
#include "services/media-buy/domain/records.h"
#include "services/media-buy/store/webhook_store.h"

namespace adcp::media_buy {

class HumanTaskStore {
 public:
  static PgPool::Statements Statements();

  // Returns false when the object already has an open task of that type.
  static bool Insert(TenantTxn& txn, const TaskRow& task);
  static std::optional<TaskRow> Find(TenantTxn& txn, const std::string& task_id,
                                     const Reader& reader, bool for_update);
  // The reader's tasks (of `status` unless empty) by task_id, after the
  // cursor (an id).
  static std::vector<TaskRow> List(TenantTxn& txn, const Reader& reader,
                                   const std::string& status, int limit,
                                   const std::string& after_id);
  // Also drops the push secret (its webhook, if any, is queued with it).
  static void Resolve(TenantTxn& txn, const TaskRow& task);
  // Closes the buy's pending tasks as failed, with `reason` (no webhook:
  // their push secrets are dropped).
  static void FailOpenOfBuy(TenantTxn& txn, const std::string& media_buy_id,
                            const std::string& reason);
  // Renames the principal's task `task_id` to "<task_id>.<suffix>" so a
  // forced task id can be issued again.
  static void RetireId(TenantTxn& txn, const std::string& principal_id,
                       const std::string& task_id, const std::string& suffix);
  // The tasks whose push_notification holds a secret (sealed_credentials,
  // or a legacy plaintext credentials), locked; `row` is the task_id.
  static std::vector<StoredSecret> PushSecrets(TenantTxn& txn);
  // Stores `sealed` as the task's push secret (none when empty).
  static void SetPushSecret(TenantTxn& txn, const std::string& task_id,
                            const std::string& sealed);
};

}  // namespace adcp::media_buy
