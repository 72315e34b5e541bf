#include "services/media-buy/store/statements.h"

#include <utility>

#include "services/media-buy/store/account_store.h"
#include "services/media-buy/store/audit_store.h"
#include "services/media-buy/store/buy_store.h"
#include "services/media-buy/store/creative_store.h"
#include "services/media-buy/store/directive_store.h"
#include "services/media-buy/store/feedback_store.h"
#include "services/media-buy/store/human_task_store.h"
#include "services/media-buy/store/idempotency_store.h"
#include "services/media-buy/store/product_store.h"
#include "services/media-buy/store/webhook_store.h"

namespace adcp::media_buy {

PgPool::Statements StoreStatements() {
  PgPool::Statements all;
  for (PgPool::Statements part :
       {ProductStore::Statements(), AccountStore::Statements(),
        BuyStore::Statements(), DirectiveStore::Statements(),
        CreativeStore::Statements(), HumanTaskStore::Statements(),
        IdempotencyStore::Statements(), FeedbackStore::Statements(),
        AuditStore::Statements(), WebhookOutboxStore::Statements(),
        SigningKeyStore::Statements()}) {
    for (auto& statement : part) all.push_back(std::move(statement));
  }
  return all;
}

RolePrivileges StorePrivileges() {
  RolePrivileges privileges{.service = "media-buy"};
  for (const char* table :
       {"products", "accounts", "media_buys", "packages", "creatives",
        "creative_assignments", "human_tasks", "idempotency_keys",
        "performance_feedback", "sandbox_directives", "webhook_outbox",
        "webhook_signing_keys"}) {
    privileges.tables[table] = {"SELECT", "INSERT", "UPDATE"};
  }
  privileges.tables["sandbox_directives"].insert("DELETE");
  privileges.tables["audit_log"] = {"INSERT"};
  privileges.tables["schema_migrations"] = {"SELECT"};
  return privileges;
}

}  // namespace adcp::media_buy
