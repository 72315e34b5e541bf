#include "services/media-buy/store/buy_store.h"

#include "services/media-buy/store/internal/columns.h"

namespace adcp::media_buy {

namespace {

using store_internal::FirstRowOf;
using store_internal::Json;
using store_internal::MicrosOf;
using store_internal::NullIfEmpty;
using store_internal::OptionalDecimal;
using store_internal::OptionalMicros;
using store_internal::RowsOf;
using store_internal::TimeOf;
using store_internal::Us;

#define BUY_COLUMNS \
  "media_buy_id, principal_id, COALESCE(account_id, ''), status, adapter, "  \
  "COALESCE(adapter_order_id, ''), currency, total_budget::text, "           \
  EPOCH_US("start_time") ", " EPOCH_US("end_time") ", start_asap, revision, " \
  "brand::text, COALESCE(po_number, ''), extra::text, " EPOCH_US("paused_at") \
  ", COALESCE(rejection_reason, ''), " EPOCH_US("created_at") ", "           \
  EPOCH_US("updated_at") ", COALESCE(forced_status, ''), "                   \
  "COALESCE(simulated_delivery, 'null')::text, adapter_state::text, "        \
  "went_live"

#define PACKAGE_COLUMNS                                                 \
  "package_id, media_buy_id, ordinal, product_id, pricing_option_id, "  \
  "pricing_model, budget::text, bid_price::text, rate::text, pacing, "  \
  "impressions, paused, format_ids::text, COALESCE(targeting_overlay, " \
  "'null')::text, extra::text, COALESCE(adapter_line_id, '')"

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
  buy.went_live = row[22].as<bool>();
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

std::vector<PackageRow> PackagesOf(TenantTxn& txn,
                                   const std::string& media_buy_id) {
  return RowsOf(txn.Exec("mb_packages_of_buy", media_buy_id), &PackageOf);
}

}  // namespace

PgPool::Statements BuyStore::Statements() {
  return {
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
                                                "went_live = $12, "
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
      {"mb_buy_force_status",
       "UPDATE media_buys SET forced_status = $3, rejection_reason = "
       "COALESCE($4, rejection_reason), updated_at = now() "
       "WHERE tenant_id = $1 AND media_buy_id = $2"},
      {"mb_buy_simulate_delivery",
       "UPDATE media_buys SET simulated_delivery = $3::jsonb, "
       "updated_at = now() WHERE tenant_id = $1 AND media_buy_id = $2"},
  };
}

void BuyStore::Insert(TenantTxn& txn, const BuyRow& buy) {
  txn.Exec0("mb_buy_insert", buy.media_buy_id, buy.principal_id,
            NullIfEmpty(buy.account_id), buy.status, buy.adapter,
            NullIfEmpty(buy.order_id), buy.currency,
            DecimalFromMicros(buy.total_budget), Us(buy.start_time),
            Us(buy.end_time), buy.start_asap, buy.revision, buy.brand.dump(),
            NullIfEmpty(buy.po_number), buy.extra.dump(),
            buy.adapter_state.dump());
  if (!buy.packages.empty())
    txn.Exec0("mb_packages_insert",
              PackagesJson(buy.packages, buy.media_buy_id));
}

std::optional<BuyRow> BuyStore::Find(TenantTxn& txn,
                                     const std::string& media_buy_id,
                                     const Reader& reader, bool for_update) {
  std::optional<BuyRow> buy =
      FirstRowOf(txn.Exec(for_update ? "mb_buy_for_update" : "mb_buy",
                          media_buy_id, reader.principal_id, reader.is_admin),
                 &BuyOf);
  if (buy) buy->packages = PackagesOf(txn, media_buy_id);
  return buy;
}

std::vector<BuyRow> BuyStore::List(TenantTxn& txn, const Reader& reader,
                                   int limit, const std::string& after_id) {
  std::vector<BuyRow> buys = RowsOf(txn.Exec("mb_buys", reader.principal_id,
                                             reader.is_admin, limit, after_id),
                                    &BuyOf);
  for (BuyRow& buy : buys) buy.packages = PackagesOf(txn, buy.media_buy_id);
  return buys;
}

std::optional<std::string> BuyStore::OfPackage(TenantTxn& txn,
                                               const std::string& package_id,
                                               const Reader& reader) {
  pqxx::result rows = txn.Exec("mb_buy_of_package", package_id,
                               reader.principal_id, reader.is_admin);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

void BuyStore::Update(TenantTxn& txn, const BuyRow& buy) {
  std::optional<int64_t> paused_at;
  if (buy.paused_at) paused_at = Us(*buy.paused_at);
  txn.Exec0("mb_buy_update", buy.media_buy_id, buy.status,
            NullIfEmpty(buy.order_id), DecimalFromMicros(buy.total_budget),
            Us(buy.start_time), Us(buy.end_time), buy.revision, paused_at,
            NullIfEmpty(buy.rejection_reason), buy.adapter_state.dump(),
            buy.went_live);
}

void BuyStore::SetAdapterState(TenantTxn& txn, const std::string& media_buy_id,
                               const nlohmann::json& adapter_state) {
  txn.Exec0("mb_buy_set_adapter_state", media_buy_id, adapter_state.dump());
}

void BuyStore::ForceStatus(TenantTxn& txn, const std::string& media_buy_id,
                           const std::string& status,
                           const std::string& rejection_reason) {
  txn.Exec0("mb_buy_force_status", media_buy_id, status,
            NullIfEmpty(rejection_reason));
}

void BuyStore::SetSimulatedDelivery(TenantTxn& txn,
                                    const std::string& media_buy_id,
                                    const nlohmann::json& delivery) {
  txn.Exec0("mb_buy_simulate_delivery", media_buy_id, delivery.dump());
}

void BuyStore::UpdatePackages(TenantTxn& txn, const std::string& media_buy_id,
                              const std::vector<PackageRow>& packages) {
  if (packages.empty()) return;
  // The buy's id keeps the plan on its packages: joined on the JSON alone
  // (100 rows, the planner assumes), a hash join read all of the tenant's
  // packages (./dev bench, auto_explain).
  const pqxx::result updated =
      txn.Exec("mb_packages_update", PackagesJson(packages, ""), media_buy_id);
  if (updated.affected_rows() != packages.size())
    throw std::logic_error("UpdatePackages: a package is not of media buy " +
                           media_buy_id);
}

void BuyStore::UpdatePackage(TenantTxn& txn, const PackageRow& package) {
  txn.Exec0("mb_package_update", package.package_id,
            DecimalFromMicros(package.budget),
            OptionalDecimal(package.bid_price), package.pacing,
            package.impressions, package.paused,
            package.targeting_overlay.is_null()
                ? std::nullopt
                : std::optional<std::string>(package.targeting_overlay.dump()),
            NullIfEmpty(package.line_id));
}

}  // namespace adcp::media_buy
