#include "services/media-buy/store/human_task_store.h"

#include "services/media-buy/store/internal/columns.h"

namespace adcp::media_buy {

namespace {

using store_internal::FirstRowOf;
using store_internal::NullIfEmpty;
using store_internal::RowsOf;
using store_internal::TimeOf;

#define TASK_COLUMNS                                                       \
  "task_id, principal_id, task_type, status, COALESCE(media_buy_id, ''), " \
  "COALESCE(creative_id, ''), summary, COALESCE(resolution, ''), "         \
  "COALESCE(resolved_by, ''), " EPOCH_US("created_at") ", " EPOCH_US(      \
      "resolved_at") ", push_notification"

// A resolved task's push_notification, without its secret.
#define WITHOUT_SECRET                                       \
  "push_notification = push_notification - 'credentials' - " \
  "'sealed_credentials'"

TaskRow TaskOf(const pqxx::row& row) {
  TaskRow task;
  task.task_id = row[0].as<std::string>();
  task.principal_id = row[1].as<std::string>();
  task.task_type = row[2].as<std::string>();
  task.status = row[3].as<std::string>();
  task.media_buy_id = row[4].as<std::string>();
  task.creative_id = row[5].as<std::string>();
  task.summary = row[6].as<std::string>();
  task.resolution = row[7].as<std::string>();
  task.resolved_by = row[8].as<std::string>();
  task.created_at = TimeOf(row[9]);
  if (!row[10].is_null()) task.resolved_at = TimeOf(row[10]);
  if (!row[11].is_null())
    task.push_notification =
        nlohmann::json::parse(row[11].as<std::string>(), nullptr, false);
  return task;
}

}  // namespace

PgPool::Statements HumanTaskStore::Statements() {
  return {
      {"mb_task_insert",
       "INSERT INTO human_tasks (tenant_id, task_id, principal_id, "
       "task_type, media_buy_id, creative_id, summary, push_notification) "
       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) ON CONFLICT DO "
       "NOTHING"},
      {"mb_task", "SELECT " TASK_COLUMNS " FROM human_tasks WHERE tenant_id "
                  "= $1 AND task_id = $2 AND ($4 OR principal_id = $3)"},
      {"mb_task_for_update",
       "SELECT " TASK_COLUMNS " FROM human_tasks WHERE tenant_id = $1 AND "
       "task_id = $2 AND ($4 OR principal_id = $3) FOR UPDATE"},
      {"mb_tasks", "SELECT " TASK_COLUMNS " FROM human_tasks WHERE tenant_id "
                   "= $1 AND ($3 OR principal_id = $2) AND ($4 = '' OR "
                   "status = $4) AND task_id > $6 ORDER BY task_id LIMIT $5"},
      {"mb_tasks_fail_of_buy",
       "UPDATE human_tasks SET status = 'failed', resolution = $3, "
       "resolved_by = 'system', resolved_at = now(), " WITHOUT_SECRET
       " WHERE tenant_id = $1 AND media_buy_id = $2 AND status = 'pending'"},
      {"mb_task_resolve",
       "UPDATE human_tasks SET status = $3, resolution = $4, resolved_by = "
       "$5, resolved_at = now(), " WITHOUT_SECRET
       " WHERE tenant_id = $1 AND task_id = $2"},
      {"mb_task_push_secrets",
       "SELECT task_id, COALESCE(push_notification->>'url', ''), "
       "COALESCE(push_notification->>'credentials', ''), "
       "COALESCE(push_notification->>'sealed_credentials', ''), status = "
       "'pending' FROM human_tasks WHERE tenant_id = $1 AND "
       "(push_notification ? 'credentials' OR push_notification ? "
       "'sealed_credentials') ORDER BY task_id FOR UPDATE"},
      {"mb_task_set_push_secret",
       "UPDATE human_tasks SET push_notification = push_notification - "
       "'credentials' - 'sealed_credentials' || CASE WHEN $3::text = '' THEN "
       "'{}'::jsonb ELSE jsonb_build_object('sealed_credentials', $3::text) "
       "END "
       "WHERE tenant_id = $1 AND task_id = $2"},
      {"mb_task_retire_id",
       "UPDATE human_tasks SET task_id = left(task_id, 80) || '.' || $3 "
       "WHERE tenant_id = $1 AND task_id = $2 AND principal_id = $4"},
  };
}

bool HumanTaskStore::Insert(TenantTxn& txn, const TaskRow& task) {
  return txn.Exec(
                "mb_task_insert", task.task_id, task.principal_id,
                task.task_type, NullIfEmpty(task.media_buy_id),
                NullIfEmpty(task.creative_id), task.summary,
                task.push_notification.is_object()
                    ? std::optional<std::string>(task.push_notification.dump())
                    : std::nullopt)
             .affected_rows() > 0;
}

std::optional<TaskRow> HumanTaskStore::Find(TenantTxn& txn,
                                            const std::string& task_id,
                                            const Reader& reader,
                                            bool for_update) {
  return FirstRowOf(txn.Exec(for_update ? "mb_task_for_update" : "mb_task",
                             task_id, reader.principal_id, reader.is_admin),
                    &TaskOf);
}

std::vector<TaskRow> HumanTaskStore::List(TenantTxn& txn, const Reader& reader,
                                          const std::string& status, int limit,
                                          const std::string& after_id) {
  return RowsOf(txn.Exec("mb_tasks", reader.principal_id, reader.is_admin,
                         status, limit, after_id),
                &TaskOf);
}

void HumanTaskStore::Resolve(TenantTxn& txn, const TaskRow& task) {
  txn.Exec0("mb_task_resolve", task.task_id, task.status, task.resolution,
            task.resolved_by);
}

void HumanTaskStore::FailOpenOfBuy(TenantTxn& txn,
                                   const std::string& media_buy_id,
                                   const std::string& reason) {
  txn.Exec0("mb_tasks_fail_of_buy", media_buy_id, reason);
}

void HumanTaskStore::RetireId(TenantTxn& txn, const std::string& principal_id,
                              const std::string& task_id,
                              const std::string& suffix) {
  txn.Exec0("mb_task_retire_id", task_id, suffix, principal_id);
}

std::vector<StoredSecret> HumanTaskStore::PushSecrets(TenantTxn& txn) {
  return RowsOf(txn.Exec("mb_task_push_secrets"),
                &store_internal::StoredSecretOf);
}

void HumanTaskStore::SetPushSecret(TenantTxn& txn, const std::string& task_id,
                                   const std::string& sealed) {
  txn.Exec0("mb_task_set_push_secret", task_id, sealed);
}

}  // namespace adcp::media_buy
