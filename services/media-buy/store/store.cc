#include "services/media-buy/store/store.h"

#include "absl/strings/str_cat.h"

namespace adcp::media_buy {
namespace {

#define EPOCH_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
#define FROM_US(n) "to_timestamp($" #n "::double precision / 1000000)"
#define TEXT_ARRAY(n) "ARRAY(SELECT jsonb_array_elements_text($" #n "::jsonb))"

#define PRODUCT_COLUMNS                                                      \
  "product_id, name, description, delivery_type, to_jsonb(channels)::text, " \
  "format_ids::text, publisher_properties::text, pricing_options::text, "    \
  "COALESCE(to_jsonb(allowed_principal_ids), 'null')::text, is_active, "     \
  "reporting_capabilities::text"

#define ACCOUNT_COLUMNS                                                \
  "account_id, principal_id, brand_domain, brand_id, operator, name, " \
  "billing, status, sandbox"

#define BUY_COLUMNS \
  "media_buy_id, principal_id, COALESCE(account_id, ''), status, adapter, "  \
  "COALESCE(adapter_order_id, ''), currency, total_budget::text, "           \
  EPOCH_US("start_time") ", " EPOCH_US("end_time") ", start_asap, revision, " \
  "brand::text, COALESCE(po_number, ''), extra::text, " EPOCH_US("paused_at") \
  ", COALESCE(rejection_reason, ''), " EPOCH_US("created_at") ", "           \
  EPOCH_US("updated_at") ", COALESCE(forced_status, ''), "                   \
  "COALESCE(simulated_delivery, 'null')::text, adapter_state::text"

#define PACKAGE_COLUMNS                                                 \
  "package_id, media_buy_id, ordinal, product_id, pricing_option_id, "  \
  "pricing_model, budget::text, bid_price::text, rate::text, pacing, "  \
  "impressions, paused, format_ids::text, COALESCE(targeting_overlay, " \
  "'null')::text, extra::text, COALESCE(adapter_line_id, '')"

#define CREATIVE_COLUMNS                                           \
  "principal_id, creative_id, name, format_agent_url, format_id, " \
  "assets::text, status, COALESCE(rejection_reason, ''), "         \
  "COALESCE(adapter_creative_id, ''), extra::text, " EPOCH_US(     \
      "created_at") ", " EPOCH_US("updated_at")

#define TASK_COLUMNS                                                       \
  "task_id, principal_id, task_type, status, COALESCE(media_buy_id, ''), " \
  "COALESCE(creative_id, ''), summary, COALESCE(resolution, ''), "         \
  "COALESCE(resolved_by, ''), " EPOCH_US("created_at") ", " EPOCH_US(      \
      "resolved_at")

absl::Time TimeOf(const pqxx::field& field) {
  return absl::FromUnixMicros(field.as<int64_t>());
}

int64_t Us(absl::Time time) { return absl::ToUnixMicros(time); }

Micros MicrosOf(const pqxx::field& field) {
  return MicrosFromDecimal(field.as<std::string>()).value_or(0);
}

std::optional<Micros> OptionalMicros(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return MicrosOf(field);
}

std::optional<std::string> OptionalDecimal(const std::optional<Micros>& value) {
  if (!value) return std::nullopt;
  return DecimalFromMicros(*value);
}

std::optional<std::string> NullIfEmpty(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

// The columns of a package as jsonb_to_recordset reads them (PackagesJson).
#define PACKAGE_RECORD                                                      \
  "package_id varchar, media_buy_id varchar, ordinal int, product_id "      \
  "varchar, pricing_option_id varchar, budget numeric, bid_price numeric, " \
  "rate numeric, pricing_model varchar, pacing varchar, impressions "       \
  "bigint, paused boolean, format_ids jsonb, targeting_overlay jsonb, "     \
  "extra jsonb, adapter_line_id varchar"

// Packages as one JSON array for PACKAGE_RECORD; amounts as decimal strings
// (exact), absent values as null. `media_buy_id` overrides the packages'
// own when not empty.
std::string PackagesJson(const std::vector<PackageRow>& packages,
                         const std::string& media_buy_id) {
  nlohmann::json out = nlohmann::json::array();
  for (const PackageRow& package : packages) {
    auto optional = [](const auto& value) -> nlohmann::json {
      if (!value) return nullptr;
      return *value;
    };
    out.push_back(
        {{"package_id", package.package_id},
         {"media_buy_id",
          media_buy_id.empty() ? package.media_buy_id : media_buy_id},
         {"ordinal", package.ordinal},
         {"product_id", package.product_id},
         {"pricing_option_id", package.pricing_option_id},
         {"budget", DecimalFromMicros(package.budget)},
         {"bid_price", optional(OptionalDecimal(package.bid_price))},
         {"rate", optional(OptionalDecimal(package.rate))},
         {"pricing_model", package.pricing_model},
         {"pacing", package.pacing},
         {"impressions", optional(package.impressions)},
         {"paused", package.paused},
         {"format_ids", package.format_ids},
         {"targeting_overlay", package.targeting_overlay},
         {"extra", package.extra},
         {"adapter_line_id", optional(NullIfEmpty(package.line_id))}});
  }
  return out.dump();
}

nlohmann::json Json(const pqxx::field& field) {
  return nlohmann::json::parse(field.as<std::string>());
}

std::vector<std::string> Strings(const pqxx::field& field) {
  nlohmann::json array = Json(field);
  if (!array.is_array()) return {};
  return array.get<std::vector<std::string>>();
}

ProductRow ProductOf(const pqxx::row& row) {
  ProductRow product;
  product.product_id = row[0].as<std::string>();
  product.name = row[1].as<std::string>();
  product.description = row[2].as<std::string>();
  product.delivery_type = row[3].as<std::string>();
  product.channels = Strings(row[4]);
  product.format_ids = Json(row[5]);
  product.publisher_properties = Json(row[6]);
  product.pricing_options = Json(row[7]);
  product.allowed_principal_ids = Strings(row[8]);
  {
    const nlohmann::json allowed = Json(row[8]);
    product.visible_to_none = allowed.is_array() && allowed.empty();
  }
  product.is_active = row[9].as<bool>();
  product.reporting_capabilities = Json(row[10]);
  return product;
}

AccountRow AccountOf(const pqxx::row& row) {
  return AccountRow{.account_id = row[0].as<std::string>(),
                    .principal_id = row[1].as<std::string>(),
                    .brand_domain = row[2].as<std::string>(),
                    .brand_id = row[3].as<std::string>(),
                    .operator_domain = row[4].as<std::string>(),
                    .name = row[5].as<std::string>(),
                    .billing = row[6].as<std::string>(),
                    .status = row[7].as<std::string>(),
                    .sandbox = row[8].as<bool>()};
}

BuyRow BuyOf(const pqxx::row& row) {
  BuyRow buy;
  buy.media_buy_id = row[0].as<std::string>();
  buy.principal_id = row[1].as<std::string>();
  buy.account_id = row[2].as<std::string>();
  buy.status = row[3].as<std::string>();
  buy.adapter = row[4].as<std::string>();
  buy.order_id = row[5].as<std::string>();
  buy.currency = row[6].as<std::string>();
  buy.total_budget = MicrosOf(row[7]);
  buy.start_time = TimeOf(row[8]);
  buy.end_time = TimeOf(row[9]);
  buy.start_asap = row[10].as<bool>();
  buy.revision = row[11].as<int>();
  buy.brand = Json(row[12]);
  buy.po_number = row[13].as<std::string>();
  buy.extra = Json(row[14]);
  if (!row[15].is_null()) buy.paused_at = TimeOf(row[15]);
  buy.rejection_reason = row[16].as<std::string>();
  buy.created_at = TimeOf(row[17]);
  buy.updated_at = TimeOf(row[18]);
  buy.forced_status = row[19].as<std::string>();
  buy.simulated_delivery = Json(row[20]);
  buy.adapter_state = Json(row[21]);
  return buy;
}

PackageRow PackageOf(const pqxx::row& row) {
  PackageRow package;
  package.package_id = row[0].as<std::string>();
  package.media_buy_id = row[1].as<std::string>();
  package.ordinal = row[2].as<int>();
  package.product_id = row[3].as<std::string>();
  package.pricing_option_id = row[4].as<std::string>();
  package.pricing_model = row[5].as<std::string>();
  package.budget = MicrosOf(row[6]);
  package.bid_price = OptionalMicros(row[7]);
  package.rate = OptionalMicros(row[8]);
  package.pacing = row[9].as<std::string>();
  if (!row[10].is_null()) package.impressions = row[10].as<int64_t>();
  package.paused = row[11].as<bool>();
  package.format_ids = Json(row[12]);
  package.targeting_overlay = Json(row[13]);
  package.extra = Json(row[14]);
  package.line_id = row[15].as<std::string>();
  return package;
}

CreativeRow CreativeOf(const pqxx::row& row) {
  CreativeRow creative;
  creative.principal_id = row[0].as<std::string>();
  creative.creative_id = row[1].as<std::string>();
  creative.name = row[2].as<std::string>();
  creative.format_agent_url = row[3].as<std::string>();
  creative.format_id = row[4].as<std::string>();
  creative.assets = Json(row[5]);
  creative.status = row[6].as<std::string>();
  creative.rejection_reason = row[7].as<std::string>();
  creative.platform_id = row[8].as<std::string>();
  creative.extra = Json(row[9]);
  creative.created_at = TimeOf(row[10]);
  creative.updated_at = TimeOf(row[11]);
  return creative;
}

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
  return task;
}

AssignmentRow AssignmentOf(const pqxx::row& row) {
  return AssignmentRow{.creative_id = row[0].as<std::string>(),
                       .package_id = row[1].as<std::string>(),
                       .media_buy_id = row[2].as<std::string>(),
                       .created_at = TimeOf(row[3]),
                       .creative_status = row[4].as<std::string>(),
                       .rejection_reason = row[5].as<std::string>()};
}

std::vector<PackageRow> PackagesOf(pqxx::work& txn,
                                   const std::string& tenant_id,
                                   const std::string& media_buy_id) {
  std::vector<PackageRow> packages;
  for (const auto& row :
       txn.exec_prepared("mb_packages_of_buy", tenant_id, media_buy_id)) {
    packages.push_back(PackageOf(row));
  }
  return packages;
}

}  // namespace

PgPool::Statements Store::Statements() {
  return {
      {"mb_products",
       "SELECT " PRODUCT_COLUMNS " FROM products WHERE tenant_id = $1 "
       "AND ($3 OR (is_active AND (allowed_principal_ids IS NULL "
       "OR $2 = ANY (allowed_principal_ids)))) ORDER BY product_id"},
      {"mb_product_upsert",
       "INSERT INTO products (tenant_id, product_id, name, description, "
       "delivery_type, channels, format_ids, publisher_properties, "
       "pricing_options, allowed_principal_ids, is_active, "
       "reporting_capabilities) "
       "VALUES ($1, $2, $3, $4, $5, " TEXT_ARRAY(
           6) ", $7::jsonb, $8::jsonb, "
              "$9::jsonb, CASE WHEN $10::jsonb = '[]'::jsonb THEN NULL "
              "ELSE " TEXT_ARRAY(
                  10) " END, $11, $12::jsonb) "
                      "ON CONFLICT (tenant_id, product_id) DO UPDATE SET name "
                      "= "
                      "EXCLUDED.name, description = EXCLUDED.description, "
                      "delivery_type = "
                      "EXCLUDED.delivery_type, channels = EXCLUDED.channels, "
                      "format_ids = "
                      "EXCLUDED.format_ids, publisher_properties = "
                      "EXCLUDED.publisher_properties, pricing_options = "
                      "EXCLUDED.pricing_options, allowed_principal_ids = "
                      "EXCLUDED.allowed_principal_ids, is_active = "
                      "EXCLUDED.is_active, "
                      "reporting_capabilities = "
                      "EXCLUDED.reporting_capabilities, "
                      "updated_at = now()"},
      {"mb_account_by_id", "SELECT " ACCOUNT_COLUMNS " FROM accounts "
                           "WHERE tenant_id = $1 AND account_id = $2"},
      {"mb_account_by_key",
       "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE tenant_id = $1 "
       "AND principal_id = $2 AND brand_domain = $3 AND brand_id = $4 "
       "AND operator = $5"},
      {"mb_account_insert",
       "INSERT INTO accounts (tenant_id, account_id, principal_id, "
       "brand_domain, brand_id, operator, name, billing, status, sandbox) "
       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"},
      {"mb_account_update",
       "UPDATE accounts SET billing = $3, sandbox = $4, updated_at = now() "
       "WHERE tenant_id = $1 AND account_id = $2"},
      {"mb_account_set_status",
       "UPDATE accounts SET status = $3, updated_at = now() "
       "WHERE tenant_id = $1 AND account_id = $2"},
      {"mb_buy_force_status",
       "UPDATE media_buys SET forced_status = $3, rejection_reason = "
       "COALESCE($4, rejection_reason), updated_at = now() "
       "WHERE tenant_id = $1 AND media_buy_id = $2"},
      {"mb_buy_simulate_delivery",
       "UPDATE media_buys SET simulated_delivery = $3::jsonb, "
       "updated_at = now() WHERE tenant_id = $1 AND media_buy_id = $2"},
      {"mb_directive_put",
       "INSERT INTO sandbox_directives (tenant_id, principal_id, arm, "
       "task_id, message) VALUES ($1, $2, $3, $4, $5) ON CONFLICT "
       "(tenant_id, principal_id) DO UPDATE SET arm = EXCLUDED.arm, task_id "
       "= EXCLUDED.task_id, message = EXCLUDED.message, created_at = now()"},
      {"mb_directive_take",
       "DELETE FROM sandbox_directives WHERE tenant_id = $1 AND principal_id "
       "= $2 RETURNING arm, task_id, message"},
      {"mb_task_retire_id",
       "UPDATE human_tasks SET task_id = left(task_id, 80) || '.' || $3 "
       "WHERE tenant_id = $1 AND task_id = $2 AND principal_id = $4"},
      {"mb_accounts", "SELECT " ACCOUNT_COLUMNS " FROM accounts "
                      "WHERE tenant_id = $1 AND ($3 OR principal_id = $2) "
                      "ORDER BY account_id"},
      {"mb_buy_insert",
       "INSERT INTO media_buys (tenant_id, media_buy_id, principal_id, "
       "account_id, status, adapter, adapter_order_id, currency, "
       "total_budget, start_time, end_time, start_asap, revision, brand, "
       "po_number, extra, adapter_state) VALUES ($1, $2, $3, $4, $5, $6, $7, "
       "$8, $9::numeric, " FROM_US(10) ", " FROM_US(
           11) ", $12, $13, "
               "$14::jsonb, $15, $16::jsonb, $17::jsonb)"},
      // All of a buy's packages in one round trip: $2 is a JSON array of
      // PackageJson objects.
      {"mb_packages_insert",
       "INSERT INTO packages (tenant_id, package_id, media_buy_id, ordinal, "
       "product_id, pricing_option_id, budget, bid_price, rate, "
       "pricing_model, pacing, impressions, paused, format_ids, "
       "targeting_overlay, extra, adapter_line_id) SELECT $1, p.package_id, "
       "p.media_buy_id, p.ordinal, p.product_id, p.pricing_option_id, "
       "p.budget, p.bid_price, p.rate, p.pricing_model, p.pacing, "
       "p.impressions, p.paused, p.format_ids, p.targeting_overlay, p.extra, "
       "p.adapter_line_id FROM jsonb_to_recordset($2::jsonb) AS "
       "p(" PACKAGE_RECORD ")"},
      {"mb_packages_update",
       "UPDATE packages AS t SET budget = p.budget, bid_price = p.bid_price, "
       "pacing = p.pacing, impressions = p.impressions, paused = p.paused, "
       "targeting_overlay = p.targeting_overlay, adapter_line_id = "
       "p.adapter_line_id FROM jsonb_to_recordset($2::jsonb) AS "
       "p(" PACKAGE_RECORD
       ") WHERE t.tenant_id = $1 AND t.media_buy_id = $3 AND t.package_id = "
       "p.package_id"},
      {"mb_buy", "SELECT " BUY_COLUMNS " FROM media_buys WHERE tenant_id = $1 "
                 "AND media_buy_id = $2 AND ($4 OR principal_id = $3)"},
      {"mb_buy_for_update",
       "SELECT " BUY_COLUMNS " FROM media_buys WHERE tenant_id = $1 "
       "AND media_buy_id = $2 AND ($4 OR principal_id = $3) FOR UPDATE"},
      {"mb_buys", "SELECT " BUY_COLUMNS " FROM media_buys WHERE tenant_id = $1 "
                  "AND ($3 OR principal_id = $2) AND media_buy_id > $5 "
                  "ORDER BY media_buy_id LIMIT $4"},
      {"mb_packages_of_buy", "SELECT " PACKAGE_COLUMNS " FROM packages "
                             "WHERE tenant_id = $1 AND media_buy_id = $2 "
                             "ORDER BY ordinal"},
      {"mb_buy_of_package",
       "SELECT p.media_buy_id FROM packages p JOIN media_buys b ON "
       "b.tenant_id = p.tenant_id AND b.media_buy_id = p.media_buy_id WHERE "
       "p.tenant_id = $1 AND p.package_id = $2 AND ($4 OR b.principal_id = "
       "$3)"},
      {"mb_buy_update",
       "UPDATE media_buys SET status = $3, adapter_order_id = $4, "
       "total_budget = $5::numeric, start_time = " FROM_US(
           6) ", end_time = " FROM_US(7) ", revision = $8, paused_at = CASE "
                                         "WHEN $9::bigint IS NULL "
                                         "THEN NULL ELSE " FROM_US(
                                             9) " END, rejection_reason = $10, "
                                                "forced_status = NULL, "
                                                "adapter_state = $11::jsonb, "
                                                "updated_at = now() WHERE "
                                                "tenant_id = $1 AND "
                                                "media_buy_id = $2"},
      {"mb_buy_set_adapter_state",
       "UPDATE media_buys SET adapter_state = $3::jsonb WHERE tenant_id = $1 "
       "AND media_buy_id = $2"},
      {"mb_package_update",
       "UPDATE packages SET budget = $3::numeric, bid_price = $4::numeric, "
       "pacing = $5, impressions = $6, paused = $7, targeting_overlay = "
       "$8::jsonb, adapter_line_id = $9 WHERE tenant_id = $1 AND package_id "
       "= $2"},
      {"mb_creative", "SELECT " CREATIVE_COLUMNS " FROM creatives WHERE "
                      "tenant_id = $1 AND principal_id = $2 AND creative_id "
                      "= $3"},
      {"mb_creative_upsert",
       "INSERT INTO creatives (tenant_id, principal_id, creative_id, name, "
       "format_agent_url, format_id, assets, status, rejection_reason, "
       "adapter_creative_id, extra) VALUES ($1, $2, $3, $4, $5, $6, "
       "$7::jsonb, $8, $9, $10, $11::jsonb) ON CONFLICT (tenant_id, "
       "principal_id, creative_id) DO UPDATE SET name = EXCLUDED.name, "
       "format_agent_url = EXCLUDED.format_agent_url, format_id = "
       "EXCLUDED.format_id, assets = EXCLUDED.assets, status = "
       "EXCLUDED.status, rejection_reason = EXCLUDED.rejection_reason, "
       "adapter_creative_id = EXCLUDED.adapter_creative_id, extra = "
       "EXCLUDED.extra, updated_at = now()"},
      {"mb_creatives", "SELECT " CREATIVE_COLUMNS " FROM creatives WHERE "
                       "tenant_id = $1 AND principal_id = $2 AND creative_id "
                       "> $4 ORDER BY creative_id LIMIT $3"},
      {"mb_assign",
       "INSERT INTO creative_assignments (tenant_id, principal_id, "
       "creative_id, package_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO "
       "NOTHING"},
      {"mb_bind_held",
       "WITH held AS (UPDATE packages p SET extra = CASE WHEN "
       "jsonb_array_length((p.extra -> 'held_creative_ids') - $3::text) = 0 "
       "THEN p.extra - 'held_creative_ids' ELSE jsonb_set(p.extra, "
       "'{held_creative_ids}', (p.extra -> 'held_creative_ids') - $3::text) "
       "END FROM media_buys b WHERE p.tenant_id = $1 AND b.tenant_id = "
       "p.tenant_id AND b.media_buy_id = p.media_buy_id AND b.principal_id = "
       "$2 AND p.extra -> 'held_creative_ids' ? $3::text RETURNING "
       "p.package_id, p.media_buy_id), bound AS (INSERT INTO "
       "creative_assignments (tenant_id, principal_id, creative_id, "
       "package_id) SELECT $1, $2, $3, package_id FROM held ON CONFLICT DO "
       "NOTHING) SELECT package_id, media_buy_id FROM held"},
      {"mb_assignments_of_buy",
       "SELECT a.creative_id, a.package_id, p.media_buy_id, " EPOCH_US(
           "a.created_at") ", c.status, COALESCE(c.rejection_reason, '') FROM "
                           "creative_assignments a JOIN creatives c ON "
                           "c.tenant_id = a.tenant_id AND c.principal_id = "
                           "a.principal_id AND c.creative_id = a.creative_id "
                           "JOIN packages p ON "
                           "p.tenant_id = a.tenant_id AND p.package_id = "
                           "a.package_id WHERE a.tenant_id = $1 AND "
                           "p.media_buy_id = $2 ORDER BY a.package_id, "
                           "a.creative_id"},
      {"mb_assignments_of_creative",
       "SELECT a.creative_id, a.package_id, p.media_buy_id, " EPOCH_US(
           "a.created_at") ", c.status, COALESCE(c.rejection_reason, '') FROM "
                           "creative_assignments a JOIN creatives c ON "
                           "c.tenant_id = a.tenant_id AND c.principal_id = "
                           "a.principal_id AND c.creative_id = a.creative_id "
                           "JOIN packages p ON "
                           "p.tenant_id = a.tenant_id AND p.package_id = "
                           "a.package_id WHERE a.tenant_id = $1 AND "
                           "a.principal_id = $2 AND a.creative_id = $3 "
                           "ORDER BY a.package_id"},
      {"mb_task_insert",
       "INSERT INTO human_tasks (tenant_id, task_id, principal_id, "
       "task_type, media_buy_id, creative_id, summary) VALUES ($1, $2, $3, "
       "$4, $5, $6, $7) ON CONFLICT DO NOTHING"},
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
       "resolved_by = 'system', resolved_at = now() WHERE tenant_id = $1 AND "
       "media_buy_id = $2 AND status = 'pending'"},
      {"mb_task_resolve",
       "UPDATE human_tasks SET status = $3, resolution = $4, resolved_by = "
       "$5, resolved_at = now() WHERE tenant_id = $1 AND task_id = $2"},
      {"mb_idem_claim",
       "INSERT INTO idempotency_keys (tenant_id, principal_id, "
       "idempotency_key, operation, request_hash, response, expires_at) "
       "VALUES ($1, $2, $3, $4, decode($5, 'hex'), ''::bytea, now() + "
       "make_interval(secs => $6)) ON CONFLICT (tenant_id, principal_id, "
       "idempotency_key) DO NOTHING RETURNING true"},
      {"mb_idem_get",
       "SELECT encode(request_hash, 'hex'), operation, response, " EPOCH_US(
           "expires_at") ", expires_at < now() FROM idempotency_keys WHERE "
                         "tenant_id = $1 AND "
                         "principal_id = $2 AND idempotency_key = $3"},
      {"mb_idem_store",
       "UPDATE idempotency_keys SET response = $4 WHERE tenant_id = $1 AND "
       "principal_id = $2 AND idempotency_key = $3"},
      {"mb_idem_store_audited",
       "WITH audit AS (INSERT INTO audit_log (tenant_id, operation, "
       "principal_id, adapter_id, success, details) VALUES ($1, $5, $2, $6, "
       "true, $7::jsonb)) UPDATE idempotency_keys SET response = $4 WHERE "
       "tenant_id = $1 AND principal_id = $2 AND idempotency_key = $3"},
      {"mb_feedback_insert",
       "INSERT INTO performance_feedback (tenant_id, media_buy_id, "
       "principal_id, package_id, creative_id, performance_index, "
       "metric_type, feedback_source, period_start, period_end) VALUES ($1, "
       "$2, $3, $4, $5, $6::numeric, $7, $8, " FROM_US(9) ", " FROM_US(10) ")"},
      {"mb_audit",
       "INSERT INTO audit_log (tenant_id, operation, principal_id, "
       "adapter_id, success, details) VALUES ($1, $2, $3, $4, true, "
       "$5::jsonb)"},
  };
}

std::vector<ProductRow> Store::Products(pqxx::work& txn,
                                        const std::string& tenant_id,
                                        const Reader& reader) {
  std::vector<ProductRow> products;
  for (const auto& row : txn.exec_prepared(
           "mb_products", tenant_id, reader.principal_id, reader.is_admin)) {
    products.push_back(ProductOf(row));
  }
  return products;
}

void Store::UpsertProduct(pqxx::work& txn, const std::string& tenant_id,
                          const ProductRow& product) {
  txn.exec_prepared0(
      "mb_product_upsert", tenant_id, product.product_id, product.name,
      product.description, product.delivery_type,
      nlohmann::json(product.channels).dump(), product.format_ids.dump(),
      product.publisher_properties.dump(), product.pricing_options.dump(),
      nlohmann::json(product.allowed_principal_ids).dump(), product.is_active,
      product.reporting_capabilities.dump());
}

std::optional<AccountRow> Store::AccountById(pqxx::work& txn,
                                             const std::string& tenant_id,
                                             const std::string& account_id) {
  pqxx::result rows =
      txn.exec_prepared("mb_account_by_id", tenant_id, account_id);
  if (rows.empty()) return std::nullopt;
  return AccountOf(rows[0]);
}

std::optional<AccountRow> Store::AccountByKey(pqxx::work& txn,
                                              const std::string& tenant_id,
                                              const AccountRow& key) {
  pqxx::result rows =
      txn.exec_prepared("mb_account_by_key", tenant_id, key.principal_id,
                        key.brand_domain, key.brand_id, key.operator_domain);
  if (rows.empty()) return std::nullopt;
  return AccountOf(rows[0]);
}

void Store::InsertAccount(pqxx::work& txn, const std::string& tenant_id,
                          const AccountRow& account) {
  txn.exec_prepared0("mb_account_insert", tenant_id, account.account_id,
                     account.principal_id, account.brand_domain,
                     account.brand_id, account.operator_domain, account.name,
                     account.billing, account.status, account.sandbox);
}

void Store::UpdateAccount(pqxx::work& txn, const std::string& tenant_id,
                          const AccountRow& account) {
  txn.exec_prepared0("mb_account_update", tenant_id, account.account_id,
                     account.billing, account.sandbox);
}

void Store::SetAccountStatus(pqxx::work& txn, const std::string& tenant_id,
                             const std::string& account_id,
                             const std::string& status) {
  txn.exec_prepared0("mb_account_set_status", tenant_id, account_id, status);
}

void Store::ForceBuyStatus(pqxx::work& txn, const std::string& tenant_id,
                           const std::string& media_buy_id,
                           const std::string& status,
                           const std::string& rejection_reason) {
  txn.exec_prepared0("mb_buy_force_status", tenant_id, media_buy_id, status,
                     NullIfEmpty(rejection_reason));
}

void Store::SetSimulatedDelivery(pqxx::work& txn, const std::string& tenant_id,
                                 const std::string& media_buy_id,
                                 const nlohmann::json& delivery) {
  txn.exec_prepared0("mb_buy_simulate_delivery", tenant_id, media_buy_id,
                     delivery.dump());
}

void Store::PutDirective(pqxx::work& txn, const std::string& tenant_id,
                         const std::string& principal_id,
                         const Directive& directive) {
  txn.exec_prepared0("mb_directive_put", tenant_id, principal_id, directive.arm,
                     directive.task_id, directive.message);
}

std::optional<Directive> Store::TakeDirective(pqxx::work& txn,
                                              const std::string& tenant_id,
                                              const std::string& principal_id) {
  pqxx::result rows =
      txn.exec_prepared("mb_directive_take", tenant_id, principal_id);
  if (rows.empty()) return std::nullopt;
  return Directive{.arm = rows[0][0].as<std::string>(),
                   .task_id = rows[0][1].as<std::string>(),
                   .message = rows[0][2].as<std::string>()};
}

void Store::RetireTaskId(pqxx::work& txn, const std::string& tenant_id,
                         const std::string& principal_id,
                         const std::string& task_id,
                         const std::string& suffix) {
  txn.exec_prepared0("mb_task_retire_id", tenant_id, task_id, suffix,
                     principal_id);
}

std::vector<AccountRow> Store::Accounts(pqxx::work& txn,
                                        const std::string& tenant_id,
                                        const Reader& reader) {
  std::vector<AccountRow> accounts;
  for (const auto& row : txn.exec_prepared(
           "mb_accounts", tenant_id, reader.principal_id, reader.is_admin)) {
    accounts.push_back(AccountOf(row));
  }
  return accounts;
}

void Store::InsertBuy(pqxx::work& txn, const std::string& tenant_id,
                      const BuyRow& buy) {
  txn.exec_prepared0("mb_buy_insert", tenant_id, buy.media_buy_id,
                     buy.principal_id, NullIfEmpty(buy.account_id), buy.status,
                     buy.adapter, NullIfEmpty(buy.order_id), buy.currency,
                     DecimalFromMicros(buy.total_budget), Us(buy.start_time),
                     Us(buy.end_time), buy.start_asap, buy.revision,
                     buy.brand.dump(), NullIfEmpty(buy.po_number),
                     buy.extra.dump(), buy.adapter_state.dump());
  if (!buy.packages.empty())
    txn.exec_prepared0("mb_packages_insert", tenant_id,
                       PackagesJson(buy.packages, buy.media_buy_id));
}

std::optional<BuyRow> Store::Buy(pqxx::work& txn, const std::string& tenant_id,
                                 const std::string& media_buy_id,
                                 const Reader& reader, bool for_update) {
  pqxx::result rows =
      txn.exec_prepared(for_update ? "mb_buy_for_update" : "mb_buy", tenant_id,
                        media_buy_id, reader.principal_id, reader.is_admin);
  if (rows.empty()) return std::nullopt;
  BuyRow buy = BuyOf(rows[0]);
  buy.packages = PackagesOf(txn, tenant_id, media_buy_id);
  return buy;
}

std::vector<BuyRow> Store::Buys(pqxx::work& txn, const std::string& tenant_id,
                                const Reader& reader, int limit,
                                const std::string& after_id) {
  std::vector<BuyRow> buys;
  for (const auto& row :
       txn.exec_prepared("mb_buys", tenant_id, reader.principal_id,
                         reader.is_admin, limit, after_id)) {
    buys.push_back(BuyOf(row));
  }
  for (BuyRow& buy : buys)
    buy.packages = PackagesOf(txn, tenant_id, buy.media_buy_id);
  return buys;
}

std::optional<std::string> Store::BuyOfPackage(pqxx::work& txn,
                                               const std::string& tenant_id,
                                               const std::string& package_id,
                                               const Reader& reader) {
  pqxx::result rows =
      txn.exec_prepared("mb_buy_of_package", tenant_id, package_id,
                        reader.principal_id, reader.is_admin);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

void Store::UpdateBuy(pqxx::work& txn, const std::string& tenant_id,
                      const BuyRow& buy) {
  std::optional<int64_t> paused_at;
  if (buy.paused_at) paused_at = Us(*buy.paused_at);
  txn.exec_prepared0(
      "mb_buy_update", tenant_id, buy.media_buy_id, buy.status,
      NullIfEmpty(buy.order_id), DecimalFromMicros(buy.total_budget),
      Us(buy.start_time), Us(buy.end_time), buy.revision, paused_at,
      NullIfEmpty(buy.rejection_reason), buy.adapter_state.dump());
}

void Store::SetAdapterState(pqxx::work& txn, const std::string& tenant_id,
                            const std::string& media_buy_id,
                            const nlohmann::json& adapter_state) {
  txn.exec_prepared0("mb_buy_set_adapter_state", tenant_id, media_buy_id,
                     adapter_state.dump());
}

void Store::UpdatePackage(pqxx::work& txn, const std::string& tenant_id,
                          const PackageRow& package) {
  txn.exec_prepared0(
      "mb_package_update", tenant_id, package.package_id,
      DecimalFromMicros(package.budget), OptionalDecimal(package.bid_price),
      package.pacing, package.impressions, package.paused,
      package.targeting_overlay.is_null()
          ? std::nullopt
          : std::optional<std::string>(package.targeting_overlay.dump()),
      NullIfEmpty(package.line_id));
}

void Store::UpdatePackages(pqxx::work& txn, const std::string& tenant_id,
                           const std::string& media_buy_id,
                           const std::vector<PackageRow>& packages) {
  if (packages.empty()) return;
  // The buy's id keeps the plan on its packages: joined on the JSON alone
  // (100 rows, the planner assumes), a hash join read all of the tenant's
  // packages (./dev bench, auto_explain).
  const pqxx::result updated =
      txn.exec_prepared("mb_packages_update", tenant_id,
                        PackagesJson(packages, ""), media_buy_id);
  if (updated.affected_rows() != packages.size())
    throw std::logic_error("UpdatePackages: a package is not of media buy " +
                           media_buy_id);
}

std::optional<CreativeRow> Store::Creative(pqxx::work& txn,
                                           const std::string& tenant_id,
                                           const std::string& principal_id,
                                           const std::string& creative_id) {
  pqxx::result rows =
      txn.exec_prepared("mb_creative", tenant_id, principal_id, creative_id);
  if (rows.empty()) return std::nullopt;
  return CreativeOf(rows[0]);
}

void Store::UpsertCreative(pqxx::work& txn, const std::string& tenant_id,
                           const CreativeRow& creative) {
  txn.exec_prepared0("mb_creative_upsert", tenant_id, creative.principal_id,
                     creative.creative_id, creative.name,
                     creative.format_agent_url, creative.format_id,
                     creative.assets.dump(), creative.status,
                     NullIfEmpty(creative.rejection_reason),
                     NullIfEmpty(creative.platform_id), creative.extra.dump());
}

std::vector<CreativeRow> Store::Creatives(pqxx::work& txn,
                                          const std::string& tenant_id,
                                          const std::string& principal_id,
                                          int limit,
                                          const std::string& after_id) {
  std::vector<CreativeRow> creatives;
  for (const auto& row : txn.exec_prepared("mb_creatives", tenant_id,
                                           principal_id, limit, after_id)) {
    creatives.push_back(CreativeOf(row));
  }
  return creatives;
}

bool Store::Assign(pqxx::work& txn, const std::string& tenant_id,
                   const std::string& principal_id,
                   const std::string& creative_id,
                   const std::string& package_id) {
  return txn.exec_prepared("mb_assign", tenant_id, principal_id, creative_id,
                           package_id)
             .affected_rows() > 0;
}

std::vector<std::pair<std::string, std::string>> Store::BindHeldAssignments(
    pqxx::work& txn, const std::string& tenant_id,
    const std::string& principal_id, const std::string& creative_id) {
  std::vector<std::pair<std::string, std::string>> bound;
  for (const auto& row :
       txn.exec_prepared("mb_bind_held", tenant_id, principal_id, creative_id))
    bound.emplace_back(row[0].as<std::string>(), row[1].as<std::string>());
  return bound;
}

std::vector<AssignmentRow> Store::AssignmentsOfBuy(
    pqxx::work& txn, const std::string& tenant_id,
    const std::string& media_buy_id) {
  std::vector<AssignmentRow> out;
  for (const auto& row :
       txn.exec_prepared("mb_assignments_of_buy", tenant_id, media_buy_id)) {
    out.push_back(AssignmentOf(row));
  }
  return out;
}

std::vector<AssignmentRow> Store::AssignmentsOfCreative(
    pqxx::work& txn, const std::string& tenant_id,
    const std::string& principal_id, const std::string& creative_id) {
  std::vector<AssignmentRow> out;
  for (const auto& row :
       txn.exec_prepared("mb_assignments_of_creative", tenant_id, principal_id,
                         creative_id)) {
    out.push_back(AssignmentOf(row));
  }
  return out;
}

bool Store::InsertTask(pqxx::work& txn, const std::string& tenant_id,
                       const TaskRow& task) {
  return txn.exec_prepared("mb_task_insert", tenant_id, task.task_id,
                           task.principal_id, task.task_type,
                           NullIfEmpty(task.media_buy_id),
                           NullIfEmpty(task.creative_id), task.summary)
             .affected_rows() > 0;
}

std::optional<TaskRow> Store::Task(pqxx::work& txn,
                                   const std::string& tenant_id,
                                   const std::string& task_id,
                                   const Reader& reader, bool for_update) {
  pqxx::result rows = txn.exec_prepared(
      for_update ? "mb_task_for_update" : "mb_task", tenant_id, task_id,
      reader.principal_id, reader.is_admin);
  if (rows.empty()) return std::nullopt;
  return TaskOf(rows[0]);
}

std::vector<TaskRow> Store::Tasks(pqxx::work& txn, const std::string& tenant_id,
                                  const Reader& reader,
                                  const std::string& status, int limit,
                                  const std::string& after_id) {
  std::vector<TaskRow> tasks;
  for (const auto& row :
       txn.exec_prepared("mb_tasks", tenant_id, reader.principal_id,
                         reader.is_admin, status, limit, after_id)) {
    tasks.push_back(TaskOf(row));
  }
  return tasks;
}

void Store::ResolveTask(pqxx::work& txn, const std::string& tenant_id,
                        const TaskRow& task) {
  txn.exec_prepared0("mb_task_resolve", tenant_id, task.task_id, task.status,
                     task.resolution, task.resolved_by);
}

void Store::FailOpenTasksOfBuy(pqxx::work& txn, const std::string& tenant_id,
                               const std::string& media_buy_id,
                               const std::string& reason) {
  txn.exec_prepared0("mb_tasks_fail_of_buy", tenant_id, media_buy_id, reason);
}

std::optional<IdempotencyRecord> Store::ClaimIdempotencyKey(
    pqxx::work& txn, const std::string& tenant_id,
    const std::string& principal_id, const std::string& key,
    const std::string& operation, const std::string& request_hash_hex,
    absl::Duration ttl) {
  pqxx::result claimed = txn.exec_prepared(
      "mb_idem_claim", tenant_id, principal_id, key, operation,
      request_hash_hex, absl::ToDoubleSeconds(ttl));
  if (!claimed.empty()) return std::nullopt;
  pqxx::result rows =
      txn.exec_prepared("mb_idem_get", tenant_id, principal_id, key);
  IdempotencyRecord record;
  // The hash covers the operation too: a key reused for another task is a
  // different payload.
  record.request_hash =
      rows[0][0].as<std::string>() + ":" + rows[0][1].as<std::string>();
  pqxx::binarystring response(rows[0][2]);
  record.response = response.str();
  record.expires_at = TimeOf(rows[0][3]);
  record.expired = rows[0][4].as<bool>();
  return record;
}

void Store::StoreIdempotentResponse(pqxx::work& txn,
                                    const std::string& tenant_id,
                                    const std::string& principal_id,
                                    const std::string& key,
                                    const std::string& response,
                                    const AuditEntry* audit) {
  pqxx::binarystring bytes(response.data(), response.size());
  if (audit == nullptr) {
    txn.exec_prepared0("mb_idem_store", tenant_id, principal_id, key, bytes);
  } else {
    txn.exec_prepared0("mb_idem_store_audited", tenant_id, principal_id, key,
                       bytes, audit->operation, NullIfEmpty(audit->adapter),
                       audit->details.dump());
  }
}

void Store::InsertFeedback(
    pqxx::work& txn, const std::string& tenant_id,
    const std::string& media_buy_id, const std::string& principal_id,
    const std::string& package_id, const std::string& creative_id,
    const std::string& performance_index, const std::string& metric_type,
    const std::string& feedback_source, absl::Time start, absl::Time end) {
  txn.exec_prepared0("mb_feedback_insert", tenant_id, media_buy_id,
                     principal_id, NullIfEmpty(package_id),
                     NullIfEmpty(creative_id), performance_index, metric_type,
                     feedback_source, Us(start), Us(end));
}

void Store::Audit(pqxx::work& txn, const std::string& tenant_id,
                  const std::string& operation, const std::string& principal_id,
                  const std::string& adapter, const nlohmann::json& details) {
  txn.exec_prepared0("mb_audit", tenant_id, operation, principal_id,
                     NullIfEmpty(adapter), details.dump());
}

}  // namespace adcp::media_buy
