#include "services/media-buy/store/creative_store.h"

#include "services/media-buy/store/internal/columns.h"

namespace adcp::media_buy {

namespace {

using store_internal::FirstRowOf;
using store_internal::Json;
using store_internal::NullIfEmpty;
using store_internal::RowsOf;
using store_internal::TimeOf;

#define CREATIVE_COLUMNS                                           \
  "principal_id, creative_id, name, format_agent_url, format_id, " \
  "assets::text, status, COALESCE(rejection_reason, ''), "         \
  "COALESCE(adapter_creative_id, ''), extra::text, " EPOCH_US(     \
      "created_at") ", " EPOCH_US("updated_at")

// An assignment with its creative's review state and its package's buy;
// the caller's condition follows.
#define ASSIGNMENTS_WHERE \
  "SELECT a.creative_id, a.package_id, p.media_buy_id, " EPOCH_US(           \
      "a.created_at") ", c.status, COALESCE(c.rejection_reason, '') FROM "   \
  "creative_assignments a JOIN creatives c ON c.tenant_id = a.tenant_id "    \
  "AND c.principal_id = a.principal_id AND c.creative_id = a.creative_id "   \
  "JOIN packages p ON p.tenant_id = a.tenant_id AND p.package_id = "         \
  "a.package_id WHERE a.tenant_id = $1 AND "

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

AssignmentRow AssignmentOf(const pqxx::row& row) {
  return AssignmentRow{.creative_id = row[0].as<std::string>(),
                       .package_id = row[1].as<std::string>(),
                       .media_buy_id = row[2].as<std::string>(),
                       .created_at = TimeOf(row[3]),
                       .creative_status = row[4].as<std::string>(),
                       .rejection_reason = row[5].as<std::string>()};
}

}  // namespace

PgPool::Statements CreativeStore::Statements() {
  return {
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
       ASSIGNMENTS_WHERE "p.media_buy_id = $2 ORDER BY a.package_id, "
                         "a.creative_id"},
      {"mb_assignments_of_creative",
       ASSIGNMENTS_WHERE "a.principal_id = $2 AND a.creative_id = $3 "
                         "ORDER BY a.package_id"},
  };
}

std::optional<CreativeRow> CreativeStore::Find(TenantTxn& txn,
                                               const std::string& principal_id,
                                               const std::string& creative_id) {
  return FirstRowOf(txn.Exec("mb_creative", principal_id, creative_id),
                    &CreativeOf);
}

void CreativeStore::Upsert(TenantTxn& txn, const CreativeRow& creative) {
  txn.Exec0("mb_creative_upsert", creative.principal_id, creative.creative_id,
            creative.name, creative.format_agent_url, creative.format_id,
            creative.assets.dump(), creative.status,
            NullIfEmpty(creative.rejection_reason),
            NullIfEmpty(creative.platform_id), creative.extra.dump());
}

std::vector<CreativeRow> CreativeStore::List(TenantTxn& txn,
                                             const std::string& principal_id,
                                             int limit,
                                             const std::string& after_id) {
  return RowsOf(txn.Exec("mb_creatives", principal_id, limit, after_id),
                &CreativeOf);
}

bool CreativeStore::Assign(TenantTxn& txn, const std::string& principal_id,
                           const std::string& creative_id,
                           const std::string& package_id) {
  return txn.Exec("mb_assign", principal_id, creative_id, package_id)
             .affected_rows() > 0;
}

std::vector<std::pair<std::string, std::string>>
CreativeStore::BindHeldAssignments(TenantTxn& txn,
                                   const std::string& principal_id,
                                   const std::string& creative_id) {
  std::vector<std::pair<std::string, std::string>> bound;
  for (const auto& row : txn.Exec("mb_bind_held", principal_id, creative_id))
    bound.emplace_back(row[0].as<std::string>(), row[1].as<std::string>());
  return bound;
}

std::vector<AssignmentRow> CreativeStore::AssignmentsOfBuy(
    TenantTxn& txn, const std::string& media_buy_id) {
  return RowsOf(txn.Exec("mb_assignments_of_buy", media_buy_id), &AssignmentOf);
}

std::vector<AssignmentRow> CreativeStore::AssignmentsOfCreative(
    TenantTxn& txn, const std::string& principal_id,
    const std::string& creative_id) {
  return RowsOf(
      txn.Exec("mb_assignments_of_creative", principal_id, creative_id),
      &AssignmentOf);
}

}  // namespace adcp::media_buy
