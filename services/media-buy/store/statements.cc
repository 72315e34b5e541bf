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

namespace adcp::media_buy {

PgPool::Statements StoreStatements() {
  PgPool::Statements all;
  for (PgPool::Statements part :
       {ProductStore::Statements(), AccountStore::Statements(),
        BuyStore::Statements(), DirectiveStore::Statements(),
        CreativeStore::Statements(), HumanTaskStore::Statements(),
        IdempotencyStore::Statements(), FeedbackStore::Statements(),
        AuditStore::Statements()}) {
    for (auto& statement : part) all.push_back(std::move(statement));
  }
  return all;
}

}  // namespace adcp::media_buy
