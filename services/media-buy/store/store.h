// TEMPORARY: the old pqxx::work& + tenant_id API of the media-buy tables,
// forwarding to the repositories (product_store.h, buy_store.h, ...) for
// media_buy_service.cc only, until its call sites take a TenantTxn. New code
// uses the repositories.
#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "libs/db/pg_pool.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

class Store {
 public:
  // The transaction `txn`, on which PgPool::WithTenantTransaction already set
  // `tenant_id`, as a TenantTxn.
  static TenantTxn Adopt(pqxx::work& txn, const std::string& tenant_id);

  static std::vector<ProductRow> Products(pqxx::work& txn,
                                          const std::string& tenant_id,
                                          const Reader& reader);
  static void UpsertProduct(pqxx::work& txn, const std::string& tenant_id,
                            const ProductRow& product);
  static std::optional<AccountRow> AccountById(pqxx::work& txn,
                                               const std::string& tenant_id,
                                               const std::string& account_id);
  static std::optional<AccountRow> AccountByKey(pqxx::work& txn,
                                                const std::string& tenant_id,
                                                const AccountRow& key);
  static void InsertAccount(pqxx::work& txn, const std::string& tenant_id,
                            const AccountRow& account);
  static void UpdateAccount(pqxx::work& txn, const std::string& tenant_id,
                            const AccountRow& account);
  static void SetAccountStatus(pqxx::work& txn, const std::string& tenant_id,
                               const std::string& account_id,
                               const std::string& status);
  static std::vector<AccountRow> Accounts(pqxx::work& txn,
                                          const std::string& tenant_id,
                                          const Reader& reader);
  static void InsertBuy(pqxx::work& txn, const std::string& tenant_id,
                        const BuyRow& buy);
  static std::optional<BuyRow> Buy(pqxx::work& txn,
                                   const std::string& tenant_id,
                                   const std::string& media_buy_id,
                                   const Reader& reader, bool for_update);
  static std::vector<BuyRow> Buys(pqxx::work& txn, const std::string& tenant_id,
                                  const Reader& reader, int limit,
                                  const std::string& after_id);
  static std::optional<std::string> BuyOfPackage(pqxx::work& txn,
                                                 const std::string& tenant_id,
                                                 const std::string& package_id,
                                                 const Reader& reader);
  static void UpdateBuy(pqxx::work& txn, const std::string& tenant_id,
                        const BuyRow& buy);
  static void SetAdapterState(pqxx::work& txn, const std::string& tenant_id,
                              const std::string& media_buy_id,
                              const nlohmann::json& adapter_state);
  static void ForceBuyStatus(pqxx::work& txn, const std::string& tenant_id,
                             const std::string& media_buy_id,
                             const std::string& status,
                             const std::string& rejection_reason);
  static void SetSimulatedDelivery(pqxx::work& txn,
                                   const std::string& tenant_id,
                                   const std::string& media_buy_id,
                                   const nlohmann::json& delivery);
  static void PutDirective(pqxx::work& txn, const std::string& tenant_id,
                           const std::string& principal_id,
                           const Directive& directive);
  static std::optional<Directive> TakeDirective(
      pqxx::work& txn, const std::string& tenant_id,
      const std::string& principal_id);
  static void RetireTaskId(pqxx::work& txn, const std::string& tenant_id,
                           const std::string& principal_id,
                           const std::string& task_id,
                           const std::string& suffix);
  static void UpdatePackages(pqxx::work& txn, const std::string& tenant_id,
                             const std::string& media_buy_id,
                             const std::vector<PackageRow>& packages);
  static void UpdatePackage(pqxx::work& txn, const std::string& tenant_id,
                            const PackageRow& package);
  static std::optional<CreativeRow> Creative(pqxx::work& txn,
                                             const std::string& tenant_id,
                                             const std::string& principal_id,
                                             const std::string& creative_id);
  static void UpsertCreative(pqxx::work& txn, const std::string& tenant_id,
                             const CreativeRow& creative);
  static std::vector<CreativeRow> Creatives(pqxx::work& txn,
                                            const std::string& tenant_id,
                                            const std::string& principal_id,
                                            int limit,
                                            const std::string& after_id);
  static bool Assign(pqxx::work& txn, const std::string& tenant_id,
                     const std::string& principal_id,
                     const std::string& creative_id,
                     const std::string& package_id);
  static std::vector<std::pair<std::string, std::string>> BindHeldAssignments(
      pqxx::work& txn, const std::string& tenant_id,
      const std::string& principal_id, const std::string& creative_id);
  static std::vector<AssignmentRow> AssignmentsOfBuy(
      pqxx::work& txn, const std::string& tenant_id,
      const std::string& media_buy_id);
  static std::vector<AssignmentRow> AssignmentsOfCreative(
      pqxx::work& txn, const std::string& tenant_id,
      const std::string& principal_id, const std::string& creative_id);
  static bool InsertTask(pqxx::work& txn, const std::string& tenant_id,
                         const TaskRow& task);
  static std::optional<TaskRow> Task(pqxx::work& txn,
                                     const std::string& tenant_id,
                                     const std::string& task_id,
                                     const Reader& reader, bool for_update);
  static std::vector<TaskRow> Tasks(pqxx::work& txn,
                                    const std::string& tenant_id,
                                    const Reader& reader,
                                    const std::string& status, int limit,
                                    const std::string& after_id);
  static void ResolveTask(pqxx::work& txn, const std::string& tenant_id,
                          const TaskRow& task);
  static void FailOpenTasksOfBuy(pqxx::work& txn, const std::string& tenant_id,
                                 const std::string& media_buy_id,
                                 const std::string& reason);
  static std::optional<IdempotencyRecord> ClaimIdempotencyKey(
      pqxx::work& txn, const std::string& tenant_id,
      const std::string& principal_id, const std::string& key,
      const std::string& operation, const std::string& request_hash_hex,
      absl::Duration ttl);
  static void StoreIdempotentResponse(pqxx::work& txn,
                                      const std::string& tenant_id,
                                      const std::string& principal_id,
                                      const std::string& key,
                                      const std::string& response,
                                      const AuditEntry* audit = nullptr);
  static void InsertFeedback(
      pqxx::work& txn, const std::string& tenant_id,
      const std::string& media_buy_id, const std::string& principal_id,
      const std::string& package_id, const std::string& creative_id,
      const std::string& performance_index, const std::string& metric_type,
      const std::string& feedback_source, absl::Time start, absl::Time end);
  static void Audit(pqxx::work& txn, const std::string& tenant_id,
                    const std::string& operation,
                    const std::string& principal_id, const std::string& adapter,
                    const nlohmann::json& details);
};

}  // namespace adcp::media_buy
