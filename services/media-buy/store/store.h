// SQL for the media-buy tables. Every function runs inside the caller's
// tenant transaction (PgPool::WithTenantTransaction), so one task's reads
// and writes commit or roll back together; every statement also names the
// tenant, and reads of buyer-owned rows name the buyer.
#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/db/pg_pool.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

class Store {
 public:
  static PgPool::Statements Statements();

  // Products visible to `reader` (active, and allowed for the principal
  // unless the reader is an admin), by product_id.
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
  // Sets billing and sandbox.
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
  // The buy with its packages, when `reader` may see it.
  static std::optional<BuyRow> Buy(pqxx::work& txn,
                                   const std::string& tenant_id,
                                   const std::string& media_buy_id,
                                   const Reader& reader, bool for_update);
  // Buys of the reader by media_buy_id, after the cursor (an id).
  static std::vector<BuyRow> Buys(pqxx::work& txn, const std::string& tenant_id,
                                  const Reader& reader, int limit,
                                  const std::string& after_id);
  // The buy a package belongs to, when `reader` may see it.
  static std::optional<std::string> BuyOfPackage(pqxx::work& txn,
                                                 const std::string& tenant_id,
                                                 const std::string& package_id,
                                                 const Reader& reader);
  static void UpdateBuy(pqxx::work& txn, const std::string& tenant_id,
                        const BuyRow& buy);
  // Only the buy's adapter_state (no revision, no updated_at): what the ad
  // server has of it.
  static void SetAdapterState(pqxx::work& txn, const std::string& tenant_id,
                              const std::string& media_buy_id,
                              const nlohmann::json& adapter_state);
  // Sandbox: forces the buy's AdCP status (cleared by the buyer's next
  // update); a non-empty reason replaces its rejection_reason.
  static void ForceBuyStatus(pqxx::work& txn, const std::string& tenant_id,
                             const std::string& media_buy_id,
                             const std::string& status,
                             const std::string& rejection_reason);
  static void SetSimulatedDelivery(pqxx::work& txn,
                                   const std::string& tenant_id,
                                   const std::string& media_buy_id,
                                   const nlohmann::json& delivery);
  // Sandbox directives: one per principal, replaced by the next, consumed
  // (deleted and returned) by its next create_media_buy.
  static void PutDirective(pqxx::work& txn, const std::string& tenant_id,
                           const std::string& principal_id,
                           const Directive& directive);
  static std::optional<Directive> TakeDirective(
      pqxx::work& txn, const std::string& tenant_id,
      const std::string& principal_id);
  // Renames the principal's task `task_id` to "<task_id>.<suffix>" so a
  // forced task id can be issued again.
  static void RetireTaskId(pqxx::work& txn, const std::string& tenant_id,
                           const std::string& principal_id,
                           const std::string& task_id,
                           const std::string& suffix);
  // The packages' changeable fields and line ids, in one round trip; all
  // of one buy.
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
  // Returns false when the assignment already existed.
  static bool Assign(pqxx::work& txn, const std::string& tenant_id,
                     const std::string& principal_id,
                     const std::string& creative_id,
                     const std::string& package_id);
  // Assignments held for a creative not yet uploaded (create_media_buy's
  // packages[].extra.held_creative_ids of the principal's buys) become real
  // ones; returns (package_id, media_buy_id) of each.
  static std::vector<std::pair<std::string, std::string>> BindHeldAssignments(
      pqxx::work& txn, const std::string& tenant_id,
      const std::string& principal_id, const std::string& creative_id);
  static std::vector<AssignmentRow> AssignmentsOfBuy(
      pqxx::work& txn, const std::string& tenant_id,
      const std::string& media_buy_id);
  static std::vector<AssignmentRow> AssignmentsOfCreative(
      pqxx::work& txn, const std::string& tenant_id,
      const std::string& principal_id, const std::string& creative_id);

  // Returns false when the object already has an open task of that type.
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

  // Closes the buy's pending tasks as failed, with `reason`.
  static void FailOpenTasksOfBuy(pqxx::work& txn, const std::string& tenant_id,
                                 const std::string& media_buy_id,
                                 const std::string& reason);

  // Claims the key for this request, or returns the record already there
  // (committed with its answer, as claims commit with the task; possibly
  // expired: keys are not reused).
  static std::optional<IdempotencyRecord> ClaimIdempotencyKey(
      pqxx::work& txn, const std::string& tenant_id,
      const std::string& principal_id, const std::string& key,
      const std::string& operation, const std::string& request_hash_hex,
      absl::Duration ttl);
  // The key's answer; with `audit`, also the task's audit row (of the key's
  // principal), in one statement: one round trip fewer per create.
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

  // An audit row written in the task's own transaction (success rows; a
  // failed task's row goes through the async AuditLog instead).
  static void Audit(pqxx::work& txn, const std::string& tenant_id,
                    const std::string& operation,
                    const std::string& principal_id, const std::string& adapter,
                    const nlohmann::json& details);
};

}  // namespace adcp::media_buy
