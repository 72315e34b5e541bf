// list_creatives: the buyer's library, filtered, newest first.
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/base/status.h"
#include "libs/tenancy/tenant_config.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/paging.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/store/creative_store.h"
#include "services/media-buy/tasks/accounts.h"
#include "services/media-buy/tasks/creatives.h"

namespace adcp::media_buy::tasks {

namespace pb = ::adcp::media_buy::v1;

namespace {

// Values of one list_creatives filter list (AdCP's maxItems of
// filters.creative_ids).
constexpr int kMaxFilterValues = 100;

bool IsCreativeStatus(const std::string& status) {
  return status == "processing" || status == "pending_review" ||
         status == "approved" || status == "rejected" || status == "archived";
}

pb::Creative CreativeToProto(const CreativeRow& row,
                             const std::vector<AssignmentRow>& assignments,
                             bool include_assignments) {
  pb::Creative out;
  out.set_creative_id(row.creative_id);
  out.set_name(row.name);
  out.mutable_format_id()->set_agent_url(row.format_agent_url);
  out.mutable_format_id()->set_id(row.format_id);
  out.set_status(row.status);
  out.set_created_date(Rfc3339(row.created_at));
  out.set_updated_date(Rfc3339(row.updated_at));
  *out.mutable_assets() = JsonToStruct(row.assets);
  for (const std::string& tag : TagsOf(row)) out.add_tags(tag);
  if (include_assignments) {
    pb::CreativeAssignments* out_assignments = out.mutable_assignments();
    out_assignments->set_assignment_count(static_cast<int>(assignments.size()));
    for (const AssignmentRow& assignment : assignments) {
      pb::AssignedPackage* package = out_assignments->add_assigned_packages();
      package->set_package_id(assignment.package_id);
      package->set_assigned_date(Rfc3339(assignment.created_at));
    }
  }
  return out;
}

bool AnyOf(const std::set<std::string>& wanted,
           const std::set<std::string>& have) {
  return std::any_of(wanted.begin(), wanted.end(),
                     [&](const std::string& v) { return have.count(v) > 0; });
}

// list_creatives' filters, read from the request.
struct CreativeFilters {
  std::vector<std::string> applied;
  std::set<std::string> statuses, ids, packages, buys, tags_all, tags_any;
  std::string name_contains;
  std::optional<bool> unassigned;
  std::optional<absl::Time> created_after, created_before, updated_after,
      updated_before;

  absl::Status Read(const nlohmann::json& filters);
  // The row's own fields (no assignments).
  bool Matches(const CreativeRow& row) const;
  bool MatchesAssignments(const std::vector<AssignmentRow>& assigned) const;

 private:
  absl::Status ReadList(const nlohmann::json& filters, const char* key,
                        std::set<std::string>& into);
  absl::Status ReadScalars(const nlohmann::json& filters);
};

absl::Status CreativeFilters::ReadList(const nlohmann::json& filters,
                                       const char* key,
                                       std::set<std::string>& into) {
  if (!filters.contains(key)) return absl::OkStatus();
  const std::string field = absl::StrCat("filters.", key);
  if (!filters[key].is_array() || filters[key].empty())
    return InvalidField(field, "must be a non-empty array of strings");
  // AdCP's maxItems of filters.creative_ids, for every list.
  if (filters[key].size() > static_cast<size_t>(kMaxFilterValues))
    return InvalidField(field, absl::StrCat("must contain at most ",
                                            kMaxFilterValues, " values"));
  for (const auto& item : filters[key]) {
    if (!item.is_string()) return InvalidField(field, "must contain strings");
    into.insert(item.get<std::string>());
  }
  applied.push_back(key);
  return absl::OkStatus();
}

absl::Status CreativeFilters::ReadScalars(const nlohmann::json& filters) {
  if (filters.contains("name_contains")) {
    if (!filters["name_contains"].is_string())
      return InvalidField("filters.name_contains", "must be a string");
    name_contains =
        absl::AsciiStrToLower(filters["name_contains"].get<std::string>());
    applied.push_back("name_contains");
  }
  if (filters.contains("unassigned")) {
    if (!filters["unassigned"].is_boolean())
      return InvalidField("filters.unassigned", "must be a boolean");
    unassigned = filters["unassigned"].get<bool>();
    applied.push_back("unassigned");
  }
  for (auto [key, into] : {std::pair{"created_after", &created_after},
                           std::pair{"created_before", &created_before},
                           std::pair{"updated_after", &updated_after},
                           std::pair{"updated_before", &updated_before}}) {
    if (!filters.contains(key)) continue;
    const std::string field = absl::StrCat("filters.", key);
    if (!filters[key].is_string())
      return InvalidField(field, "must be an RFC 3339 date-time");
    ASSIGN_OR_RETURN(*into, ParseTime(field, filters[key].get<std::string>()));
    applied.push_back(key);
  }
  return absl::OkStatus();
}

absl::Status CreativeFilters::Read(const nlohmann::json& filters) {
  RETURN_IF_ERROR(ReadList(filters, "statuses", statuses));
  for (const std::string& status : statuses)
    if (!IsCreativeStatus(status))
      return InvalidField(
          "filters.statuses",
          absl::StrCat("'", status, "' is not a creative status"));
  RETURN_IF_ERROR(ReadList(filters, "creative_ids", ids));
  RETURN_IF_ERROR(ReadList(filters, "assigned_to_packages", packages));
  RETURN_IF_ERROR(ReadList(filters, "media_buy_ids", buys));
  RETURN_IF_ERROR(ReadList(filters, "tags", tags_all));
  RETURN_IF_ERROR(ReadList(filters, "tags_any", tags_any));
  return ReadScalars(filters);
}

bool CreativeFilters::Matches(const CreativeRow& row) const {
  if (!statuses.empty() && !statuses.count(row.status)) return false;
  if (!ids.empty() && !ids.count(row.creative_id)) return false;
  if (!name_contains.empty() &&
      !absl::StrContains(absl::AsciiStrToLower(row.name), name_contains))
    return false;
  const std::vector<std::string> tags = TagsOf(row);
  const std::set<std::string> tag_set(tags.begin(), tags.end());
  if (!std::all_of(tags_all.begin(), tags_all.end(),
                   [&](const std::string& t) { return tag_set.count(t) > 0; }))
    return false;
  if (!tags_any.empty() && !AnyOf(tags_any, tag_set)) return false;
  if (created_after && row.created_at <= *created_after) return false;
  if (created_before && row.created_at >= *created_before) return false;
  if (updated_after && row.updated_at <= *updated_after) return false;
  if (updated_before && row.updated_at >= *updated_before) return false;
  return true;
}

bool CreativeFilters::MatchesAssignments(
    const std::vector<AssignmentRow>& assigned) const {
  if (unassigned && *unassigned != assigned.empty()) return false;
  std::set<std::string> assigned_packages, assigned_buys;
  for (const AssignmentRow& a : assigned) {
    assigned_packages.insert(a.package_id);
    assigned_buys.insert(a.media_buy_id);
  }
  if (!packages.empty() && !AnyOf(packages, assigned_packages)) return false;
  if (!buys.empty() && !AnyOf(buys, assigned_buys)) return false;
  return true;
}

using Matching =
    std::vector<std::pair<CreativeRow, std::vector<AssignmentRow>>>;

// The caller's creatives that pass `filters`, read a chunk at a time, with
// their assignments; `status_summary` counts them by status.
Matching MatchingCreatives(TenantTxn& txn, const Call& call,
                           const CreativeFilters& filters,
                           nlohmann::json& status_summary) {
  Matching matching;
  std::string after;
  constexpr int kChunk = 500;
  while (true) {
    std::vector<CreativeRow> chunk =
        CreativeStore::List(txn, call.ctx.principal_id, kChunk, after);
    for (CreativeRow& row : chunk) {
      after = row.creative_id;
      if (!filters.Matches(row)) continue;
      std::vector<AssignmentRow> assigned =
          CreativeStore::AssignmentsOfCreative(txn, call.ctx.principal_id,
                                               row.creative_id);
      if (!filters.MatchesAssignments(assigned)) continue;
      status_summary[row.status] = status_summary.value(row.status, 0) + 1;
      matching.emplace_back(std::move(row), std::move(assigned));
    }
    if (static_cast<int>(chunk.size()) < kChunk) break;
  }
  // Newest first (created_date desc), ties by id.
  std::stable_sort(matching.begin(), matching.end(),
                   [](const auto& a, const auto& b) {
                     return a.first.created_at > b.first.created_at;
                   });
  return matching;
}

}  // namespace

absl::Status ListCreatives(const TaskContext& context, const Call& call,
                           const pb::ListCreativesRequest& request,
                           pb::ListCreativesResponse* response) {
  RETURN_IF_ERROR(CheckMajorVersion(request));
  ASSIGN_OR_RETURN(const int limit, PageSize(request.pagination()));
  CreativeFilters filters;
  RETURN_IF_ERROR(filters.Read(StructToJson(request.filters())));
  ASSIGN_OR_RETURN(const size_t offset, PageOffset(request.pagination()));
  const bool include_assignments =
      !request.has_include_assignments() || request.include_assignments();
  return context.pool.WithTenantTransaction(
      call.ctx.tenant_id, [&](TenantTxn& txn) -> absl::Status {
        // An account_id must be one of the caller's; a natural key may be
        // new.
        if (request.has_account() && !request.account().account_id().empty())
          RETURN_IF_ERROR(
              OwnAccount(txn, call, request.account().account_id()).status());
        nlohmann::json status_summary = nlohmann::json::object();
        const Matching matching =
            MatchingCreatives(txn, call, filters, status_summary);
        int returned = 0;
        for (size_t i = offset; i < matching.size() && returned < limit;
             ++i, ++returned) {
          *response->add_creatives() = CreativeToProto(
              matching[i].first, matching[i].second, include_assignments);
        }
        const bool more =
            offset + static_cast<size_t>(returned) < matching.size();
        response->mutable_pagination()->set_has_more(more);
        if (more)
          response->mutable_pagination()->set_cursor(
              absl::StrCat(offset + static_cast<size_t>(returned)));
        response->mutable_pagination()->set_total_count(
            static_cast<int>(matching.size()));
        *response->mutable_query_summary() = JsonToStruct(
            {{"total_matching", matching.size()},
             {"returned", returned},
             {"filters_applied", filters.applied},
             {"sort_applied",
              {{"field", "created_date"}, {"direction", "desc"}}}});
        *response->mutable_status_summary() = JsonToStruct(status_summary);
        *response->mutable_context() = request.context();
        return absl::OkStatus();
      });
}

}  // namespace adcp::media_buy::tasks
