#include "services/media-buy/store/store.h"

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

TenantTxn Store::Adopt(pqxx::work& txn, const std::string& tenant_id) {
  return TenantTxn(txn, tenant_id);
}

std::vector<ProductRow> Store::Products(pqxx::work& txn,
                                        const std::string& tenant_id,
                                        const Reader& reader) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return ProductStore::List(tenant_txn, reader);
}

void Store::UpsertProduct(pqxx::work& txn, const std::string& tenant_id,
                          const ProductRow& product) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  ProductStore::Upsert(tenant_txn, product);
}

std::optional<AccountRow> Store::AccountById(pqxx::work& txn,
                                             const std::string& tenant_id,
                                             const std::string& account_id) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return AccountStore::ById(tenant_txn, account_id);
}

std::optional<AccountRow> Store::AccountByKey(pqxx::work& txn,
                                              const std::string& tenant_id,
                                              const AccountRow& key) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return AccountStore::ByKey(tenant_txn, key);
}

void Store::InsertAccount(pqxx::work& txn, const std::string& tenant_id,
                          const AccountRow& account) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  AccountStore::Insert(tenant_txn, account);
}

void Store::UpdateAccount(pqxx::work& txn, const std::string& tenant_id,
                          const AccountRow& account) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  AccountStore::Update(tenant_txn, account);
}

void Store::SetAccountStatus(pqxx::work& txn, const std::string& tenant_id,
                             const std::string& account_id,
                             const std::string& status) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  AccountStore::SetStatus(tenant_txn, account_id, status);
}

std::vector<AccountRow> Store::Accounts(pqxx::work& txn,
                                        const std::string& tenant_id,
                                        const Reader& reader) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return AccountStore::List(tenant_txn, reader);
}

void Store::InsertBuy(pqxx::work& txn, const std::string& tenant_id,
                      const BuyRow& buy) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  BuyStore::Insert(tenant_txn, buy);
}

std::optional<BuyRow> Store::Buy(pqxx::work& txn, const std::string& tenant_id,
                                 const std::string& media_buy_id,
                                 const Reader& reader, bool for_update) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return BuyStore::Find(tenant_txn, media_buy_id, reader, for_update);
}

std::vector<BuyRow> Store::Buys(pqxx::work& txn, const std::string& tenant_id,
                                const Reader& reader, int limit,
                                const std::string& after_id) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return BuyStore::List(tenant_txn, reader, limit, after_id);
}

std::optional<std::string> Store::BuyOfPackage(pqxx::work& txn,
                                               const std::string& tenant_id,
                                               const std::string& package_id,
                                               const Reader& reader) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return BuyStore::OfPackage(tenant_txn, package_id, reader);
}

void Store::UpdateBuy(pqxx::work& txn, const std::string& tenant_id,
                      const BuyRow& buy) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  BuyStore::Update(tenant_txn, buy);
}

void Store::SetAdapterState(pqxx::work& txn, const std::string& tenant_id,
                            const std::string& media_buy_id,
                            const nlohmann::json& adapter_state) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  BuyStore::SetAdapterState(tenant_txn, media_buy_id, adapter_state);
}

void Store::ForceBuyStatus(pqxx::work& txn, const std::string& tenant_id,
                           const std::string& media_buy_id,
                           const std::string& status,
                           const std::string& rejection_reason) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  BuyStore::ForceStatus(tenant_txn, media_buy_id, status, rejection_reason);
}

void Store::SetSimulatedDelivery(pqxx::work& txn, const std::string& tenant_id,
                                 const std::string& media_buy_id,
                                 const nlohmann::json& delivery) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  BuyStore::SetSimulatedDelivery(tenant_txn, media_buy_id, delivery);
}

void Store::PutDirective(pqxx::work& txn, const std::string& tenant_id,
                         const std::string& principal_id,
                         const Directive& directive) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  DirectiveStore::Put(tenant_txn, principal_id, directive);
}

std::optional<Directive> Store::TakeDirective(pqxx::work& txn,
                                              const std::string& tenant_id,
                                              const std::string& principal_id) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return DirectiveStore::Take(tenant_txn, principal_id);
}

void Store::RetireTaskId(pqxx::work& txn, const std::string& tenant_id,
                         const std::string& principal_id,
                         const std::string& task_id,
                         const std::string& suffix) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  HumanTaskStore::RetireId(tenant_txn, principal_id, task_id, suffix);
}

void Store::UpdatePackages(pqxx::work& txn, const std::string& tenant_id,
                           const std::string& media_buy_id,
                           const std::vector<PackageRow>& packages) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  BuyStore::UpdatePackages(tenant_txn, media_buy_id, packages);
}

void Store::UpdatePackage(pqxx::work& txn, const std::string& tenant_id,
                          const PackageRow& package) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  BuyStore::UpdatePackage(tenant_txn, package);
}

std::optional<CreativeRow> Store::Creative(pqxx::work& txn,
                                           const std::string& tenant_id,
                                           const std::string& principal_id,
                                           const std::string& creative_id) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return CreativeStore::Find(tenant_txn, principal_id, creative_id);
}

void Store::UpsertCreative(pqxx::work& txn, const std::string& tenant_id,
                           const CreativeRow& creative) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  CreativeStore::Upsert(tenant_txn, creative);
}

std::vector<CreativeRow> Store::Creatives(pqxx::work& txn,
                                          const std::string& tenant_id,
                                          const std::string& principal_id,
                                          int limit,
                                          const std::string& after_id) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return CreativeStore::List(tenant_txn, principal_id, limit, after_id);
}

bool Store::Assign(pqxx::work& txn, const std::string& tenant_id,
                   const std::string& principal_id,
                   const std::string& creative_id,
                   const std::string& package_id) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return CreativeStore::Assign(tenant_txn, principal_id, creative_id,
                               package_id);
}

std::vector<std::pair<std::string, std::string>> Store::BindHeldAssignments(
    pqxx::work& txn, const std::string& tenant_id,
    const std::string& principal_id, const std::string& creative_id) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return CreativeStore::BindHeldAssignments(tenant_txn, principal_id,
                                            creative_id);
}

std::vector<AssignmentRow> Store::AssignmentsOfBuy(
    pqxx::work& txn, const std::string& tenant_id,
    const std::string& media_buy_id) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return CreativeStore::AssignmentsOfBuy(tenant_txn, media_buy_id);
}

std::vector<AssignmentRow> Store::AssignmentsOfCreative(
    pqxx::work& txn, const std::string& tenant_id,
    const std::string& principal_id, const std::string& creative_id) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return CreativeStore::AssignmentsOfCreative(tenant_txn, principal_id,
                                              creative_id);
}

bool Store::InsertTask(pqxx::work& txn, const std::string& tenant_id,
                       const TaskRow& task) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return HumanTaskStore::Insert(tenant_txn, task);
}

std::optional<TaskRow> Store::Task(pqxx::work& txn,
                                   const std::string& tenant_id,
                                   const std::string& task_id,
                                   const Reader& reader, bool for_update) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return HumanTaskStore::Find(tenant_txn, task_id, reader, for_update);
}

std::vector<TaskRow> Store::Tasks(pqxx::work& txn, const std::string& tenant_id,
                                  const Reader& reader,
                                  const std::string& status, int limit,
                                  const std::string& after_id) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return HumanTaskStore::List(tenant_txn, reader, status, limit, after_id);
}

void Store::ResolveTask(pqxx::work& txn, const std::string& tenant_id,
                        const TaskRow& task) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  HumanTaskStore::Resolve(tenant_txn, task);
}

void Store::FailOpenTasksOfBuy(pqxx::work& txn, const std::string& tenant_id,
                               const std::string& media_buy_id,
                               const std::string& reason) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  HumanTaskStore::FailOpenOfBuy(tenant_txn, media_buy_id, reason);
}

std::optional<IdempotencyRecord> Store::ClaimIdempotencyKey(
    pqxx::work& txn, const std::string& tenant_id,
    const std::string& principal_id, const std::string& key,
    const std::string& operation, const std::string& request_hash_hex,
    absl::Duration ttl) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  return IdempotencyStore::Claim(tenant_txn, principal_id, key, operation,
                                 request_hash_hex, ttl);
}

void Store::StoreIdempotentResponse(pqxx::work& txn,
                                    const std::string& tenant_id,
                                    const std::string& principal_id,
                                    const std::string& key,
                                    const std::string& response,
                                    const AuditEntry* audit) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  IdempotencyStore::StoreResponse(tenant_txn, principal_id, key, response,
                                  audit);
}

void Store::InsertFeedback(
    pqxx::work& txn, const std::string& tenant_id,
    const std::string& media_buy_id, const std::string& principal_id,
    const std::string& package_id, const std::string& creative_id,
    const std::string& performance_index, const std::string& metric_type,
    const std::string& feedback_source, absl::Time start, absl::Time end) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  FeedbackStore::Insert(tenant_txn, media_buy_id, principal_id, package_id,
                        creative_id, performance_index, metric_type,
                        feedback_source, start, end);
}

void Store::Audit(pqxx::work& txn, const std::string& tenant_id,
                  const std::string& operation, const std::string& principal_id,
                  const std::string& adapter, const nlohmann::json& details) {
  TenantTxn tenant_txn = Adopt(txn, tenant_id);
  AuditStore::Insert(tenant_txn, operation, principal_id, adapter, details);
}

}  // namespace adcp::media_buy
