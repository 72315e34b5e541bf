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
#include "adcp/common/pg_pool.h"
#include "money.h"
#include "nlohmann/json.hpp"

namespace adcp::media_buy {

struct ProductRow {
  std::string product_id;
  std::string name;
  std::string description;
  std::string delivery_type;
  std::vector<std::string> channels;
  nlohmann::json format_ids;            // array of FormatId objects
  nlohmann::json publisher_properties;  // array
  nlohmann::json pricing_options;       // array of PricingOption objects
  nlohmann::json reporting_capabilities;
  std::vector<std::string> allowed_principal_ids;  // empty: everyone
  // An empty array in the database (not NULL): no principal may see it
  // (what mb_products selects).
  bool visible_to_none = false;
  bool is_active = true;
};

struct AccountRow {
  std::string account_id;
  std::string principal_id;
  std::string brand_domain;
  std::string brand_id;
  std::string operator_domain;
  std::string name;
  std::string billing;
  std::string status;
  bool sandbox = false;
};

struct PackageRow {
  std::string package_id;
  std::string media_buy_id;
  int ordinal = 0;
  std::string product_id;
  std::string pricing_option_id;
  std::string pricing_model;
  Micros budget = 0;
  std::optional<Micros> bid_price;
  std::optional<Micros> rate;
  std::string pacing = "even";
  std::optional<int64_t> impressions;
  bool paused = false;
  nlohmann::json format_ids = nlohmann::json::array();
  nlohmann::json targeting_overlay;                 // null when none
  nlohmann::json extra = nlohmann::json::object();  // context, ext
  std::string line_id;
};

struct BuyRow {
  std::string media_buy_id;
  std::string principal_id;
  std::string account_id;  // empty when none
  // Stored lifecycle: pending_approval | active | paused | rejected |
  // canceled. The AdCP status is derived from it, the flight and creatives.
  std::string status;
  std::string adapter;
  std::string order_id;
  std::string currency;
  Micros total_budget = 0;
  absl::Time start_time;
  absl::Time end_time;
  bool start_asap = false;
  int revision = 1;
  nlohmann::json brand = nlohmann::json::object();
  std::string po_number;
  nlohmann::json extra = nlohmann::json::object();
  std::optional<absl::Time> paused_at;
  std::string rejection_reason;
  absl::Time created_at;
  absl::Time updated_at;
  // Sandbox tenants (comply_test_controller): a forced AdCP status, empty
  // when none; simulated delivery {impressions, clicks, conversions, spend},
  // null when none.
  std::string forced_status;
  nlohmann::json simulated_delivery;
  // The ad-server adapter's state (migration 0008): principal_mappings,
  // upstream, and while placing the buy failed: failed_step, error,
  // failed_at.
  nlohmann::json adapter_state = nlohmann::json::object();
  std::vector<PackageRow> packages;
};

// A sandbox directive for a principal's next create_media_buy.
struct Directive {
  std::string arm;  // submitted
  std::string task_id;
  std::string message;
};

struct CreativeRow {
  std::string principal_id;
  std::string creative_id;
  std::string name;
  std::string format_agent_url;
  std::string format_id;
  nlohmann::json assets = nlohmann::json::object();
  std::string status;
  std::string rejection_reason;
  std::string platform_id;
  nlohmann::json extra = nlohmann::json::object();  // tags
  absl::Time created_at;
  absl::Time updated_at;
};

struct AssignmentRow {
  std::string creative_id;
  std::string package_id;
  std::string media_buy_id;
  absl::Time created_at;
  // The assigned creative's review state (read in the same query).
  std::string creative_status;
  std::string rejection_reason;
};

struct TaskRow {
  std::string task_id;
  std::string principal_id;
  std::string task_type;
  std::string status;
  std::string media_buy_id;
  std::string creative_id;
  std::string summary;
  std::string resolution;
  std::string resolved_by;
  absl::Time created_at;
  std::optional<absl::Time> resolved_at;
};

struct IdempotencyRecord {
  std::string request_hash;  // hex
  std::string response;      // serialized response; empty while in flight
  absl::Time expires_at;
  bool expired = false;
};

// Who is reading: a buyer sees its own rows; the tenant admin sees all.
struct Reader {
  std::string principal_id;
  bool is_admin = false;
};

// An audit row of a task (success), written in the task's transaction.
struct AuditEntry {
  std::string operation;
  std::string adapter;
  nlohmann::json details;
};

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
