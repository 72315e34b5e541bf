#include "services/media-buy/tasks/products.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/base/status.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/paging.h"
#include "services/media-buy/domain/product_view.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/sandbox/comply_controller.h"
#include "services/media-buy/store/audit_store.h"
#include "services/media-buy/store/product_store.h"
#include "services/media-buy/tasks/refine.h"

namespace adcp::media_buy::tasks {

namespace pb = ::adcp::media_buy::v1;

absl::Status GetAdcpCapabilities(const TaskContext& context, const Call& call,
                                 const pb::GetAdcpCapabilitiesRequest& request,
                                 pb::GetAdcpCapabilitiesResponse* response) {
  RETURN_IF_ERROR(CheckMajorVersion(request));
  const tenant::v1::Tenant& tenant = *call.tenant;
  nlohmann::json adcp = {
      {"major_versions", {3}},
      {"idempotency",
       {{"supported", true},
        {"replay_ttl_seconds",
         absl::ToInt64Seconds(context.options.idempotency_ttl)}}}};
  nlohmann::json media_buy = {
      {"supported_pricing_models", {"cpm", "vcpm", "cpc", "flat_rate"}},
      {"features",
       {{"inline_creative_management", true},
        {"property_list_filtering", false},
        {"catalog_management", false}}},
      {"portfolio",
       {{"publisher_domains",
         PublisherDomains(tenant, context.options.publisher_base_domain)}}}};
  *response->mutable_adcp() = JsonToStruct(adcp);
  response->add_supported_protocols("media_buy");
  *response->mutable_account() =
      JsonToStruct({{"supported_billing", {"operator", "agent", "advertiser"}},
                    {"require_operator_auth", false},
                    {"required_for_products", false}});
  *response->mutable_media_buy() = JsonToStruct(media_buy);
  if (tenant.config().sandbox()) {
    *response->mutable_compliance_testing() =
        JsonToStruct({{"scenarios", AnnouncedControllerScenarios()}});
  }
  if (const auto& signing = tenant.config().request_signing();
      signing.has_supported()) {
    auto list = [](const auto& names) {
      return nlohmann::json(
          std::vector<std::string>(names.begin(), names.end()));
    };
    *response->mutable_request_signing() = JsonToStruct(
        {{"supported", signing.supported()},
         {"covers_content_digest", signing.covers_content_digest().empty()
                                       ? "either"
                                       : signing.covers_content_digest()},
         {"required_for", list(signing.required_for())},
         {"warn_for", list(signing.warn_for())},
         {"supported_for", list(signing.supported_for())}});
  }
  *response->mutable_context() = request.context();
  return absl::OkStatus();
}

namespace {

absl::Status CheckBuyingMode(const pb::GetProductsRequest& request) {
  const std::string& mode = request.buying_mode();
  if (mode.empty()) return InvalidField("buying_mode", "is required");
  if (mode != "brief" && mode != "wholesale" && mode != "refine")
    return InvalidField("buying_mode",
                        "must be one of brief, wholesale, refine");
  if (mode == "refine" && request.refine_size() == 0)
    return InvalidField("refine", "is required when buying_mode is refine");
  if (mode != "refine" && request.refine_size() > 0)
    return InvalidField("refine", "is only valid with buying_mode refine");
  if (mode == "brief" && request.brief().empty())
    return InvalidField("brief", "is required when buying_mode is brief");
  return absl::OkStatus();
}

// A product the caller may see, with its score against the brief.
using Ranked = std::vector<std::pair<int, const ProductRow*>>;

// The products the caller may see that match the request's filters, best
// scored first (brief mode); `cached` maps each to its cached answer.
Ranked RankProducts(
    const pb::GetProductsRequest& request, const CachedProducts& products,
    const Reader& reader,
    absl::flat_hash_map<const ProductRow*, const CachedProduct*>& cached) {
  const bool brief = request.buying_mode() == "brief";
  const nlohmann::json filters = StructToJson(request.filters());
  const std::vector<std::string> terms =
      brief ? BriefTerms(request.brief()) : std::vector<std::string>();
  Ranked ranked;
  for (const CachedProduct& product : *products) {
    const ProductRow& row = product.row;
    if (!VisibleTo(row, reader) || !MatchesProductFilters(row, filters))
      continue;
    cached[&row] = &product;
    ranked.emplace_back(brief ? BriefScore(product.brief_text, terms) : 0,
                        &row);
  }
  std::stable_sort(
      ranked.begin(), ranked.end(),
      [](const auto& a, const auto& b) { return a.first > b.first; });
  return ranked;
}

// buying_mode refine: the ranked products after the request's refinements.
absl::Status ApplyRefine(const pb::GetProductsRequest& request, Ranked& ranked,
                         pb::GetProductsResponse* response) {
  std::vector<const ProductRow*> selected;
  for (const auto& [score, row] : ranked) selected.push_back(row);
  std::vector<nlohmann::json> applied;
  RETURN_IF_ERROR(Refine(request.refine(), selected, applied));
  ranked.clear();
  for (const ProductRow* row : selected) ranked.emplace_back(0, row);
  for (const nlohmann::json& entry : applied)
    *response->add_refinement_applied() = JsonToStruct(entry);
  return absl::OkStatus();
}

}  // namespace

absl::Status GetProducts(const TaskContext& context, const Call& call,
                         const pb::GetProductsRequest& request,
                         pb::GetProductsResponse* response) {
  RETURN_IF_ERROR(CheckMajorVersion(request));
  RETURN_IF_ERROR(CheckBuyingMode(request));
  const std::string& mode = request.buying_mode();
  ASSIGN_OR_RETURN(const int limit, PageSize(request.pagination()));
  // From memory in steady state (ProductCache); the visibility rule of
  // the mb_products query applies here.
  ASSIGN_OR_RETURN(const CachedProducts products,
                   context.products.Get(call.ctx.tenant_id));
  absl::flat_hash_map<const ProductRow*, const CachedProduct*> cached;
  Ranked ranked = RankProducts(request, products, call.buyer(), cached);
  if (mode == "refine") RETURN_IF_ERROR(ApplyRefine(request, ranked, response));
  ASSIGN_OR_RETURN(const size_t start, PageOffset(request.pagination()));
  for (size_t i = start; i < ranked.size() && i < start + limit; ++i) {
    const CachedProduct& product = *cached.at(ranked[i].second);
    AppendProduct(
        call.ctx.principal_id.empty() ? product.wire_without_prices
                                      : product.wire,
        mode == "brief" && ranked[i].first > 0
            ? absl::StrCat("matches ", ranked[i].first, " term(s) of the brief")
            : std::string(),
        *response);
  }
  response->mutable_pagination()->set_has_more(start + limit < ranked.size());
  if (start + limit < ranked.size())
    response->mutable_pagination()->set_cursor(absl::StrCat(start + limit));
  *response->mutable_context() = request.context();
  return absl::OkStatus();
}

absl::Status ListCreativeFormats(const TaskContext& context, const Call&,
                                 const pb::ListCreativeFormatsRequest& request,
                                 pb::ListCreativeFormatsResponse* response) {
  RETURN_IF_ERROR(CheckMajorVersion(request));
  for (int i = 0; i < request.format_ids_size(); ++i) {
    RETURN_IF_ERROR(ValidateFormatId(absl::StrCat("format_ids[", i, "]"),
                                     request.format_ids(i)));
  }
  const std::string search = absl::AsciiStrToLower(request.name_search());
  for (const pb::Format& format : context.formats.formats()) {
    if (request.format_ids_size() > 0 &&
        std::none_of(request.format_ids().begin(), request.format_ids().end(),
                     [&](const pb::FormatId& id) {
                       return id.id() == format.format_id().id() &&
                              id.agent_url() == format.format_id().agent_url();
                     })) {
      continue;
    }
    if (!search.empty() &&
        !absl::StrContains(absl::AsciiStrToLower(format.name()), search)) {
      continue;
    }
    *response->add_formats() = format;
  }
  response->mutable_pagination()->set_has_more(false);
  *response->mutable_context() = request.context();
  return absl::OkStatus();
}

absl::Status UpsertProduct(const TaskContext& context, const Call& call,
                           const pb::UpsertProductRequest& request,
                           pb::ProductDefinition* response) {
  ASSIGN_OR_RETURN(
      ProductRow row,
      ProductFromDefinition(request.definition(), context.formats, *call.tenant,
                            context.options.publisher_base_domain));
  RETURN_IF_ERROR(context.InTransaction(call, [&](TenantTxn& txn) {
    ProductStore::Upsert(txn, row);
    AuditStore::Insert(
        txn, "upsert_product", call.ctx.principal_id, "",
        {{"product_id", row.product_id}, {"is_active", row.is_active}});
    return absl::OkStatus();
  }));
  // This replica reads its own write at once; the others on the trigger's
  // notification.
  context.products.Invalidate(call.ctx.tenant_id);
  *response->mutable_product() = ProductToProto(row);
  for (const auto& id : row.allowed_principal_ids)
    response->add_allowed_principal_ids(id);
  response->set_is_active(row.is_active);
  return absl::OkStatus();
}

}  // namespace adcp::media_buy::tasks
