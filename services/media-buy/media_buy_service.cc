#include "services/media-buy/media_buy_service.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "libs/base/log.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "libs/tenancy/tenant_config.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/task_support.h"
#include "services/media-buy/sandbox/comply_controller.h"

namespace adcp::media_buy {

namespace pb = ::adcp::media_buy::v1;

struct MediaBuyService::Call {
  CallContext ctx;
  std::shared_ptr<const tenant::v1::Tenant> tenant;
  bool dry_run = false;
  // The request's use of its tenant's ad server (bulkhead slot, fan-out
  // count); shared by the copies of a Call.
  std::shared_ptr<AdServerSession> ad_server;
  // The tenant's config as a document, made once per call when asked for.
  const TenantConfigView& config() const {
    if (!config_view) config_view.emplace(tenant->config());
    return *config_view;
  }
  mutable std::optional<TenantConfigView> config_view;
  Reader reader() const { return {ctx.principal_id, ctx.is_admin}; }
  Reader buyer() const { return {ctx.principal_id, false}; }
};

namespace {

// Rolls a dry run's transaction back after the answer was built.
constexpr char kDryRunRollback[] = "dry run: rolled back";

constexpr int kDefaultPageSize = 50;
// How far ahead a flight may end.
constexpr absl::Duration kMaxFlightAhead = absl::Hours(24 * 366 * 5);
constexpr int kMaxPageSize = 100;
// Ids one get_media_buys / get_media_buy_delivery may name (AdCP states no
// maxItems; each id costs a query and, for delivery, ad-server reports).
constexpr int kMaxMediaBuyIds = 100;
// Packages of one buy (create_media_buy) and package changes of one update.
constexpr int kMaxPackages = 50;
// Creatives one package assignment list may name (create and update).
constexpr int kMaxCreativeAssignmentsPerPackage = 100;

// A request id we echo to buyers and write to logs: the caller's
// x-request-id when it is a plain token, else one of ours.
bool IsPlainRequestId(const std::string& id) {
  return !id.empty() && id.size() <= 128 &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
                  c == ':';
         });
}

// A list of ids as a task reads it: at most `max`, each valid, each once
// (a repeated id is read once).
absl::StatusOr<std::vector<std::string>> DistinctIds(
    std::string_view field,
    const google::protobuf::RepeatedPtrField<std::string>& ids, int max) {
  if (ids.size() > max)
    return InvalidField(field, absl::StrCat("must name at most ", max, " ids (",
                                            ids.size(), " given)"));
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (int i = 0; i < ids.size(); ++i) {
    RETURN_IF_ERROR(
        ValidateId(absl::StrCat(std::string(field), "[", i, "]"), ids[i]));
    if (seen.insert(ids[i]).second) out.push_back(ids[i]);
  }
  return out;
}

absl::StatusOr<int> PageSize(const pb::PaginationRequest& pagination) {
  if (!pagination.has_max_results()) return kDefaultPageSize;
  if (pagination.max_results() < 1 || pagination.max_results() > kMaxPageSize)
    return InvalidField("pagination.max_results",
                        absl::StrCat("must be 1-", kMaxPageSize));
  return pagination.max_results();
}

}  // namespace

namespace {

// buying_mode refine: applies each change request to the products of a
// wholesale selection and says, per request, what was done. Request-level
// asks are read for the delivery types and channels they name; product
// asks include, omit or widen ("more_like_this": same channel); proposals
// do not exist here.
absl::Status Refine(
    const google::protobuf::RepeatedPtrField<google::protobuf::Struct>& refine,
    std::vector<const ProductRow*>& selected,
    std::vector<nlohmann::json>& applied) {
  const std::vector<const ProductRow*> all = selected;
  for (int i = 0; i < refine.size(); ++i) {
    const std::string field = absl::StrCat("refine[", i, "]");
    const nlohmann::json entry = StructToJson(refine[i]);
    const std::string scope = entry.value("scope", "");
    const std::string ask =
        entry.contains("ask") && entry["ask"].is_string() ? entry["ask"] : "";
    if (scope == "request") {
      if (ask.empty()) return InvalidField(field + ".ask", "is required");
      const std::string lower = absl::AsciiStrToLower(ask);
      std::vector<std::string> done;
      auto keep = [&](auto predicate) {
        std::vector<const ProductRow*> kept;
        for (const ProductRow* row : selected)
          if (predicate(*row)) kept.push_back(row);
        selected.swap(kept);
      };
      const bool non_guaranteed = absl::StrContains(lower, "non-guaranteed") ||
                                  absl::StrContains(lower, "non_guaranteed");
      if (non_guaranteed) {
        keep([](const ProductRow& r) {
          return r.delivery_type == "non_guaranteed";
        });
        done.push_back("kept non-guaranteed products only");
      } else if (absl::StrContains(lower, "guaranteed")) {
        keep([](const ProductRow& r) {
          return r.delivery_type == "guaranteed";
        });
        done.push_back("kept guaranteed products only");
      }
      for (const auto& [word, channel] :
           std::vector<std::pair<std::string, std::string>>{
               {"video", "olv"},
               {"display", "display"},
               {"audio", "streaming_audio"}}) {
        if (absl::StrContains(lower, "only " + word) ||
            absl::StrContains(lower, word + " only")) {
          keep([&](const ProductRow& r) {
            return std::find(r.channels.begin(), r.channels.end(), channel) !=
                   r.channels.end();
          });
          done.push_back("kept " + word + " products only");
        }
      }
      nlohmann::json result = {{"scope", "request"}};
      if (done.empty()) {
        result["status"] = "unable";
        result["notes"] =
            "this seller applies delivery-type and channel restrictions; the "
            "rest of the ask was not understood";
      } else {
        result["status"] = "partial";
        result["notes"] = absl::StrCat(
            absl::StrJoin(done, "; "),
            "; other parts of the ask (SLAs, placements) are not offered");
      }
      applied.push_back(std::move(result));
    } else if (scope == "product") {
      if (!entry.contains("product_id") || !entry["product_id"].is_string())
        return InvalidField(field + ".product_id", "is required");
      const std::string product_id = entry["product_id"];
      const std::string action = entry.value("action", "include");
      if (action != "include" && action != "omit" && action != "more_like_this")
        return InvalidField(field + ".action",
                            "must be one of include, omit, more_like_this");
      auto find = [&](const std::vector<const ProductRow*>& rows) {
        return std::find_if(rows.begin(), rows.end(), [&](const ProductRow* r) {
          return r->product_id == product_id;
        });
      };
      nlohmann::json result = {{"scope", "product"},
                               {"product_id", product_id}};
      auto known = find(all);
      if (known == all.end()) {
        result["status"] = "unable";
        result["notes"] = "no such product in this seller's catalogue";
      } else if (action == "omit") {
        if (auto at = find(selected); at != selected.end()) selected.erase(at);
        result["status"] = "applied";
      } else {
        if (find(selected) == selected.end()) selected.push_back(*known);
        if (action == "more_like_this") {
          for (const ProductRow* row : all) {
            if (find(selected) != selected.end() && row == *known) continue;
            const bool same_channel =
                std::any_of(row->channels.begin(), row->channels.end(),
                            [&](const std::string& c) {
                              return std::find((*known)->channels.begin(),
                                               (*known)->channels.end(),
                                               c) != (*known)->channels.end();
                            });
            if (same_channel && std::find(selected.begin(), selected.end(),
                                          row) == selected.end())
              selected.push_back(row);
          }
          result["status"] = "applied";
        } else if (ask.empty()) {
          result["status"] = "applied";
        } else {
          result["status"] = "partial";
          result["notes"] =
              "the product is included at its rate card; budgets are set per "
              "package in create_media_buy";
        }
      }
      applied.push_back(std::move(result));
    } else if (scope == "proposal") {
      applied.push_back({{"scope", "proposal"},
                         {"proposal_id", entry.value("proposal_id", "")},
                         {"status", "unable"},
                         {"notes", "this seller does not make proposals"}});
    } else {
      return InvalidField(field + ".scope",
                          "must be one of request, product, proposal");
    }
  }
  return absl::OkStatus();
}

}  // namespace

const ServicePolicy& MediaBuyService::Policy() {
  static const ServicePolicy* policy = new ServicePolicy{
      {"GetAdcpCapabilities", CallScope::kPrincipalOptional},
      // Anonymous where the tenant allows it (features.anonymous_discovery).
      {"GetProducts", CallScope::kDiscovery},
      {"ListCreativeFormats", CallScope::kDiscovery},
      {"CreateMediaBuy", CallScope::kPrincipal},
      {"UpdateMediaBuy", CallScope::kPrincipal},
      {"GetMediaBuys", CallScope::kPrincipal},
      {"GetMediaBuyDelivery", CallScope::kPrincipal},
      {"SyncCreatives", CallScope::kPrincipal},
      {"ListCreatives", CallScope::kPrincipal},
      {"ProvidePerformanceFeedback", CallScope::kPrincipal},
      {"SyncAccounts", CallScope::kPrincipal},
      {"ListAccounts", CallScope::kPrincipal},
      {"ComplyTestController", CallScope::kPrincipal},
      {"ListHumanTasks", CallScope::kPrincipal},
      {"GetHumanTask", CallScope::kPrincipal},
      {"ApproveHumanTask", CallScope::kTenantAdmin},
      {"RejectHumanTask", CallScope::kTenantAdmin},
      {"UpsertProduct", CallScope::kTenantAdmin},
  };
  return *policy;
}

MediaBuyService::MediaBuyService(const CallGuard& guard, PgPool& pool,
                                 TenantLookup tenants,
                                 const AdapterRegistry& adapters,
                                 AuditLog& audit, ProductCache& products,
                                 AccountCache& accounts,
                                 MediaBuyOptions options)
    : guard_(guard),
      pool_(pool),
      products_(products),
      accounts_(accounts),
      tenants_(std::move(tenants)),
      adapters_(adapters),
      audit_(audit),
      options_(std::move(options)),
      formats_(options_.format_agent_url),
      bulkhead_(options_.ad_server_limits.concurrency_per_tenant,
                options_.ad_server_limits.slot_wait) {}

template <typename Body>
grpc::Status MediaBuyService::Serve(grpc::ServerContext* context,
                                    const char* method, bool mutating,
                                    Body&& body) {
  return guard_.Run(context, method, [&](const CallContext& admitted) {
    Call call{.ctx = admitted, .tenant = tenants_(admitted.tenant_id)};
    // Every request has an id: logs carry it, and an ad-server failure
    // answers with it instead of the ad server's text.
    if (!IsPlainRequestId(call.ctx.request_id))
      call.ctx.request_id = NewId("req_");
    const CallContext& ctx = call.ctx;
    ScopedCallContext scoped(ctx);
    call.ad_server = std::make_shared<AdServerSession>(
        &bulkhead_, ctx.tenant_id,
        options_.ad_server_limits.max_calls_per_request,
        options_.ad_server_limits.max_http_requests_per_request);
    const auto& metadata = context->client_metadata();
    auto dry = metadata.find(kDryRunKey);
    call.dry_run =
        options_.dry_run || (dry != metadata.end() &&
                             (dry->second == "true" || dry->second == "1"));
    absl::Status status =
        call.tenant ? body(call)
                    : absl::UnavailableError("tenant configuration not loaded");
    if (!status.ok()) {
      AttachError(context, status);
      if (mutating) {
        const pb::Error error = ErrorOf(status);
        audit_.Record({.tenant_id = ctx.tenant_id,
                       .operation = method,
                       .principal_id = ctx.principal_id,
                       .success = false,
                       .details = {{"error_code", error.code()},
                                   {"field", error.field()},
                                   {"message", error.message()}}});
      }
    }
    return status;
  });
}

absl::Status MediaBuyService::InTransaction(
    const Call& call, const std::function<absl::Status(pqxx::work&)>& fn) {
  absl::Status status =
      pool_.WithTenantTransaction(call.ctx.tenant_id, [&](pqxx::work& txn) {
        RETURN_IF_ERROR(fn(txn));
        if (call.dry_run) return absl::AbortedError(kDryRunRollback);
        return absl::OkStatus();
      });
  if (call.dry_run && status.code() == absl::StatusCode::kAborted &&
      status.message() == kDryRunRollback) {
    return absl::OkStatus();
  }
  return status;
}

absl::StatusOr<std::unique_ptr<AdServerAdapter>> MediaBuyService::Adapter(
    const Call& call, const BuyRow& buy) const {
  nlohmann::json mappings =
      buy.adapter_state.value("principal_mappings", nlohmann::json::object());
  if (mappings.empty() && buy.principal_id == call.ctx.principal_id)
    mappings = call.ctx.platform_mappings;
  auto adapter = adapters_.GetAdapter(*call.tenant, call.config(), buy.adapter,
                                      buy.principal_id, mappings, call.dry_run);
  if (!adapter.ok()) {
    return AdcpError("SERVICE_UNAVAILABLE", "",
                     std::string(adapter.status().message()),
                     "the publisher must enable its ad server");
  }
  return GuardAdapter(*std::move(adapter), call.ad_server.get());
}

absl::Status MediaBuyService::ReserveAdServer(const Call& call) const {
  return call.ad_server ? call.ad_server->Reserve() : absl::OkStatus();
}

// ------------------------------------------------------------ discovery --

grpc::Status MediaBuyService::GetAdcpCapabilities(
    grpc::ServerContext* context, const pb::GetAdcpCapabilitiesRequest* request,
    pb::GetAdcpCapabilitiesResponse* response) {
  return Serve(context, "GetAdcpCapabilities", false, [&](const Call& call) {
    RETURN_IF_ERROR(CheckMajorVersion(*request));
    const tenant::v1::Tenant& tenant = *call.tenant;
    nlohmann::json adcp = {
        {"major_versions", {3}},
        {"idempotency",
         {{"supported", true},
          {"replay_ttl_seconds",
           absl::ToInt64Seconds(options_.idempotency_ttl)}}}};
    nlohmann::json media_buy = {
        {"supported_pricing_models", {"cpm", "vcpm", "cpc", "flat_rate"}},
        {"features",
         {{"inline_creative_management", true},
          {"property_list_filtering", false},
          {"catalog_management", false}}},
        {"portfolio",
         {{"publisher_domains",
           PublisherDomains(tenant, options_.publisher_base_domain)}}}};
    *response->mutable_adcp() = JsonToStruct(adcp);
    response->add_supported_protocols("media_buy");
    *response->mutable_account() = JsonToStruct(
        {{"supported_billing", {"operator", "agent", "advertiser"}},
         {"require_operator_auth", false},
         {"required_for_products", false}});
    *response->mutable_media_buy() = JsonToStruct(media_buy);
    if (tenant.config().sandbox()) {
      *response->mutable_compliance_testing() =
          JsonToStruct({{"scenarios", AnnouncedControllerScenarios()}});
    }
    *response->mutable_context() = request->context();
    return absl::OkStatus();
  });
}

grpc::Status MediaBuyService::GetProducts(grpc::ServerContext* context,
                                          const pb::GetProductsRequest* request,
                                          pb::GetProductsResponse* response) {
  return Serve(context, "GetProducts", false, [&](const Call& call) {
    RETURN_IF_ERROR(CheckMajorVersion(*request));
    const std::string& mode = request->buying_mode();
    if (mode.empty()) return InvalidField("buying_mode", "is required");
    if (mode != "brief" && mode != "wholesale" && mode != "refine")
      return InvalidField("buying_mode",
                          "must be one of brief, wholesale, refine");
    if (mode == "refine" && request->refine_size() == 0)
      return InvalidField("refine", "is required when buying_mode is refine");
    if (mode != "refine" && request->refine_size() > 0)
      return InvalidField("refine", "is only valid with buying_mode refine");
    if (mode == "brief" && request->brief().empty())
      return InvalidField("brief", "is required when buying_mode is brief");
    ASSIGN_OR_RETURN(const int limit, PageSize(request->pagination()));
    // From memory in steady state (ProductCache); the visibility rule of
    // the mb_products query applies here.
    ASSIGN_OR_RETURN(const CachedProducts products,
                     products_.Get(call.ctx.tenant_id));
    const Reader reader = call.buyer();
    const nlohmann::json filters = StructToJson(request->filters());
    absl::flat_hash_map<const ProductRow*, const CachedProduct*> cached;
    const std::vector<std::string> terms = mode == "brief"
                                               ? BriefTerms(request->brief())
                                               : std::vector<std::string>();
    std::vector<std::pair<int, const ProductRow*>> ranked;
    for (const CachedProduct& product : *products) {
      const ProductRow& row = product.row;
      if (!VisibleTo(row, reader) || !MatchesProductFilters(row, filters))
        continue;
      cached[&row] = &product;
      ranked.emplace_back(
          mode == "brief" ? BriefScore(product.brief_text, terms) : 0, &row);
    }
    std::stable_sort(
        ranked.begin(), ranked.end(),
        [](const auto& a, const auto& b) { return a.first > b.first; });
    if (mode == "refine") {
      std::vector<const ProductRow*> selected;
      for (const auto& [score, row] : ranked) selected.push_back(row);
      std::vector<nlohmann::json> applied;
      RETURN_IF_ERROR(Refine(request->refine(), selected, applied));
      ranked.clear();
      for (const ProductRow* row : selected) ranked.emplace_back(0, row);
      for (const nlohmann::json& entry : applied)
        *response->add_refinement_applied() = JsonToStruct(entry);
    }
    size_t start = 0;
    if (!request->pagination().cursor().empty()) {
      ASSIGN_OR_RETURN(start,
                       ParseOffsetCursor(request->pagination().cursor()));
    }
    for (size_t i = start; i < ranked.size() && i < start + limit; ++i) {
      const CachedProduct& product = *cached.at(ranked[i].second);
      AppendProduct(call.ctx.principal_id.empty() ? product.wire_without_prices
                                                  : product.wire,
                    mode == "brief" && ranked[i].first > 0
                        ? absl::StrCat("matches ", ranked[i].first,
                                       " term(s) of the brief")
                        : std::string(),
                    *response);
    }
    response->mutable_pagination()->set_has_more(start + limit < ranked.size());
    if (start + limit < ranked.size())
      response->mutable_pagination()->set_cursor(absl::StrCat(start + limit));
    *response->mutable_context() = request->context();
    return absl::OkStatus();
  });
}

grpc::Status MediaBuyService::ListCreativeFormats(
    grpc::ServerContext* context, const pb::ListCreativeFormatsRequest* request,
    pb::ListCreativeFormatsResponse* response) {
  return Serve(context, "ListCreativeFormats", false, [&](const Call& call) {
    RETURN_IF_ERROR(CheckMajorVersion(*request));
    for (int i = 0; i < request->format_ids_size(); ++i) {
      RETURN_IF_ERROR(ValidateFormatId(absl::StrCat("format_ids[", i, "]"),
                                       request->format_ids(i)));
    }
    const std::string search = absl::AsciiStrToLower(request->name_search());
    for (const pb::Format& format : formats_.formats()) {
      if (request->format_ids_size() > 0 &&
          std::none_of(
              request->format_ids().begin(), request->format_ids().end(),
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
    *response->mutable_context() = request->context();
    return absl::OkStatus();
  });
}

grpc::Status MediaBuyService::UpsertProduct(
    grpc::ServerContext* context, const pb::UpsertProductRequest* request,
    pb::ProductDefinition* response) {
  return Serve(context, "UpsertProduct", true, [&](const Call& call) {
    ASSIGN_OR_RETURN(
        ProductRow row,
        ProductFromDefinition(request->definition(), formats_, *call.tenant,
                              options_.publisher_base_domain));
    RETURN_IF_ERROR(InTransaction(call, [&](pqxx::work& txn) {
      Store::UpsertProduct(txn, call.ctx.tenant_id, row);
      Store::Audit(
          txn, call.ctx.tenant_id, "upsert_product", call.ctx.principal_id, "",
          {{"product_id", row.product_id}, {"is_active", row.is_active}});
      return absl::OkStatus();
    }));
    // This replica reads its own write at once; the others on the trigger's
    // notification.
    products_.Invalidate(call.ctx.tenant_id);
    *response->mutable_product() = ProductToProto(row);
    for (const auto& id : row.allowed_principal_ids)
      response->add_allowed_principal_ids(id);
    response->set_is_active(row.is_active);
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------ idempotency --

namespace {

// Claims the request's idempotency key. Sets *replayed and fills `response`
// from the stored answer when the same payload was seen before; a different
// payload under the same key is IDEMPOTENCY_CONFLICT.
absl::Status ClaimKey(pqxx::work& txn, const std::string& tenant_id,
                      const std::string& principal_id, const std::string& key,
                      const char* operation,
                      const google::protobuf::Message& request,
                      absl::Duration ttl, google::protobuf::Message* response,
                      bool* replayed) {
  *replayed = false;
  const std::string hash = RequestHash(request);
  std::optional<IdempotencyRecord> existing;
  try {
    existing = Store::ClaimIdempotencyKey(txn, tenant_id, principal_id, key,
                                          operation, hash, ttl);
  } catch (const pqxx::sql_error& e) {
    // A retry waits on the original's row lock; past the pool's lock timeout
    // the original is still running.
    if (e.sqlstate() != "55P03") throw;
    return AdcpError("CONFLICT", "idempotency_key",
                     "idempotency_key: the original request is still running",
                     "retry shortly with the same key");
  }
  if (!existing) return absl::OkStatus();
  if (existing->expired) {
    return AdcpError(
        "IDEMPOTENCY_EXPIRED", "idempotency_key",
        absl::StrCat("idempotency_key: this key was used more than ",
                     absl::ToInt64Hours(ttl),
                     " hours ago and cannot be replayed"),
        "send the request with a new idempotency_key");
  }
  if (existing->request_hash != absl::StrCat(hash, ":", operation)) {
    return BareAdcpError(
        "IDEMPOTENCY_CONFLICT",
        "idempotency_key: already used for a different request; a retry must "
        "repeat the original payload exactly, a new request needs a new key");
  }
  if (!response->ParseFromString(existing->response))
    return absl::InternalError("stored idempotent answer does not parse");
  *replayed = true;
  return absl::OkStatus();
}

void StoreAnswer(pqxx::work& txn, const std::string& tenant_id,
                 const std::string& principal_id, const std::string& key,
                 const google::protobuf::Message& response,
                 const AuditEntry* audit = nullptr) {
  std::unique_ptr<google::protobuf::Message> copy(response.New());
  copy->CopyFrom(response);
  if (const auto* field = copy->GetDescriptor()->FindFieldByName("context"))
    copy->GetReflection()->ClearField(copy.get(), field);
  Store::StoreIdempotentResponse(txn, tenant_id, principal_id, key,
                                 copy->SerializeAsString(), audit);
}

}  // namespace

template <typename Request, typename Response>
absl::Status MediaBuyService::Idempotently(
    const Call& call, const char* operation, const Request& request,
    Response* response, const std::function<absl::Status(pqxx::work&)>& body,
    const std::function<absl::Status(pqxx::work&)>& on_replay,
    std::optional<AuditEntry>* audit) {
  const absl::Status status =
      InTransaction(call, [&](pqxx::work& txn) -> absl::Status {
        bool replayed = false;
        RETURN_IF_ERROR(ClaimKey(txn, call.ctx.tenant_id, call.ctx.principal_id,
                                 request.idempotency_key(), operation, request,
                                 options_.idempotency_ttl, response,
                                 &replayed));
        if (replayed) {
          if (on_replay) RETURN_IF_ERROR(on_replay(txn));
          response->set_replayed(true);
          return absl::OkStatus();
        }
        RETURN_IF_ERROR(body(txn));
        response->set_idempotency_key(request.idempotency_key());
        StoreAnswer(
            txn, call.ctx.tenant_id, call.ctx.principal_id,
            request.idempotency_key(), *response,
            audit != nullptr && audit->has_value() ? &**audit : nullptr);
        return absl::OkStatus();
      });
  if (status.ok()) *response->mutable_context() = request.context();
  return status;
}

namespace {

AdapterBuy ToAdapterBuy(const std::string& tenant_id, const BuyRow& buy) {
  AdapterBuy out{.tenant_id = tenant_id,
                 .media_buy_id = buy.media_buy_id,
                 .principal_id = buy.principal_id,
                 .currency = buy.currency,
                 .start_time = buy.start_time,
                 .end_time = buy.end_time,
                 .paused = buy.status == "paused",
                 .paused_at = buy.paused_at,
                 .order_id = buy.order_id,
                 .upstream = buy.adapter_state.value("upstream",
                                                     nlohmann::json::object())};
  for (const PackageRow& package : buy.packages) {
    // Buys made before the delivery type was recorded: an auction price
    // means a non-guaranteed line.
    const std::string delivery_type = package.extra.value(
        "delivery_type",
        package.bid_price ? std::string("non_guaranteed") : "guaranteed");
    out.packages.push_back(
        AdapterPackage{.package_id = package.package_id,
                       .product_id = package.product_id,
                       .pricing_model = package.pricing_model,
                       .delivery_type = delivery_type,
                       .budget = package.budget,
                       .rate = package.rate.value_or(0),
                       .pacing = package.pacing,
                       .impressions_goal = package.impressions.value_or(0),
                       .paused = package.paused,
                       .line_id = package.line_id});
  }
  return out;
}

void ApplyOrder(const CreatedOrder& order, BuyRow& buy) {
  buy.order_id = order.order_id;
  buy.adapter_state["upstream"] = order.upstream;
  for (PackageRow& package : buy.packages) {
    auto line = order.line_ids.find(package.package_id);
    if (line != order.line_ids.end()) package.line_id = line->second;
  }
}

// Whether the ad server has the whole buy (an order, and no step failed).
bool Placed(const BuyRow& buy) {
  return !buy.order_id.empty() && !buy.adapter_state.contains("failed_step");
}

// How long an update recorded without an outcome counts as being sent (its
// request still running: concurrent changes are asked to retry) rather
// than interrupted (they are refused until it is completed).
constexpr absl::Duration kPendingUpdateInFlight = absl::Minutes(5);

// An update stored but not yet confirmed by the ad server
// (adapter_state.pending_update: the flags of what changed, the request's
// idempotency_key, the revision it made, and after a failure the error and
// failed_at), or null.
const nlohmann::json* PendingUpdate(const BuyRow& buy) {
  auto it = buy.adapter_state.find("pending_update");
  return it == buy.adapter_state.end() || !it->is_object() ? nullptr : &*it;
}

std::string PendingUpdateKey(const BuyRow& buy) {
  const nlohmann::json* pending = PendingUpdate(buy);
  return pending == nullptr ? "" : pending->value("idempotency_key", "");
}

// What of a buy an update changed, as recorded: the values themselves are
// the buy's stored ones. Merged with an earlier record the ad server has not
// confirmed (a cancel on top of it sends both).
nlohmann::json RecordOfChange(const AdapterUpdate& change,
                              const nlohmann::json* earlier) {
  nlohmann::json record = nlohmann::json::object();
  std::set<std::string> packages;
  bool start = change.start_time.has_value();
  bool end = change.end_time.has_value();
  if (earlier != nullptr) {
    if (earlier->contains("paused") && (*earlier)["paused"].is_boolean())
      record["paused"] = (*earlier)["paused"];
    start |= earlier->value("start_time", false);
    end |= earlier->value("end_time", false);
    for (const auto& id :
         earlier->value("package_ids", nlohmann::json::array()))
      if (id.is_string()) packages.insert(id.get<std::string>());
  }
  if (change.paused) record["paused"] = *change.paused;
  record["start_time"] = start;
  record["end_time"] = end;
  for (const AdapterPackage& package : change.packages)
    packages.insert(package.package_id);
  record["package_ids"] = packages;
  return record;
}

// The change a record stands for, with the buy's stored values.
AdapterUpdate ChangeOfRecord(const nlohmann::json& record, const BuyRow& buy) {
  AdapterUpdate change;
  if (record.contains("paused") && record["paused"].is_boolean())
    change.paused = record["paused"].get<bool>();
  if (record.value("start_time", false)) change.start_time = buy.start_time;
  if (record.value("end_time", false)) change.end_time = buy.end_time;
  std::set<std::string> ids;
  for (const auto& id : record.value("package_ids", nlohmann::json::array()))
    if (id.is_string()) ids.insert(id.get<std::string>());
  for (const PackageRow& package : buy.packages) {
    if (!ids.count(package.package_id)) continue;
    change.packages.push_back(
        AdapterPackage{.package_id = package.package_id,
                       .product_id = package.product_id,
                       .pricing_model = package.pricing_model,
                       .budget = package.budget,
                       .rate = package.rate.value_or(0),
                       .pacing = package.pacing,
                       .impressions_goal = package.impressions.value_or(0),
                       .paused = package.paused,
                       .line_id = package.line_id});
  }
  return change;
}

// What a buyer may read of an adapter's failure, without the ad server's
// own words: for a call UpstreamClient made, its summary (server, operation,
// HTTP status); otherwise the adapter's own message, which never quotes the
// ad server (an adapter that does attaches a summary instead).
std::string BuyerSafeAdapterMessage(const absl::Status& failure) {
  std::string summary = UpstreamSummary(failure);
  return summary.empty() ? std::string(failure.message()) : summary;
}

std::string CurrentRequestId() {
  const CallContext* call = CurrentCallContext();
  return call == nullptr ? std::string() : call->request_id;
}

// An ad server's failure as the buyer hears it: what we were doing, the
// buyer-safe part of the failure and the request id; the ad server's own
// text (which may carry anything: markup, other advertisers, internal ids)
// is logged under that id with the tenant, never answered.
absl::Status AdServerFailure(const absl::Status& failure,
                             std::string_view doing,
                             std::string_view suggestion) {
  // Ours already (the tenant's bulkhead, the fan-out limit).
  if (HasAdcpError(failure)) return failure;
  log::Warn("ad server call failed",
            {{"doing", std::string(doing)},
             {"code", absl::StatusCodeToString(failure.code())},
             {"error", std::string(failure.message())}});
  const std::string message =
      absl::StrCat(std::string(doing), ": ", BuyerSafeAdapterMessage(failure),
                   " (request id ", CurrentRequestId(), ")");
  switch (failure.code()) {
    case absl::StatusCode::kInvalidArgument:
      return AdcpError("INVALID_REQUEST", "", message, suggestion);
    case absl::StatusCode::kResourceExhausted:
      return AdcpError("RATE_LIMITED", "", message, suggestion);
    default:
      return AdcpError("SERVICE_UNAVAILABLE", "", message, suggestion);
  }
}

// The AdCP error for an ad server that did not take step `step` of a buy:
// what it refused and how to go on.
absl::Status AdServerError(const absl::Status& status, const std::string& step,
                           const std::string& media_buy_id) {
  return AdServerFailure(
      status,
      absl::StrCat("media buy ", media_buy_id,
                   ": the ad server did not take step ", step),
      "the media buy keeps what the ad server created; send the same request "
      "again (same idempotency_key) to resume");
}

bool AnyApproved(const std::vector<AssignmentRow>& assignments) {
  return std::any_of(
      assignments.begin(), assignments.end(),
      [](const AssignmentRow& a) { return a.creative_status == "approved"; });
}

// Whether the buy has an approved creative assigned to one of its packages.
bool HasLiveCreatives(pqxx::work& txn, const std::string& tenant_id,
                      const BuyRow& buy) {
  return AnyApproved(Store::AssignmentsOfBuy(txn, tenant_id, buy.media_buy_id));
}

// Sandbox: delivery simulated by the compliance test controller, on top of
// the ad server's, shared among the packages by budget.
void AddSimulatedDelivery(
    const BuyRow& buy, std::map<std::string, PackageDeliveryReport>& reports) {
  if (!buy.simulated_delivery.is_object() || buy.packages.empty() ||
      buy.total_budget <= 0)
    return;
  const nlohmann::json& simulated = buy.simulated_delivery;
  const int64_t impressions = simulated.value("impressions", int64_t{0});
  const int64_t clicks = simulated.value("clicks", int64_t{0});
  const Micros spend =
      MicrosFromDecimal(simulated.value("spend", std::string("0"))).value_or(0);
  int64_t given_impressions = 0, given_clicks = 0;
  Micros given_spend = 0;
  for (size_t i = 0; i < buy.packages.size(); ++i) {
    const PackageRow& package = buy.packages[i];
    PackageDeliveryReport& report = reports[package.package_id];
    const bool last = i + 1 == buy.packages.size();
    const double share = static_cast<double>(package.budget) /
                         static_cast<double>(buy.total_budget);
    auto part = [&](int64_t total, int64_t given) {
      return last ? total - given
                  : static_cast<int64_t>(static_cast<double>(total) * share);
    };
    const int64_t i_part = part(impressions, given_impressions);
    const int64_t c_part = part(clicks, given_clicks);
    const Micros s_part = part(spend, given_spend);
    report.package_id = package.package_id;
    report.impressions += i_part;
    report.clicks += c_part;
    report.spend += s_part;
    given_impressions += i_part;
    given_clicks += c_part;
    given_spend += s_part;
  }
}

// An account that may buy: active. Otherwise the AdCP error of its state.
absl::Status AccountInGoodStanding(const AccountRow& account) {
  if (account.status == "active") return absl::OkStatus();
  if (account.status == "payment_required")
    return AdcpError("ACCOUNT_PAYMENT_REQUIRED", "account",
                     "account: payment is required before it can buy",
                     "settle the account's balance with the publisher");
  if (account.status == "pending_approval")
    return AdcpError("ACCOUNT_SETUP_REQUIRED", "account",
                     "account: awaiting the publisher's approval",
                     "retry once the publisher has approved the account");
  return AdcpError("ACCOUNT_SUSPENDED", "account",
                   absl::StrCat("account: the account is ", account.status),
                   "contact the publisher");
}

// "media_buy_ids[i]" of the first occurrence of `id` in the request.
template <typename Request>
std::string IdField(const Request& request, const std::string& id) {
  for (int i = 0; i < request.media_buy_ids_size(); ++i)
    if (request.media_buy_ids(i) == id)
      return absl::StrCat("media_buy_ids[", i, "]");
  return "media_buy_ids";
}

absl::Status MediaBuyNotFound(std::string_view field) {
  return AdcpError("MEDIA_BUY_NOT_FOUND", field,
                   absl::StrCat(std::string(field), ": no such media buy"),
                   "list your media buys with get_media_buys");
}

absl::Status ValidatePacing(std::string_view field, const std::string& pacing) {
  if (pacing.empty() || pacing == "even" || pacing == "asap" ||
      pacing == "front_loaded")
    return absl::OkStatus();
  return InvalidField(field, "must be one of even, asap, front_loaded");
}

pb::Account AccountToProto(const AccountRow& row) {
  pb::Account out;
  out.set_account_id(row.account_id);
  out.set_name(row.name);
  out.set_status(row.status);
  out.mutable_brand()->set_domain(row.brand_domain);
  if (!row.brand_id.empty()) out.mutable_brand()->set_brand_id(row.brand_id);
  out.set_operator_(row.operator_domain);
  out.set_billing(row.billing);
  if (row.sandbox) out.set_sandbox(true);
  return out;
}

// An amount of a pricing option (fixed_price, floor_price, ...), if set.
absl::StatusOr<std::optional<Micros>> OptionAmount(const nlohmann::json& option,
                                                   const char* key) {
  if (!option.contains(key) || !option[key].is_number()) return std::nullopt;
  ASSIGN_OR_RETURN(Micros amount,
                   MicrosFromNumber(key, option[key].get<double>()));
  return std::optional<Micros>(amount);
}

// A package update keeps to its pricing option's floor price and minimum
// spend, as create_media_buy does.
absl::Status CheckPricingFloor(pqxx::work& txn, const std::string& tenant_id,
                               const std::string& field,
                               const PackageRow& package,
                               const pb::PackageUpdate& update) {
  if (!update.has_budget() && !update.has_bid_price()) return absl::OkStatus();
  for (const ProductRow& product :
       Store::Products(txn, tenant_id, Reader{"", true})) {
    if (product.product_id != package.product_id) continue;
    const nlohmann::json* option =
        FindPricingOption(product, package.pricing_option_id);
    if (option == nullptr) break;
    const std::string currency = option->value("currency", "");
    ASSIGN_OR_RETURN(auto min_spend,
                     OptionAmount(*option, "min_spend_per_package"));
    if (update.has_budget() && min_spend && package.budget < *min_spend) {
      return AdcpError(
          "BUDGET_TOO_LOW", field + ".budget",
          absl::StrCat(field, ".budget: below the minimum spend of ",
                       DisplayAmount(*min_spend), " ", currency,
                       " per package of this pricing option"),
          "raise the package budget");
    }
    ASSIGN_OR_RETURN(auto floor, OptionAmount(*option, "floor_price"));
    if (update.has_bid_price() && floor && package.bid_price &&
        *package.bid_price < *floor) {
      return InvalidField(field + ".bid_price",
                          absl::StrCat("must be at least the floor price ",
                                       DisplayAmount(*floor), " ", currency));
    }
    break;
  }
  return absl::OkStatus();
}

// A status_filter: AdCP media-buy statuses.
absl::StatusOr<std::set<std::string>> StatusFilter(
    const google::protobuf::RepeatedPtrField<std::string>& values) {
  static const std::set<std::string> kStatuses = {
      "pending_creatives", "pending_start", "active",  "paused",
      "completed",         "rejected",      "canceled"};
  std::set<std::string> out;
  for (int i = 0; i < values.size(); ++i) {
    if (!kStatuses.count(values[i])) {
      return InvalidField(
          absl::StrCat("status_filter[", i, "]"),
          absl::StrCat("must be one of ", absl::StrJoin(kStatuses, ", ")));
    }
    out.insert(values[i]);
  }
  return out;
}

// The buy as get_media_buys shows it.
pb::MediaBuy BuyToProto(pqxx::work& txn, const std::string& tenant_id,
                        const BuyRow& buy, absl::Time now) {
  pb::MediaBuy out;
  out.set_media_buy_id(buy.media_buy_id);
  const std::vector<AssignmentRow> assignments =
      Store::AssignmentsOfBuy(txn, tenant_id, buy.media_buy_id);
  const std::string status = AdcpStatus(buy, AnyApproved(assignments), now);
  out.set_status(status);
  out.set_currency(buy.currency);
  out.set_total_budget(NumberFromMicros(buy.total_budget));
  out.set_start_time(Rfc3339(buy.start_time));
  out.set_end_time(Rfc3339(buy.end_time));
  out.set_revision(buy.revision);
  out.set_created_at(Rfc3339(buy.created_at));
  out.set_updated_at(Rfc3339(buy.updated_at));
  if (!buy.order_id.empty()) out.set_confirmed_at(Rfc3339(buy.created_at));
  if (buy.adapter_state.contains("failed_step")) {
    out.set_ad_server_error(
        absl::StrCat(buy.adapter_state.value("failed_step", ""), ": ",
                     buy.adapter_state.value("error", "")));
  } else if (const nlohmann::json* pending = PendingUpdate(buy)) {
    out.set_ad_server_error(absl::StrCat(
        "update_media_buy:revision_", pending->value("revision", 0), ": ",
        pending->value("error",
                       std::string("sent to the ad server, not confirmed "
                                   "yet"))));
  }
  for (const std::string& action : ValidActionsFor(buy, status))
    out.add_valid_actions(action);
  if (!buy.po_number.empty()) out.set_po_number(buy.po_number);
  if (!buy.account_id.empty()) {
    if (auto account = Store::AccountById(txn, tenant_id, buy.account_id))
      *out.mutable_account() = AccountToProto(*account);
  }
  std::map<std::string, std::vector<const AssignmentRow*>> by_package;
  for (const AssignmentRow& assignment : assignments)
    by_package[assignment.package_id].push_back(&assignment);
  for (const PackageRow& row : buy.packages) {
    pb::Package* package = out.add_packages();
    *package = PackageToProto(row, buy.currency);
    for (const AssignmentRow* assignment : by_package[row.package_id]) {
      if (assignment->creative_status == "archived" ||
          assignment->creative_status == "processing")
        continue;
      pb::CreativeApproval* approval = package->add_creative_approvals();
      approval->set_creative_id(assignment->creative_id);
      approval->set_approval_status(assignment->creative_status);
      if (!assignment->rejection_reason.empty())
        approval->set_rejection_reason(assignment->rejection_reason);
    }
  }
  return out;
}

}  // namespace

// ----------------------------------------------------------- media buys --

namespace {

// create_media_buy's answer for a buy the ad server was asked to take.
// `may_have_creatives`: false for a buy just made without assignments,
// which saves reading them.
void AnswerCreated(pqxx::work& txn, const std::string& tenant_id,
                   const BuyRow& buy, bool may_have_creatives, absl::Time now,
                   pb::CreateMediaBuyResponse* response) {
  response->set_media_buy_id(buy.media_buy_id);
  const std::string status = AdcpStatus(
      buy, may_have_creatives && HasLiveCreatives(txn, tenant_id, buy), now);
  response->set_status(status);
  response->set_revision(buy.revision);
  response->set_confirmed_at(Rfc3339(now));
  response->clear_valid_actions();
  for (const std::string& action : ValidActionsFor(buy, status))
    response->add_valid_actions(action);
  response->clear_packages();
  for (const PackageRow& package : buy.packages)
    *response->add_packages() = PackageToProto(package, buy.currency);
  if (buy.adapter_state.contains("failed_step")) {
    response->set_message(absl::StrCat(
        "The ad server does not have the whole media buy yet: step ",
        buy.adapter_state.value("failed_step", ""), " failed (",
        buy.adapter_state.value("error", ""),
        "). Send the same request again (same idempotency_key) to resume."));
  }
}

}  // namespace

grpc::Status MediaBuyService::CreateMediaBuy(
    grpc::ServerContext* context, const pb::CreateMediaBuyRequest* request,
    pb::CreateMediaBuyResponse* response) {
  return Serve(
      context, "CreateMediaBuy", true, [&](const Call& call) -> absl::Status {
        RETURN_IF_ERROR(CheckMajorVersion(*request));
        RETURN_IF_ERROR(ValidateIdempotencyKey(request->idempotency_key()));
        if (request->packages_size() == 0)
          return InvalidField("packages", "must contain at least one package");
        if (request->packages_size() > kMaxPackages)
          return InvalidField(
              "packages",
              absl::StrCat("must contain at most ", kMaxPackages, " packages"));
        std::vector<Micros> budgets;
        for (int i = 0; i < request->packages_size(); ++i) {
          const pb::PackageRequest& package = request->packages(i);
          const std::string field = absl::StrCat("packages[", i, "]");
          RETURN_IF_ERROR(
              ValidateId(field + ".product_id", package.product_id()));
          RETURN_IF_ERROR(ValidateId(field + ".pricing_option_id",
                                     package.pricing_option_id()));
          ASSIGN_OR_RETURN(Micros budget, MicrosFromNumber(field + ".budget",
                                                           package.budget()));
          if (budget <= 0)
            return InvalidField(field + ".budget", "must be > 0");
          budgets.push_back(budget);
          RETURN_IF_ERROR(ValidatePacing(field + ".pacing", package.pacing()));
          if (package.has_bid_price()) {
            ASSIGN_OR_RETURN(Micros bid, MicrosFromNumber(field + ".bid_price",
                                                          package.bid_price()));
            if (bid <= 0)
              return InvalidField(field + ".bid_price", "must be > 0");
          }
          if (package.has_impressions())
            RETURN_IF_ERROR(ValidateImpressions(field + ".impressions",
                                                package.impressions()));
          for (int f = 0; f < package.format_ids_size(); ++f) {
            RETURN_IF_ERROR(
                ValidateFormatId(absl::StrCat(field, ".format_ids[", f, "]"),
                                 package.format_ids(f)));
          }
          if (package.creative_assignments_size() >
              kMaxCreativeAssignmentsPerPackage)
            return InvalidField(
                field + ".creative_assignments",
                absl::StrCat("must contain at most ",
                             kMaxCreativeAssignmentsPerPackage, " creatives"));
          for (int c = 0; c < package.creative_assignments_size(); ++c) {
            RETURN_IF_ERROR(
                ValidateId(absl::StrCat(field, ".creative_assignments[", c,
                                        "].creative_id"),
                           package.creative_assignments(c).creative_id()));
          }
          // Terms first: a buyer learns what the seller will not sign
          // before anything else about the request.
          if (package.has_measurement_terms())
            RETURN_IF_ERROR(CheckMeasurementTerms(
                field + ".measurement_terms",
                StructToJson(package.measurement_terms())));
        }
        const absl::Time now = options_.clock();
        const bool asap = request->start_time() == "asap";
        absl::Time start = now;
        if (!asap) {
          ASSIGN_OR_RETURN(start,
                           ParseTime("start_time", request->start_time()));
        }
        ASSIGN_OR_RETURN(const absl::Time end,
                         ParseTime("end_time", request->end_time()));
        if (end <= start)
          return InvalidField("end_time", "must be after start_time");
        if (end > now + kMaxFlightAhead)
          return InvalidField("end_time", "must be within 5 years from now");
        // A start in the past is reported after the products (in the
        // transaction): a buyer naming a product that does not exist hears
        // that first.
        const absl::Status flight =
            !asap && start < now - options_.start_grace
                ? InvalidField("start_time",
                               "must not be in the past (send \"asap\" to "
                               "start as soon as possible)")
                : absl::OkStatus();
        if (request->po_number().size() > 255)
          return InvalidField("po_number", "must be at most 255 characters");
        if (!request->has_account())
          return InvalidField("account", "is required");
        if (!request->has_brand()) return InvalidField("brand", "is required");
        RETURN_IF_ERROR(
            ValidateDomain("brand.domain", request->brand().domain()));
        if (request->brand().brand_id().size() > 255)
          return InvalidField("brand.brand_id",
                              "must be at most 255 characters");
        ASSIGN_OR_RETURN(const std::string adapter_name,
                         adapters_.SelectedName(call.config()));
        const bool manual_approval = AdapterRegistry::ManualApprovalRequired(
            call.config(), adapter_name);
        // The ad server will be called: wait for the tenant's slot before
        // the transaction takes a database connection.
        if (!manual_approval) RETURN_IF_ERROR(ReserveAdServer(call));

        // The ad server's failure to take the buy: the buy and what the ad
        // server created are committed, the buyer hears the error, and the
        // same request again resumes (the replay below).
        absl::Status placement;
        auto resume = [&](pqxx::work& txn) -> absl::Status {
          if (response->media_buy_id().empty()) return absl::OkStatus();
          auto buy = Store::Buy(txn, call.ctx.tenant_id,
                                response->media_buy_id(), call.buyer(),
                                /*for_update=*/true);
          if (!buy || !buy->adapter_state.contains("failed_step") ||
              (buy->status != "active" && buy->status != "paused"))
            return absl::OkStatus();
          placement = PlaceStoredOrder(txn, call, *buy);
          if (placement.ok())
            PushCreativesBestEffort(txn, call, buy->media_buy_id);
          response->clear_message();
          AnswerCreated(txn, call.ctx.tenant_id, *buy,
                        /*may_have_creatives=*/true, options_.clock(),
                        response);
          const AuditEntry resumed{
              .operation = "resume_media_buy_placement",
              .adapter = buy->adapter,
              .details = {{"media_buy_id", buy->media_buy_id},
                          {"placed", placement.ok()},
                          {"dry_run", call.dry_run}}};
          StoreAnswer(txn, call.ctx.tenant_id, call.ctx.principal_id,
                      request->idempotency_key(), *response, &resumed);
          return absl::OkStatus();
        };
        // From memory (ProductCache), with mb_products' visibility. Read
        // before the transaction: a cache miss takes a pool connection of
        // its own, which concurrent retries of one key (each holding one,
        // waiting on the key's row lock) could all have taken.
        ASSIGN_OR_RETURN(const CachedProducts cached,
                         products_.Get(call.ctx.tenant_id));
        // The buyer's account, from memory in steady state (AccountCache),
        // read before the transaction for the reason above; while nothing
        // is cached, only the buyer's account is read, in the transaction.
        AccountCache::Value accounts;
        if (accounts_.caching()) {
          ASSIGN_OR_RETURN(accounts, accounts_.Get(call.ctx.tenant_id));
        }
        // The buy's audit row goes with the stored answer (one statement).
        std::optional<AuditEntry> audit;
        const absl::Status created = Idempotently(
            call, "create_media_buy", *request, response,
            [&](pqxx::work& txn) -> absl::Status {
              // Sandbox: the controller may have armed this call.
              std::optional<Directive> directive;
              if (call.tenant->config().sandbox())
                directive = Store::TakeDirective(txn, call.ctx.tenant_id,
                                                 call.ctx.principal_id);
              const bool manual = manual_approval || directive.has_value();
              const Reader reader = call.buyer();
              std::map<std::string, const ProductRow*> products;
              for (const CachedProduct& product : *cached) {
                if (VisibleTo(product.row, reader))
                  products.emplace(product.row.product_id, &product.row);
              }
              BuyRow buy;
              buy.media_buy_id = NewId("mb_");
              buy.principal_id = call.ctx.principal_id;
              buy.status = manual ? "pending_approval" : "active";
              buy.adapter = adapter_name;
              // The advertiser the ad server books the buy for stays the one
              // the buyer had when buying (an approver is someone else).
              buy.adapter_state["principal_mappings"] =
                  call.ctx.platform_mappings;
              buy.start_time = start;
              buy.end_time = end;
              buy.start_asap = asap;
              if (request->has_brand())
                buy.brand = {{"domain", request->brand().domain()},
                             {"brand_id", request->brand().brand_id()}};
              buy.po_number = request->po_number();
              if (request->has_ext())
                buy.extra["ext"] = StructToJson(request->ext());
              Micros sum = 0;
              for (int i = 0; i < request->packages_size(); ++i) {
                const pb::PackageRequest& in = request->packages(i);
                const std::string field = absl::StrCat("packages[", i, "]");
                auto product = products.find(in.product_id());
                if (product == products.end()) {
                  return AdcpError(
                      "PRODUCT_NOT_FOUND", field + ".product_id",
                      absl::StrCat(field, ".product_id: no product '",
                                   in.product_id(), "'"),
                      "discover products with get_products");
                }
                const nlohmann::json* option =
                    FindPricingOption(*product->second, in.pricing_option_id());
                if (option == nullptr) {
                  return InvalidField(
                      field + ".pricing_option_id",
                      absl::StrCat("product '", in.product_id(),
                                   "' has no pricing option '",
                                   in.pricing_option_id(), "'"));
                }
                const std::string currency = option->value("currency", "");
                if (buy.currency.empty()) buy.currency = currency;
                if (currency != buy.currency) {
                  return InvalidField(
                      field + ".pricing_option_id",
                      absl::StrCat("is priced in ", currency,
                                   "; every package of a buy must be "
                                   "in one currency (",
                                   buy.currency, ")"));
                }
                PackageRow package;
                package.package_id = NewId("pkg_");
                package.media_buy_id = buy.media_buy_id;
                package.ordinal = i;
                package.product_id = in.product_id();
                package.pricing_option_id = in.pricing_option_id();
                package.pricing_model = option->value("pricing_model", "");
                package.budget = budgets[static_cast<size_t>(i)];
                if (option->contains("min_spend_per_package")) {
                  ASSIGN_OR_RETURN(
                      Micros min_spend,
                      MicrosFromNumber(
                          "min_spend_per_package",
                          (*option)["min_spend_per_package"].get<double>()));
                  if (package.budget < min_spend) {
                    return AdcpError(
                        "BUDGET_TOO_LOW", field + ".budget",
                        absl::StrCat(field,
                                     ".budget: below the minimum spend of ",
                                     DisplayAmount(min_spend), " ", currency,
                                     " per package of this pricing option"),
                        "raise the package budget");
                  }
                }
                if (option->contains("fixed_price")) {
                  ASSIGN_OR_RETURN(
                      package.rate,
                      MicrosFromNumber("fixed_price",
                                       (*option)["fixed_price"].get<double>()));
                } else {
                  if (!in.has_bid_price()) {
                    return InvalidField(
                        field + ".bid_price",
                        "is required for an auction pricing option");
                  }
                  ASSIGN_OR_RETURN(
                      Micros bid,
                      MicrosFromNumber(field + ".bid_price", in.bid_price()));
                  if (option->contains("floor_price")) {
                    ASSIGN_OR_RETURN(
                        Micros floor,
                        MicrosFromNumber(
                            "floor_price",
                            (*option)["floor_price"].get<double>()));
                    if (bid < floor) {
                      return InvalidField(
                          field + ".bid_price",
                          absl::StrCat("must be at least the floor "
                                       "price ",
                                       DisplayAmount(floor), " ", currency));
                    }
                  }
                  package.bid_price = bid;
                  package.rate = bid;
                }
                package.pacing = in.pacing().empty() ? "even" : in.pacing();
                if (in.has_impressions())
                  package.impressions = static_cast<int64_t>(in.impressions());
                package.paused = in.paused();
                package.format_ids = nlohmann::json::array();
                for (int f = 0; f < in.format_ids_size(); ++f) {
                  const pb::FormatId& id = in.format_ids(f);
                  bool offered = false;
                  for (const auto& have : product->second->format_ids)
                    offered |= have.value("id", "") == id.id() &&
                               have.value("agent_url", "") == id.agent_url();
                  if (!offered) {
                    return InvalidField(
                        absl::StrCat(field, ".format_ids[", f, "]"),
                        absl::StrCat("format '", id.id(),
                                     "' is not offered by product '",
                                     in.product_id(), "'"));
                  }
                  package.format_ids.push_back(
                      {{"agent_url", id.agent_url()}, {"id", id.id()}});
                }
                if (package.format_ids.empty())
                  package.format_ids = product->second->format_ids;
                if (in.has_targeting_overlay())
                  package.targeting_overlay =
                      StructToJson(in.targeting_overlay());
                if (in.has_measurement_terms())
                  package.extra["measurement_terms"] =
                      StructToJson(in.measurement_terms());
                if (in.has_context())
                  package.extra["context"] = StructToJson(in.context());
                if (in.has_ext()) package.extra["ext"] = StructToJson(in.ext());
                // The ad server books guaranteed and auction lines apart.
                package.extra["delivery_type"] = product->second->delivery_type;
                sum += package.budget;
                buy.packages.push_back(std::move(package));
              }
              RETURN_IF_ERROR(flight);
              buy.total_budget = sum;
              if (request->has_total_budget()) {
                if (request->total_budget().currency() != buy.currency) {
                  return InvalidField(
                      "total_budget.currency",
                      absl::StrCat("must be ", buy.currency,
                                   ", the currency of the packages"));
                }
                ASSIGN_OR_RETURN(
                    buy.total_budget,
                    MicrosFromNumber("total_budget.amount",
                                     request->total_budget().amount()));
                if (buy.total_budget < sum) {
                  return InvalidField(
                      "total_budget.amount",
                      absl::StrCat("is less than the sum of the "
                                   "package budgets (",
                                   DisplayAmount(sum), ")"));
                }
              }
              RETURN_IF_ERROR(CheckDailyBudget(
                  *call.tenant,
                  request->has_total_budget() ? "total_budget" : "packages",
                  buy.total_budget, buy.currency, start, end));
              ASSIGN_OR_RETURN(buy.account_id,
                               ResolveAccount(txn, call, request->account(),
                                              accounts.get()));
              // Creatives assigned inline are this buyer's library's; one
              // not uploaded yet is held on its package and assigned when
              // sync_creatives brings it (the buy waits in
              // pending_creatives meanwhile).
              std::set<std::string> known_creatives;
              int held_count = 0;
              for (int i = 0; i < request->packages_size(); ++i) {
                nlohmann::json held = nlohmann::json::array();
                for (const auto& assignment :
                     request->packages(i).creative_assignments()) {
                  const std::string& creative_id = assignment.creative_id();
                  if (Store::Creative(txn, call.ctx.tenant_id,
                                      call.ctx.principal_id, creative_id)) {
                    known_creatives.insert(creative_id);
                  } else if (std::find(held.begin(), held.end(), creative_id) ==
                             held.end()) {
                    held.push_back(creative_id);
                    ++held_count;
                  }
                }
                if (!held.empty())
                  buy.packages[static_cast<size_t>(i)]
                      .extra["held_creative_ids"] = std::move(held);
              }
              // The ad server hears of the buy once everything that could
              // still refuse it has been checked, and the buy is written
              // once, with what the ad server created (or the step that
              // failed, for the same request to resume from).
              if (!manual) placement = PlaceOrder(call, buy);
              try {
                Store::InsertBuy(txn, call.ctx.tenant_id, buy);
                for (int i = 0; i < request->packages_size(); ++i) {
                  for (const auto& assignment :
                       request->packages(i).creative_assignments()) {
                    if (!known_creatives.count(assignment.creative_id()))
                      continue;
                    Store::Assign(
                        txn, call.ctx.tenant_id, call.ctx.principal_id,
                        assignment.creative_id(),
                        buy.packages[static_cast<size_t>(i)].package_id);
                  }
                }
              } catch (const std::exception& e) {
                // The ad server may hold what the rolled-back buy would have
                // recorded: say what, for an operator to find and remove.
                if (!manual)
                  log::Error(
                      "the database did not take a media buy the ad server "
                      "was sent",
                      {{"tenant_id", call.ctx.tenant_id},
                       {"media_buy_id", buy.media_buy_id},
                       {"adapter", buy.adapter},
                       {"order_id", buy.order_id},
                       {"adapter_state", buy.adapter_state.dump()},
                       {"error", e.what()}});
                throw;
              }
              // Only creatives assigned in this request can be pushed.
              if (!manual && placement.ok() && !known_creatives.empty())
                PushCreativesBestEffort(txn, call, buy.media_buy_id);
              nlohmann::json details = {
                  {"media_buy_id", buy.media_buy_id},
                  {"total_budget", DecimalFromMicros(buy.total_budget)},
                  {"currency", buy.currency},
                  {"packages", buy.packages.size()},
                  {"status", buy.status},
                  {"dry_run", call.dry_run}};
              if (!placement.ok())
                details["ad_server_error"] = std::string(placement.message());
              if (manual) {
                if (directive)
                  Store::RetireTaskId(txn, call.ctx.tenant_id,
                                      call.ctx.principal_id, directive->task_id,
                                      RandomHex(4));
                TaskRow task{
                    .task_id = directive ? directive->task_id : NewId("task_"),
                    .principal_id = call.ctx.principal_id,
                    .task_type = "media_buy_approval",
                    .media_buy_id = buy.media_buy_id,
                    .summary = absl::StrCat(
                        "Approve media buy ", buy.media_buy_id, " of ",
                        call.ctx.principal_id, ": ",
                        DisplayAmount(buy.total_budget), " ", buy.currency,
                        ", ", buy.packages.size(), " package(s), ",
                        Rfc3339(start), " to ", Rfc3339(end))};
                Store::InsertTask(txn, call.ctx.tenant_id, task);
                details["task_id"] = task.task_id;
                response->set_status("submitted");
                response->set_task_id(task.task_id);
                response->set_message(
                    directive && !directive->message.empty()
                        ? directive->message
                        : "The publisher reviews each media buy by hand; it "
                          "goes live when approved.");
              } else {
                if (held_count > 0)
                  response->set_message(absl::StrCat(
                      held_count,
                      " assigned creative(s) are not in your library yet; "
                      "they are assigned when sync_creatives uploads them"));
                AnswerCreated(txn, call.ctx.tenant_id, buy,
                              /*may_have_creatives=*/!known_creatives.empty(),
                              now, response);
              }
              audit = AuditEntry{.operation = "create_media_buy",
                                 .adapter = adapter_name,
                                 .details = std::move(details)};
              return absl::OkStatus();
            },
            resume, &audit);
        if (created.ok() && !placement.ok()) return placement;
        return created;
      });
}

absl::Status MediaBuyService::PlaceOrder(const Call& call, BuyRow& buy) {
  const AdapterBuy adapter_buy = ToAdapterBuy(call.ctx.tenant_id, buy);
  CreatedOrder order{.order_id = buy.order_id,
                     .upstream = adapter_buy.upstream};
  for (const PackageRow& package : buy.packages) {
    if (!package.line_id.empty())
      order.line_ids[package.package_id] = package.line_id;
  }
  absl::Status placed;
  if (auto adapter = Adapter(call, buy); !adapter.ok()) {
    placed = adapter.status();
    order.failed_step = "open_adapter";
  } else {
    placed = (*adapter)->CreateMediaBuy(adapter_buy, order);
  }
  // What the ad server created is kept whatever happened, so that a retry
  // resumes from there.
  ApplyOrder(order, buy);
  for (const char* key : {"failed_step", "error", "failed_at"})
    buy.adapter_state.erase(key);
  absl::Status result;
  if (!placed.ok()) {
    // Shown to the buyer (get_media_buys' ad_server_error): no ad-server
    // text, the request id under which it is logged.
    buy.adapter_state["failed_step"] = order.failed_step;
    buy.adapter_state["error"] =
        absl::StrCat(BuyerSafeAdapterMessage(placed), " (request id ",
                     call.ctx.request_id, ")");
    buy.adapter_state["failed_at"] = Rfc3339(options_.clock());
    log::Warn("the ad server does not have the whole media buy",
              {{"tenant_id", call.ctx.tenant_id},
               {"media_buy_id", buy.media_buy_id},
               {"adapter", buy.adapter},
               {"failed_step", order.failed_step}});
    result = AdServerError(placed, order.failed_step, buy.media_buy_id);
  }
  return result;
}

absl::Status MediaBuyService::PlaceStoredOrder(pqxx::work& txn,
                                               const Call& call, BuyRow& buy) {
  const absl::Status result = PlaceOrder(call, buy);
  Store::UpdateBuy(txn, call.ctx.tenant_id, buy);
  buy.forced_status.clear();
  Store::UpdatePackages(txn, call.ctx.tenant_id, buy.media_buy_id,
                        buy.packages);
  return result;
}

void MediaBuyService::PushCreativesBestEffort(pqxx::work& txn, const Call& call,
                                              const std::string& media_buy_id) {
  const absl::Status pushed = PushCreatives(txn, call, media_buy_id);
  if (!pushed.ok()) {
    log::Warn("creatives not sent to the ad server; the next sync retries",
              {{"tenant_id", call.ctx.tenant_id},
               {"media_buy_id", media_buy_id},
               {"error", std::string(pushed.message())}});
  }
}

absl::StatusOr<std::optional<AccountRow>> MediaBuyService::CheckAccountRef(
    pqxx::work& txn, const Call& call, const pb::AccountRef& ref) {
  if (!ref.account_id().empty()) {
    auto account =
        Store::AccountById(txn, call.ctx.tenant_id, ref.account_id());
    if (!account || account->principal_id != call.ctx.principal_id) {
      return AdcpError("ACCOUNT_NOT_FOUND", "account.account_id",
                       "account.account_id: no such account",
                       "list your accounts with list_accounts");
    }
    return account;
  }
  if (ref.brand().domain().empty())
    return InvalidField("account", "needs account_id, or brand and operator");
  if (ref.operator_().empty())
    return InvalidField("account.operator", "is required with account.brand");
  RETURN_IF_ERROR(ValidateDomain("account.brand.domain", ref.brand().domain()));
  RETURN_IF_ERROR(ValidateDomain("account.operator", ref.operator_()));
  if (ref.brand().brand_id().size() > 255)
    return InvalidField("account.brand.brand_id",
                        "must be at most 255 characters");
  return std::nullopt;
}

absl::StatusOr<std::string> MediaBuyService::ResolveAccount(
    pqxx::work& txn, const Call& call, const pb::AccountRef& ref,
    const TenantAccounts* known) {
  if (known != nullptr && !ref.account_id().empty()) {
    if (const AccountRow* account = known->ById(ref.account_id());
        account != nullptr && account->principal_id == call.ctx.principal_id) {
      RETURN_IF_ERROR(AccountInGoodStanding(*account));
      return account->account_id;
    }
  }
  ASSIGN_OR_RETURN(const std::optional<AccountRow> named,
                   CheckAccountRef(txn, call, ref));
  if (named) {
    // New buys and creatives need an account in good standing; updates of
    // existing buys do not (pausing and canceling must stay possible).
    RETURN_IF_ERROR(AccountInGoodStanding(*named));
    return named->account_id;
  }
  AccountRow key{.principal_id = call.ctx.principal_id,
                 .brand_domain = absl::AsciiStrToLower(ref.brand().domain()),
                 .brand_id = ref.brand().brand_id(),
                 .operator_domain = absl::AsciiStrToLower(ref.operator_())};
  // From memory, else from the database (an account newer than the memory).
  std::optional<AccountRow> stored;
  const AccountRow* account = known ? known->ByKey(key) : nullptr;
  if (account == nullptr &&
      (stored = Store::AccountByKey(txn, call.ctx.tenant_id, key)))
    account = &*stored;
  if (account != nullptr) {
    RETURN_IF_ERROR(AccountInGoodStanding(*account));
    return account->account_id;
  }
  // A natural key not seen before opens the account (as sync_accounts would).
  key.account_id = NewId("acct_");
  key.name = absl::StrCat(key.brand_domain, " via ", key.operator_domain);
  key.billing = "operator";
  key.status = "active";
  key.sandbox = ref.sandbox();
  Store::InsertAccount(txn, call.ctx.tenant_id, key);
  return key.account_id;
}

// update_media_buy keeps the ad server and the database in agreement, as
// create_media_buy does for a half-placed buy, by writing first and telling
// the ad server after:
//
// 1. One transaction validates the change, writes the new state (buy,
//    packages, assignments, audit row, the idempotent answer) and records
//    in adapter_state.pending_update what the ad server still has to be
//    told (which fields and packages changed, under the request's
//    idempotency_key), and commits. A failing database write rolls all of
//    it back before the ad server has heard anything.
// 2. Outside any transaction (a slow ad server holds no database
//    connection), the change is sent: absolute values read from the stored
//    buy, so that sending it again is harmless.
// 3. A second transaction clears the record once the ad server took the
//    change, or stores its error (get_media_buys shows it as
//    ad_server_error) and the task fails naming the request id.
//
// Whatever fails between 1 and 3 (the ad server refusing halfway, the
// process dying, the database going away) leaves the record, so nothing
// disagrees unknowingly, and the same request again (same idempotency_key)
// replays the stored answer and sends the recorded change again until the
// ad server confirms it. Meanwhile other changes are refused (INVALID_STATE)
// except cancelling, which sends the recorded change with its own. A dry
// run and a buy the ad server does not have yet keep the single
// transaction.
grpc::Status MediaBuyService::UpdateMediaBuy(
    grpc::ServerContext* context, const pb::UpdateMediaBuyRequest* request,
    pb::UpdateMediaBuyResponse* response) {
  return Serve(
      context, "UpdateMediaBuy", true, [&](const Call& call) -> absl::Status {
        RETURN_IF_ERROR(CheckMajorVersion(*request));
        RETURN_IF_ERROR(ValidateIdempotencyKey(request->idempotency_key()));
        RETURN_IF_ERROR(ValidateId("media_buy_id", request->media_buy_id()));
        if (!request->has_account())
          return InvalidField("account", "is required");
        const absl::Time now = options_.clock();
        std::optional<absl::Time> new_start, new_end;
        if (!request->start_time().empty()) {
          if (request->start_time() == "asap") {
            new_start = now;
          } else {
            ASSIGN_OR_RETURN(new_start,
                             ParseTime("start_time", request->start_time()));
          }
        }
        if (!request->end_time().empty()) {
          ASSIGN_OR_RETURN(new_end, ParseTime("end_time", request->end_time()));
          if (*new_end <= now)
            return InvalidField("end_time", "must be in the future");
        }
        // The flight rules of create_media_buy (a longer flight would also
        // thin out max_daily_budget).
        if (new_end && *new_end > now + kMaxFlightAhead)
          return InvalidField("end_time", "must be within 5 years from now");
        if (new_start && *new_start > now + kMaxFlightAhead)
          return InvalidField("start_time", "must be within 5 years from now");
        if (request->has_paused() && request->canceled())
          return InvalidField("paused", "cannot be combined with canceled");
        if (request->packages_size() > kMaxPackages)
          return InvalidField(
              "packages", absl::StrCat("must contain at most ", kMaxPackages,
                                       " package changes"));
        std::map<std::string, int> package_index;
        for (int i = 0; i < request->packages_size(); ++i) {
          const pb::PackageUpdate& update = request->packages(i);
          const std::string field = absl::StrCat("packages[", i, "]");
          RETURN_IF_ERROR(
              ValidateId(field + ".package_id", update.package_id()));
          if (auto [at, fresh] = package_index.emplace(update.package_id(), i);
              !fresh)
            return InvalidField(field + ".package_id",
                                absl::StrCat("repeats packages[", at->second,
                                             "]; change each package once"));
          if (update.creative_assignments_size() >
              kMaxCreativeAssignmentsPerPackage)
            return InvalidField(
                field + ".creative_assignments",
                absl::StrCat("must contain at most ",
                             kMaxCreativeAssignmentsPerPackage, " creatives"));
          if (update.has_budget()) {
            ASSIGN_OR_RETURN(Micros budget, MicrosFromNumber(field + ".budget",
                                                             update.budget()));
            if (budget <= 0)
              return InvalidField(field + ".budget", "must be > 0");
          }
          RETURN_IF_ERROR(ValidatePacing(field + ".pacing", update.pacing()));
          if (update.has_bid_price()) {
            ASSIGN_OR_RETURN(Micros bid, MicrosFromNumber(field + ".bid_price",
                                                          update.bid_price()));
            if (bid <= 0)
              return InvalidField(field + ".bid_price", "must be > 0");
          }
          if (update.has_impressions())
            RETURN_IF_ERROR(ValidateImpressions(field + ".impressions",
                                                update.impressions()));
        }
        // The ad server may be called: wait for the tenant's slot before the
        // transaction takes a database connection.
        RETURN_IF_ERROR(ReserveAdServer(call));
        // Whether a change recorded under this request's key still has to
        // reach the ad server once the transaction is committed.
        bool send_upstream = false;
        auto replay = [&](pqxx::work& txn) -> absl::Status {
          auto buy = Store::Buy(txn, call.ctx.tenant_id,
                                request->media_buy_id(), call.reader(), false);
          send_upstream =
              buy && PendingUpdateKey(*buy) == request->idempotency_key();
          return absl::OkStatus();
        };
        const absl::Status updated = Idempotently(
            call, "update_media_buy", *request, response,
            [&](pqxx::work& txn) -> absl::Status {
              std::optional<BuyRow> found =
                  Store::Buy(txn, call.ctx.tenant_id, request->media_buy_id(),
                             call.reader(), /*for_update=*/true);
              if (!found) return MediaBuyNotFound("media_buy_id");
              BuyRow buy = *std::move(found);
              // The account reference must be valid for the caller (the buy
              // itself is the buyer's; AdCP sends the account for routing).
              RETURN_IF_ERROR(
                  CheckAccountRef(txn, call, request->account()).status());
              if (request->has_revision() &&
                  request->revision() != buy.revision) {
                return AdcpError(
                    "CONFLICT", "revision",
                    absl::StrCat("revision: the media buy is at revision ",
                                 buy.revision, ", not ", request->revision()),
                    "read it again with get_media_buys and retry");
              }
              const std::string before = AdcpStatus(
                  buy, HasLiveCreatives(txn, call.ctx.tenant_id, buy), now);
              if (request->canceled() &&
                  (before == "completed" || before == "rejected" ||
                   before == "canceled")) {
                return AdcpError(
                    "NOT_CANCELLABLE", "canceled",
                    absl::StrCat("canceled: the media buy is ", before,
                                 " and cannot be canceled"));
              }
              if (before == "completed" || before == "rejected" ||
                  before == "canceled") {
                return AdcpError("INVALID_STATE", "media_buy_id",
                                 absl::StrCat("media_buy_id: the media buy is ",
                                              before, " and cannot change"));
              }
              AdapterUpdate change;
              nlohmann::json details = {{"media_buy_id", buy.media_buy_id}};
              if (request->canceled()) {
                buy.status = "canceled";
                change.paused = true;
                details["canceled"] = true;
                if (request->cancellation_reason().size() > 2000)
                  return InvalidField("cancellation_reason",
                                      "must be at most 2000 characters");
                if (!request->cancellation_reason().empty())
                  buy.rejection_reason = request->cancellation_reason();
                // Nobody needs to approve a canceled buy any more.
                Store::FailOpenTasksOfBuy(txn, call.ctx.tenant_id,
                                          buy.media_buy_id,
                                          "the buyer canceled the media buy");
              }
              if (request->has_paused()) {
                if (buy.status == "pending_approval") {
                  return AdcpError(
                      "INVALID_STATE", "paused",
                      "paused: the media buy awaits the publisher's "
                      "approval and is not running yet");
                }
                // A sandbox's forced status is what the buyer sees.
                const bool is_paused = buy.forced_status.empty()
                                           ? buy.status == "paused"
                                           : buy.forced_status == "paused";
                if (request->paused() && is_paused)
                  return AdcpError("INVALID_STATE", "paused",
                                   "paused: the media buy is already paused");
                if (!request->paused() && !is_paused)
                  return AdcpError("INVALID_STATE", "paused",
                                   "paused: the media buy is not paused");
                buy.status = request->paused() ? "paused" : "active";
                buy.paused_at = request->paused()
                                    ? std::optional<absl::Time>(now)
                                    : std::nullopt;
                change.paused = request->paused();
                details["paused"] = request->paused();
              }
              if (new_start || new_end) {
                const absl::Time start = new_start.value_or(buy.start_time);
                const absl::Time end = new_end.value_or(buy.end_time);
                if (new_start && *new_start != buy.start_time &&
                    buy.start_time <= now && buy.status != "pending_approval")
                  return InvalidField(
                      "start_time",
                      "cannot change once the flight has started");
                if (new_start && *new_start < now - options_.start_grace)
                  return InvalidField("start_time", "must not be in the past");
                if (end <= start)
                  return InvalidField("end_time", "must be after start_time");
                buy.start_time = start;
                buy.end_time = end;
                if (new_start) change.start_time = start;
                if (new_end) change.end_time = end;
                details["start_time"] = Rfc3339(start);
                details["end_time"] = Rfc3339(end);
              }
              std::vector<PackageRow*> changed;
              bool budget_changed = request->has_total_budget();
              bool assigned = false;
              for (int i = 0; i < request->packages_size(); ++i) {
                const pb::PackageUpdate& update = request->packages(i);
                const std::string field = absl::StrCat("packages[", i, "]");
                auto it =
                    std::find_if(buy.packages.begin(), buy.packages.end(),
                                 [&](const PackageRow& p) {
                                   return p.package_id == update.package_id();
                                 });
                if (it == buy.packages.end()) {
                  return AdcpError(
                      "PACKAGE_NOT_FOUND", field + ".package_id",
                      absl::StrCat(field, ".package_id: no package '",
                                   update.package_id(), "' in this media buy"));
                }
                if (update.has_budget())
                  it->budget =
                      *MicrosFromNumber(field + ".budget", update.budget());
                budget_changed |= update.has_budget();
                if (update.has_paused()) it->paused = update.paused();
                if (update.canceled()) it->paused = true;
                if (!update.pacing().empty()) it->pacing = update.pacing();
                if (update.has_bid_price()) {
                  if (!it->bid_price)
                    return InvalidField(
                        field + ".bid_price",
                        "applies only to auction-priced packages");
                  it->bid_price = *MicrosFromNumber(field + ".bid_price",
                                                    update.bid_price());
                  it->rate = it->bid_price;
                }
                RETURN_IF_ERROR(CheckPricingFloor(txn, call.ctx.tenant_id,
                                                  field, *it, update));
                if (update.has_impressions())
                  it->impressions = static_cast<int64_t>(update.impressions());
                if (update.has_targeting_overlay())
                  it->targeting_overlay =
                      StructToJson(update.targeting_overlay());
                for (int c = 0; c < update.creative_assignments_size(); ++c) {
                  const std::string& creative_id =
                      update.creative_assignments(c).creative_id();
                  if (!Store::Creative(txn, call.ctx.tenant_id,
                                       buy.principal_id, creative_id)) {
                    const std::string cfield = absl::StrCat(
                        field, ".creative_assignments[", c, "].creative_id");
                    return AdcpError("CREATIVE_NOT_FOUND", cfield,
                                     absl::StrCat(cfield, ": no creative '",
                                                  creative_id, "'"));
                  }
                  Store::Assign(txn, call.ctx.tenant_id, buy.principal_id,
                                creative_id, it->package_id);
                  assigned = true;
                }
                changed.push_back(&*it);
              }
              Micros sum = 0;
              for (const PackageRow& package : buy.packages)
                sum += package.budget;
              if (request->has_total_budget()) {
                if (request->total_budget().currency() != buy.currency)
                  return InvalidField("total_budget.currency",
                                      absl::StrCat("must be ", buy.currency));
                ASSIGN_OR_RETURN(
                    buy.total_budget,
                    MicrosFromNumber("total_budget.amount",
                                     request->total_budget().amount()));
                if (buy.total_budget <= 0)
                  return InvalidField("total_budget.amount", "must be > 0");
              } else if (sum > buy.total_budget) {
                buy.total_budget = sum;
              }
              if (buy.total_budget < sum) {
                return InvalidField(
                    request->has_total_budget() ? "total_budget.amount"
                                                : "packages",
                    absl::StrCat("the package budgets (", DisplayAmount(sum),
                                 ") exceed the total budget (",
                                 DisplayAmount(buy.total_budget), ")"));
              }
              // The limit applies to what changes money or days: pausing or
              // canceling stays possible after the publisher lowers it.
              if (budget_changed || new_start || new_end) {
                RETURN_IF_ERROR(CheckDailyBudget(
                    *call.tenant,
                    request->has_total_budget() ? "total_budget" : "packages",
                    buy.total_budget, buy.currency, buy.start_time,
                    buy.end_time));
              }
              for (PackageRow* package : changed) {
                change.packages.push_back(AdapterPackage{
                    .package_id = package->package_id,
                    .product_id = package->product_id,
                    .pricing_model = package->pricing_model,
                    .budget = package->budget,
                    .rate = package->rate.value_or(0),
                    .pacing = package->pacing,
                    .impressions_goal = package->impressions.value_or(0),
                    .paused = package->paused,
                    .line_id = package->line_id});
              }
              if (buy.adapter_state.contains("failed_step") &&
                  !request->canceled()) {
                // The ad server would be told half a change of half a buy.
                return AdcpError(
                    "INVALID_STATE", "media_buy_id",
                    absl::StrCat("media_buy_id: the ad server does not have "
                                 "the whole media buy yet (step ",
                                 buy.adapter_state.value("failed_step", ""),
                                 " failed)"),
                    "send the create_media_buy request again (same "
                    "idempotency_key) to resume, or cancel the buy");
              }
              const nlohmann::json* pending = PendingUpdate(buy);
              if (pending != nullptr && !request->canceled() &&
                  !pending->contains("error") &&
                  now - ParseTime("recorded_at",
                                  pending->value("recorded_at", ""))
                              .value_or(absl::InfinitePast()) <
                      kPendingUpdateInFlight) {
                // Another request is telling the ad server right now.
                return AdcpError(
                    "CONFLICT", "media_buy_id",
                    "media_buy_id: another update of this media buy is being "
                    "sent to the ad server",
                    "retry shortly");
              }
              if (pending != nullptr && !request->canceled()) {
                // A change on top of one the ad server may have only half
                // of would make the two disagree for good.
                return AdcpError(
                    "INVALID_STATE", "media_buy_id",
                    absl::StrCat(
                        "media_buy_id: the ad server has not confirmed the "
                        "update to revision ",
                        pending->value("revision", 0), " yet"),
                    "send that update_media_buy again (same "
                    "idempotency_key) to complete it, or cancel the buy");
              }
              if (Placed(buy)) {
                if (call.dry_run) {
                  // The adapter logs what it would send; nothing is kept.
                  ASSIGN_OR_RETURN(auto adapter, Adapter(call, buy));
                  absl::Status applied = adapter->UpdateMediaBuy(
                      ToAdapterBuy(call.ctx.tenant_id, buy), change);
                  if (!applied.ok())
                    return AdServerFailure(
                        applied,
                        absl::StrCat("media buy ", buy.media_buy_id,
                                     ": the ad server did not take the "
                                     "update"),
                        "retry later");
                } else {
                  // See UpdateMediaBuy's comment: the change is recorded
                  // with the new state and sent after the commit.
                  nlohmann::json record = RecordOfChange(change, pending);
                  record["idempotency_key"] = request->idempotency_key();
                  record["revision"] = buy.revision + 1;
                  record["recorded_at"] = Rfc3339(now);
                  buy.adapter_state["pending_update"] = std::move(record);
                  send_upstream = true;
                }
              }
              buy.revision += 1;
              Store::UpdateBuy(txn, call.ctx.tenant_id, buy);
              buy.forced_status.clear();  // the update clears it
              for (PackageRow* package : changed)
                Store::UpdatePackage(txn, call.ctx.tenant_id, *package);
              if (assigned && Placed(buy))
                PushCreativesBestEffort(txn, call, buy.media_buy_id);
              details["revision"] = buy.revision;
              details["total_budget"] = DecimalFromMicros(buy.total_budget);
              Store::Audit(txn, call.ctx.tenant_id, "update_media_buy",
                           call.ctx.principal_id, buy.adapter, details);
              const std::string status = AdcpStatus(
                  buy, HasLiveCreatives(txn, call.ctx.tenant_id, buy), now);
              response->set_media_buy_id(buy.media_buy_id);
              response->set_status(status);
              response->set_revision(buy.revision);
              response->set_implementation_date(Rfc3339(now));
              for (const std::string& action : ValidActionsFor(buy, status))
                response->add_valid_actions(action);
              for (PackageRow* package : changed)
                *response->add_affected_packages() =
                    PackageToProto(*package, buy.currency);
              return absl::OkStatus();
            },
            replay);
        if (!updated.ok() || !send_upstream) return updated;
        return CompleteUpdate(call, request->media_buy_id(),
                              request->idempotency_key());
      });
}

absl::Status MediaBuyService::CompleteUpdate(
    const Call& call, const std::string& media_buy_id,
    const std::string& idempotency_key) {
  const Reader any{"", true};
  std::optional<BuyRow> buy;
  RETURN_IF_ERROR(
      pool_.WithTenantTransaction(call.ctx.tenant_id, [&](pqxx::work& txn) {
        buy = Store::Buy(txn, call.ctx.tenant_id, media_buy_id, any, false);
        return absl::OkStatus();
      }));
  // Completed meanwhile (a concurrent retry of the same request).
  if (!buy || PendingUpdateKey(*buy) != idempotency_key)
    return absl::OkStatus();
  // Outside any transaction: a slow ad server holds no database connection.
  // The change is absolute (flags, dates, budgets as stored), so sending it
  // again after a failure or a crash is harmless.
  const AdapterUpdate change =
      ChangeOfRecord(buy->adapter_state["pending_update"], *buy);
  absl::Status applied;
  if (auto adapter = Adapter(call, *buy); !adapter.ok()) {
    applied = adapter.status();
  } else {
    applied = (*adapter)->UpdateMediaBuy(ToAdapterBuy(call.ctx.tenant_id, *buy),
                                         change);
  }
  const absl::Status failure =
      applied.ok()
          ? absl::OkStatus()
          : AdServerFailure(
                applied,
                absl::StrCat("media buy ", media_buy_id,
                             ": the ad server did not take the update"),
                "the update is recorded and the media buy shows it; send "
                "the same request again (same idempotency_key) to complete "
                "it on the ad server, or cancel the buy");
  RETURN_IF_ERROR(
      pool_.WithTenantTransaction(call.ctx.tenant_id, [&](pqxx::work& txn) {
        auto locked = Store::Buy(txn, call.ctx.tenant_id, media_buy_id, any,
                                 /*for_update=*/true);
        if (!locked || PendingUpdateKey(*locked) != idempotency_key)
          return absl::OkStatus();
        if (applied.ok()) {
          locked->adapter_state.erase("pending_update");
        } else {
          nlohmann::json& record = locked->adapter_state["pending_update"];
          record["error"] =
              absl::StrCat(BuyerSafeAdapterMessage(applied), " (request id ",
                           call.ctx.request_id, ")");
          record["failed_at"] = Rfc3339(options_.clock());
        }
        Store::SetAdapterState(txn, call.ctx.tenant_id, media_buy_id,
                               locked->adapter_state);
        return absl::OkStatus();
      }));
  return failure;
}

grpc::Status MediaBuyService::GetMediaBuys(
    grpc::ServerContext* context, const pb::GetMediaBuysRequest* request,
    pb::GetMediaBuysResponse* response) {
  return Serve(
      context, "GetMediaBuys", false, [&](const Call& call) -> absl::Status {
        RETURN_IF_ERROR(CheckMajorVersion(*request));
        ASSIGN_OR_RETURN(const int limit, PageSize(request->pagination()));
        ASSIGN_OR_RETURN(const std::vector<std::string> ids,
                         DistinctIds("media_buy_ids", request->media_buy_ids(),
                                     kMaxMediaBuyIds));
        ASSIGN_OR_RETURN(const std::set<std::string> statuses,
                         StatusFilter(request->status_filter()));
        const absl::Time now = options_.clock();
        return pool_.WithTenantTransaction(
            call.ctx.tenant_id, [&](pqxx::work& txn) -> absl::Status {
              std::vector<BuyRow> buys;
              bool more = false;
              if (!ids.empty()) {
                for (const std::string& id : ids) {
                  auto buy = Store::Buy(txn, call.ctx.tenant_id, id,
                                        call.reader(), false);
                  if (!buy) return MediaBuyNotFound(IdField(*request, id));
                  buys.push_back(*std::move(buy));
                }
              } else {
                buys = Store::Buys(txn, call.ctx.tenant_id, call.buyer(),
                                   limit + 1, request->pagination().cursor());
                more = static_cast<int>(buys.size()) > limit;
                if (more) buys.resize(static_cast<size_t>(limit));
              }
              for (const BuyRow& buy : buys) {
                pb::MediaBuy out =
                    BuyToProto(txn, call.ctx.tenant_id, buy, now);
                if (!statuses.empty() && !statuses.count(out.status()))
                  continue;
                *response->add_media_buys() = std::move(out);
              }
              response->mutable_pagination()->set_has_more(more);
              if (more)
                response->mutable_pagination()->set_cursor(
                    buys.back().media_buy_id);
              *response->mutable_context() = request->context();
              return absl::OkStatus();
            });
      });
}

grpc::Status MediaBuyService::GetMediaBuyDelivery(
    grpc::ServerContext* context, const pb::GetMediaBuyDeliveryRequest* request,
    pb::GetMediaBuyDeliveryResponse* response) {
  return Serve(
      context, "GetMediaBuyDelivery", false,
      [&](const Call& call) -> absl::Status {
        RETURN_IF_ERROR(CheckMajorVersion(*request));
        const absl::Time now = options_.clock();
        std::optional<absl::Time> from, until;
        if (!request->start_date().empty()) {
          ASSIGN_OR_RETURN(from,
                           ParseDate("start_date", request->start_date()));
        }
        if (!request->end_date().empty()) {
          ASSIGN_OR_RETURN(absl::Time end,
                           ParseDate("end_date", request->end_date()));
          until = end + absl::Hours(24);  // end_date is inclusive
        }
        if (from && until && *until <= *from)
          return InvalidField("end_date", "must not be before start_date");
        ASSIGN_OR_RETURN(const std::set<std::string> statuses,
                         StatusFilter(request->status_filter()));
        ASSIGN_OR_RETURN(const std::vector<std::string> ids,
                         DistinctIds("media_buy_ids", request->media_buy_ids(),
                                     kMaxMediaBuyIds));
        std::vector<BuyRow> buys;
        std::map<std::string, std::string> status_of;
        RETURN_IF_ERROR(pool_.WithTenantTransaction(
            call.ctx.tenant_id, [&](pqxx::work& txn) -> absl::Status {
              if (!ids.empty()) {
                for (const std::string& id : ids) {
                  auto buy = Store::Buy(txn, call.ctx.tenant_id, id,
                                        call.reader(), false);
                  if (!buy) return MediaBuyNotFound(IdField(*request, id));
                  buys.push_back(*std::move(buy));
                }
              } else {
                // Every buy of the caller, a page at a time.
                std::string after;
                while (true) {
                  std::vector<BuyRow> page =
                      Store::Buys(txn, call.ctx.tenant_id, call.buyer(),
                                  kMaxPageSize, after);
                  for (BuyRow& buy : page) buys.push_back(std::move(buy));
                  if (static_cast<int>(page.size()) < kMaxPageSize) break;
                  after = buys.back().media_buy_id;
                }
              }
              for (const BuyRow& buy : buys) {
                status_of[buy.media_buy_id] = AdcpStatus(
                    buy, HasLiveCreatives(txn, call.ctx.tenant_id, buy), now);
              }
              return absl::OkStatus();
            }));
        const absl::Time period_end = std::min(now, until.value_or(now));
        absl::Time period_start = from.value_or(absl::InfiniteFuture());
        std::string currency;
        int64_t total_impressions = 0, total_clicks = 0;
        Micros total_spend = 0;
        int count = 0;
        for (const BuyRow& buy : buys) {
          std::string status = status_of[buy.media_buy_id];
          if (!statuses.empty() && !statuses.count(status)) continue;
          if (!from) period_start = std::min(period_start, buy.start_time);
          if (currency.empty()) currency = buy.currency;
          pb::MediaBuyDelivery* delivery = response->add_media_buy_deliveries();
          delivery->set_media_buy_id(buy.media_buy_id);
          if (buy.status == "pending_approval") status = "pending";
          delivery->set_status(status);
          std::map<std::string, PackageDeliveryReport> reports;
          if (Placed(buy)) {
            ASSIGN_OR_RETURN(auto adapter, Adapter(call, buy));
            const AdapterBuy adapter_buy =
                ToAdapterBuy(call.ctx.tenant_id, buy);
            auto at_end = adapter->GetDelivery(adapter_buy, period_end);
            if (!at_end.ok())
              return AdServerFailure(
                  at_end.status(),
                  absl::StrCat("media buy ", buy.media_buy_id,
                               ": the ad server's report failed"),
                  "retry later");
            for (auto& line : at_end->packages) reports[line.package_id] = line;
            if (from) {
              auto at_start = adapter->GetDelivery(adapter_buy, *from);
              // Over the fan-out limit: an error, not lifetime numbers
              // passed off as the period's.
              if (!at_start.ok() && HasAdcpError(at_start.status()))
                return at_start.status();
              if (at_start.ok()) {
                for (const auto& line : at_start->packages) {
                  auto& report = reports[line.package_id];
                  report.impressions -=
                      std::min(report.impressions, line.impressions);
                  report.spend -= std::min(report.spend, line.spend);
                  report.clicks -= std::min(report.clicks, line.clicks);
                }
              }
            }
          }
          if (call.tenant->config().sandbox())
            AddSimulatedDelivery(buy, reports);
          int64_t impressions = 0, clicks = 0;
          Micros spend = 0;
          for (const PackageRow& package : buy.packages) {
            const PackageDeliveryReport& report = reports[package.package_id];
            pb::PackageDelivery* line = delivery->add_by_package();
            line->set_package_id(package.package_id);
            line->set_impressions(static_cast<double>(report.impressions));
            line->set_spend(NumberFromMicros(report.spend));
            line->set_clicks(static_cast<double>(report.clicks));
            line->set_pacing_index(report.pacing_index);
            line->set_pricing_model(package.pricing_model);
            line->set_rate(NumberFromMicros(package.rate.value_or(0)));
            line->set_currency(buy.currency);
            if (!report.delivery_status.empty())
              line->set_delivery_status(report.delivery_status);
            line->set_paused(package.paused || buy.status == "paused");
            impressions += report.impressions;
            clicks += report.clicks;
            spend += report.spend;
          }
          pb::DeliveryTotals* totals = delivery->mutable_totals();
          totals->set_impressions(static_cast<double>(impressions));
          totals->set_spend(NumberFromMicros(spend));
          totals->set_clicks(static_cast<double>(clicks));
          if (impressions > 0)
            totals->set_ctr(static_cast<double>(clicks) /
                            static_cast<double>(impressions));
          total_impressions += impressions;
          total_clicks += clicks;
          if (buy.currency == currency) total_spend += spend;
          ++count;
        }
        if (period_start == absl::InfiniteFuture()) period_start = period_end;
        response->mutable_reporting_period()->set_start(Rfc3339(period_start));
        response->mutable_reporting_period()->set_end(Rfc3339(period_end));
        response->set_currency(currency.empty() ? "USD" : currency);
        *response->mutable_aggregated_totals() =
            JsonToStruct({{"impressions", total_impressions},
                          {"spend", NumberFromMicros(total_spend)},
                          {"clicks", total_clicks},
                          {"media_buy_count", count}});
        *response->mutable_context() = request->context();
        return absl::OkStatus();
      });
}

// ------------------------------------------------- compliance testing --

grpc::Status MediaBuyService::ComplyTestController(
    grpc::ServerContext* context,
    const pb::ComplyTestControllerRequest* request,
    pb::ComplyTestControllerResponse* response) {
  return Serve(
      context, "ComplyTestController", true,
      [&](const Call& call) -> absl::Status {
        // Absent, as an unknown task, outside sandbox tenants.
        if (!call.tenant->config().sandbox())
          return absl::NotFoundError(
              "comply_test_controller: no such task (sandbox tenants only)");
        const ControllerCall controller{
            .tenant_id = call.ctx.tenant_id,
            .principal_id = call.ctx.principal_id,
            .tenant = call.tenant.get(),
            .now = options_.clock(),
            .formats = &formats_,
            .publisher_base_domain = options_.publisher_base_domain};
        RETURN_IF_ERROR(InTransaction(call, [&](pqxx::work& txn) {
          RETURN_IF_ERROR(
              RunComplyTestController(txn, controller, *request, response));
          if (response->success() && request->scenario() != "list_scenarios")
            Store::Audit(txn, call.ctx.tenant_id, "comply_test_controller",
                         call.ctx.principal_id, "",
                         {{"scenario", request->scenario()},
                          {"params", StructToJson(request->params())}});
          return absl::OkStatus();
        }));
        // seed_product and seed_pricing_option change products,
        // force_account_status an account (this replica reads its own
        // write at once; the others on the triggers' notifications).
        if (absl::StartsWith(request->scenario(), "seed_"))
          products_.Invalidate(call.ctx.tenant_id);
        if (request->scenario() == "force_account_status")
          accounts_.Invalidate(call.ctx.tenant_id);
        *response->mutable_context() = request->context();
        return absl::OkStatus();
      });
}

// ------------------------------------------------------------ creatives --

namespace {

// Values of one list_creatives filter list (AdCP's maxItems of
// filters.creative_ids).
constexpr int kMaxFilterValues = 100;
// AdCP's maxItems of sync_creatives' creatives.
constexpr int kMaxCreativesPerSync = 100;
// Assignments one sync_creatives may make (AdCP states no maxItems): every
// creative of the request to ten packages.
constexpr int kMaxAssignmentsPerSync = 1000;

std::vector<std::string> StringList(const nlohmann::json& value) {
  std::vector<std::string> out;
  if (!value.is_array()) return out;
  for (const auto& item : value)
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

bool IsCreativeStatus(const std::string& status) {
  return status == "processing" || status == "pending_review" ||
         status == "approved" || status == "rejected" || status == "archived";
}

// The review state a new or changed creative of `format_id` starts in: the
// tenant's auto_approve_formats are approved at once; the rest wait for a
// person when human_review_required, and are approved otherwise.
std::string InitialCreativeStatus(const tenant::v1::Tenant& tenant,
                                  const std::string& format_id) {
  const auto& engine = tenant.config().creative_engine();
  for (const std::string& format : engine.auto_approve_formats())
    if (format == format_id) return "approved";
  return engine.human_review_required() ? "pending_review" : "approved";
}

std::vector<std::string> TagsOf(const CreativeRow& row) {
  return StringList(row.extra.value("tags", nlohmann::json::array()));
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

// One creative of a sync request, checked: the row it would store.
absl::Status UnknownFormat(const std::string& field, const pb::FormatId& id) {
  return AdcpError(
      "VALIDATION_ERROR", field + ".format_id",
      absl::StrCat(field, ".format_id: format '", id.id(), "' of ",
                   id.agent_url(), " is not accepted by this seller"),
      "list the accepted formats with list_creative_formats");
}

absl::StatusOr<CreativeRow> CreativeFromRequest(const pb::CreativeAsset& in,
                                                const std::string& field,
                                                const FormatCatalog& formats,
                                                bool allow_http) {
  RETURN_IF_ERROR(ValidateId(field + ".creative_id", in.creative_id()));
  if (in.name().empty()) return InvalidField(field + ".name", "is required");
  if (in.name().size() > 255)
    return InvalidField(field + ".name", "must be at most 255 characters");
  if (!in.has_format_id())
    return InvalidField(field + ".format_id", "is required");
  RETURN_IF_ERROR(ValidateFormatId(field + ".format_id", in.format_id()));
  // A format id of ours under another agent URL is accepted only for a
  // creative already in the library with that format (SyncCreatives checks).
  const bool ours_by_id =
      formats.Find(formats.Id(in.format_id().id())) != nullptr;
  if (formats.Find(in.format_id()) == nullptr && !ours_by_id) {
    return UnknownFormat(field, in.format_id());
  }
  if (!in.has_assets() || in.assets().fields().empty())
    return InvalidField(field + ".assets", "must contain at least one asset");
  for (const auto& [asset_id, asset] : in.assets().fields()) {
    const std::string asset_field = absl::StrCat(field, ".assets.", asset_id);
    if (asset_id.empty() || asset_id.size() > 64 ||
        !std::all_of(asset_id.begin(), asset_id.end(), [](char c) {
          return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
        })) {
      return InvalidField(asset_field, "asset ids must match ^[a-z0-9_]+$");
    }
    if (!asset.has_struct_value())
      return InvalidField(asset_field, "must be an object");
  }
  CreativeRow row;
  row.assets = StructToJson(in.assets());
  // Click-through, landing, tracker and media URLs go to the ad server.
  RETURN_IF_ERROR(
      ValidateCreativeUrls(field + ".assets", row.assets, allow_http));
  row.creative_id = in.creative_id();
  row.name = in.name();
  row.format_agent_url = in.format_id().agent_url();
  row.format_id = in.format_id().id();
  nlohmann::json tags = nlohmann::json::array();
  for (int t = 0; t < in.tags_size(); ++t) tags.push_back(in.tags(t));
  row.extra = {{"tags", tags}};
  return row;
}

struct AssignmentRequest {
  std::string creative_id;
  std::string package_id;
  std::string field;
};

// The request's assignments, each (creative, package) pair once: a
// repeated pair is made once.
absl::StatusOr<std::vector<AssignmentRequest>> AssignmentsOf(
    const pb::SyncCreativesRequest& request) {
  if (request.assignments_size() > kMaxAssignmentsPerSync)
    return InvalidField(
        "assignments",
        absl::StrCat("must contain at most ", kMaxAssignmentsPerSync,
                     " assignments (", request.assignments_size(), " given)"));
  std::vector<AssignmentRequest> out;
  std::set<std::pair<std::string, std::string>> seen;
  for (int i = 0; i < request.assignments_size(); ++i) {
    const std::string field = absl::StrCat("assignments[", i, "]");
    const nlohmann::json entry = StructToJson(request.assignments(i));
    AssignmentRequest assignment{.field = field};
    if (!entry.contains("creative_id") || !entry["creative_id"].is_string())
      return InvalidField(field + ".creative_id", "is required (a string)");
    if (!entry.contains("package_id") || !entry["package_id"].is_string())
      return InvalidField(field + ".package_id", "is required (a string)");
    assignment.creative_id = entry["creative_id"].get<std::string>();
    assignment.package_id = entry["package_id"].get<std::string>();
    RETURN_IF_ERROR(ValidateId(field + ".creative_id", assignment.creative_id));
    RETURN_IF_ERROR(ValidateId(field + ".package_id", assignment.package_id));
    if (entry.contains("weight") &&
        (!entry["weight"].is_number() || entry["weight"].get<double>() < 0 ||
         entry["weight"].get<double>() > 100))
      return InvalidField(field + ".weight", "must be a number from 0 to 100");
    if (!seen.emplace(assignment.creative_id, assignment.package_id).second)
      continue;
    out.push_back(std::move(assignment));
  }
  return out;
}

}  // namespace

grpc::Status MediaBuyService::SyncCreatives(
    grpc::ServerContext* context, const pb::SyncCreativesRequest* request,
    pb::SyncCreativesResponse* response) {
  return Serve(
      context, "SyncCreatives", true, [&](const Call& call_in) -> absl::Status {
        Call call = call_in;
        call.dry_run = call.dry_run || request->dry_run();
        RETURN_IF_ERROR(CheckMajorVersion(*request));
        RETURN_IF_ERROR(ValidateIdempotencyKey(request->idempotency_key()));
        if (!request->has_account())
          return InvalidField("account", "is required");
        const std::string& mode = request->validation_mode();
        if (!mode.empty() && mode != "strict" && mode != "lenient")
          return InvalidField("validation_mode", "must be strict or lenient");
        const bool lenient = mode == "lenient";
        if (request->creatives_size() == 0)
          return InvalidField("creatives",
                              "must contain at least one creative");
        if (request->creatives_size() > kMaxCreativesPerSync)
          return InvalidField("creatives",
                              absl::StrCat("must contain at most ",
                                           kMaxCreativesPerSync, " creatives"));
        ASSIGN_OR_RETURN(std::vector<AssignmentRequest> assignments,
                         AssignmentsOf(*request));
        // Checked creatives, or the error of each one that failed (lenient).
        std::vector<absl::StatusOr<CreativeRow>> checked;
        std::set<std::string> seen;
        for (int i = 0; i < request->creatives_size(); ++i) {
          const std::string field = absl::StrCat("creatives[", i, "]");
          absl::StatusOr<CreativeRow> row = CreativeFromRequest(
              request->creatives(i), field, formats_,
              /*allow_http=*/call.tenant->config().sandbox());
          if (row.ok() && !seen.insert(row->creative_id).second) {
            row = InvalidField(field + ".creative_id",
                               absl::StrCat("'", row->creative_id,
                                            "' appears more than once"));
          }
          if (!row.ok() && !lenient) return row.status();
          checked.push_back(std::move(row));
        }
        const std::string adapter_name =
            adapters_.SelectedName(call.config()).value_or("");
        // Assignments to live buys send creatives to the ad server: wait for
        // the tenant's slot before the transaction.
        if (!assignments.empty()) RETURN_IF_ERROR(ReserveAdServer(call));

        response->set_dry_run(call.dry_run);
        return Idempotently(
            call, "sync_creatives", *request, response,
            [&](pqxx::work& txn) -> absl::Status {
              ASSIGN_OR_RETURN(const std::string account_id,
                               ResolveAccount(txn, call, request->account()));
              // Assignments: each package must be one of this buyer's; each
              // creative one of this request's or already in the buyer's
              // library.
              std::map<std::string, std::vector<const AssignmentRequest*>>
                  by_creative;
              std::map<std::string, std::string> buy_of_package;
              for (const AssignmentRequest& assignment : assignments) {
                if (!buy_of_package.count(assignment.package_id)) {
                  auto buy =
                      Store::BuyOfPackage(txn, call.ctx.tenant_id,
                                          assignment.package_id, call.buyer());
                  if (!buy) {
                    return AdcpError("PACKAGE_NOT_FOUND",
                                     assignment.field + ".package_id",
                                     absl::StrCat(assignment.field,
                                                  ".package_id: no package '",
                                                  assignment.package_id, "'"),
                                     "read your packages with get_media_buys");
                  }
                  buy_of_package[assignment.package_id] = *buy;
                }
                if (!seen.count(assignment.creative_id) &&
                    !Store::Creative(txn, call.ctx.tenant_id,
                                     call.ctx.principal_id,
                                     assignment.creative_id)) {
                  return AdcpError("CREATIVE_NOT_FOUND",
                                   assignment.field + ".creative_id",
                                   absl::StrCat(assignment.field,
                                                ".creative_id: no creative '",
                                                assignment.creative_id, "'"),
                                   "include the creative in creatives[]");
                }
                by_creative[assignment.creative_id].push_back(&assignment);
              }
              nlohmann::json counts = nlohmann::json::object();
              std::set<std::string> touched_buys;
              for (size_t i = 0; i < checked.size(); ++i) {
                pb::SyncCreativeResult* result = response->add_creatives();
                result->set_creative_id(
                    request->creatives(static_cast<int>(i)).creative_id());
                if (!checked[i].ok()) {
                  result->set_action("failed");
                  *result->add_errors() = ErrorOf(checked[i].status());
                  counts["failed"] = counts.value("failed", 0) + 1;
                  continue;
                }
                CreativeRow row = *checked[i];
                row.principal_id = call.ctx.principal_id;
                if (!account_id.empty()) row.extra["account_id"] = account_id;
                std::optional<CreativeRow> existing =
                    Store::Creative(txn, call.ctx.tenant_id,
                                    call.ctx.principal_id, row.creative_id);
                pb::FormatId format;
                format.set_agent_url(row.format_agent_url);
                format.set_id(row.format_id);
                if (formats_.Find(format) == nullptr) {
                  // Our format id under another agent URL: the library's
                  // creative of that format, referenced again.
                  if (existing && existing->format_id == row.format_id) {
                    row.format_agent_url = existing->format_agent_url;
                  } else if (call.tenant->config().sandbox()) {
                    // Conformance kits name a placeholder creative agent;
                    // a sandbox tenant takes our format of that id.
                    row.format_agent_url = formats_.agent_url();
                  } else {
                    const absl::Status unknown = UnknownFormat(
                        absl::StrCat("creatives[", i, "]"), format);
                    if (!lenient) return unknown;
                    result->set_action("failed");
                    *result->add_errors() = ErrorOf(unknown);
                    counts["failed"] = counts.value("failed", 0) + 1;
                    continue;
                  }
                }
                std::string action = "created";
                if (existing) {
                  const bool content_same =
                      existing->format_agent_url == row.format_agent_url &&
                      existing->format_id == row.format_id &&
                      existing->assets == row.assets;
                  const bool same = content_same &&
                                    existing->name == row.name &&
                                    TagsOf(*existing) == TagsOf(row) &&
                                    existing->status != "archived";
                  action = same ? "unchanged" : "updated";
                  if (content_same && existing->status != "archived") {
                    // Renaming or retagging keeps the review state.
                    row.status = existing->status;
                    row.rejection_reason = existing->rejection_reason;
                  }
                  row.platform_id = existing->platform_id;
                  if (action == "updated") {
                    if (existing->name != row.name)
                      result->add_warnings("name changed");
                  }
                }
                if (row.status.empty())
                  row.status =
                      InitialCreativeStatus(*call.tenant, row.format_id);
                if (action != "unchanged")
                  Store::UpsertCreative(txn, call.ctx.tenant_id, row);
                if (action == "created") {
                  for (const auto& [package_id, media_buy_id] :
                       Store::BindHeldAssignments(txn, call.ctx.tenant_id,
                                                  call.ctx.principal_id,
                                                  row.creative_id)) {
                    result->add_assigned_to(package_id);
                    touched_buys.insert(media_buy_id);
                  }
                }
                if (row.status == "pending_review") {
                  TaskRow task{.task_id = NewId("task_"),
                               .principal_id = call.ctx.principal_id,
                               .task_type = "creative_review",
                               .creative_id = row.creative_id,
                               .summary = absl::StrCat("Review creative ",
                                                       row.creative_id, " (",
                                                       row.format_id, ") of ",
                                                       call.ctx.principal_id)};
                  Store::InsertTask(txn, call.ctx.tenant_id, task);
                }
                for (const AssignmentRequest* assignment :
                     by_creative[row.creative_id]) {
                  Store::Assign(txn, call.ctx.tenant_id, call.ctx.principal_id,
                                row.creative_id, assignment->package_id);
                  result->add_assigned_to(assignment->package_id);
                  touched_buys.insert(buy_of_package[assignment->package_id]);
                }
                result->set_action(action);
                result->set_status(row.status);
                if (!row.platform_id.empty())
                  result->set_platform_id(row.platform_id);
                counts[action] = counts.value(action, 0) + 1;
              }
              // Assignments of creatives already in the library (not in this
              // sync).
              for (const auto& [creative_id, list] : by_creative) {
                if (seen.count(creative_id)) continue;
                for (const AssignmentRequest* assignment : list) {
                  Store::Assign(txn, call.ctx.tenant_id, call.ctx.principal_id,
                                creative_id, assignment->package_id);
                  touched_buys.insert(buy_of_package[assignment->package_id]);
                }
              }
              // Approved creatives go to the ad server of each live buy they
              // serve.
              for (const std::string& media_buy_id : touched_buys) {
                RETURN_IF_ERROR(PushCreatives(txn, call, media_buy_id));
              }
              for (int i = 0; i < response->creatives_size(); ++i) {
                pb::SyncCreativeResult* result = response->mutable_creatives(i);
                if (result->action() == "failed") continue;
                auto stored = Store::Creative(txn, call.ctx.tenant_id,
                                              call.ctx.principal_id,
                                              result->creative_id());
                if (stored && !stored->platform_id.empty())
                  result->set_platform_id(stored->platform_id);
              }
              Store::Audit(txn, call.ctx.tenant_id, "sync_creatives",
                           call.ctx.principal_id, adapter_name,
                           {{"creatives", request->creatives_size()},
                            {"assignments", assignments.size()},
                            {"actions", counts},
                            {"dry_run", call.dry_run}});
              return absl::OkStatus();
            });
      });
}

absl::Status MediaBuyService::PushCreatives(pqxx::work& txn, const Call& call,
                                            const std::string& media_buy_id) {
  std::optional<BuyRow> buy =
      Store::Buy(txn, call.ctx.tenant_id, media_buy_id, {"", true}, false);
  // Only live orders take creatives.
  if (!buy || !Placed(*buy) || buy->status == "canceled" ||
      buy->status == "rejected" || options_.clock() >= buy->end_time)
    return absl::OkStatus();
  std::map<std::string, AdapterCreative> pending;
  std::map<std::string, CreativeRow> rows;
  for (const AssignmentRow& assignment :
       Store::AssignmentsOfBuy(txn, call.ctx.tenant_id, media_buy_id)) {
    auto creative = Store::Creative(txn, call.ctx.tenant_id, buy->principal_id,
                                    assignment.creative_id);
    if (!creative || creative->status != "approved") continue;
    // Stored before URLs were checked, or seeded: never sent as it is.
    if (absl::Status urls = ValidateCreativeUrls(
            "assets", creative->assets, call.tenant->config().sandbox());
        !urls.ok()) {
      log::Warn("creative not sent to the ad server: a URL is refused",
                {{"media_buy_id", media_buy_id},
                 {"creative_id", creative->creative_id},
                 {"error", std::string(urls.message())}});
      continue;
    }
    AdapterCreative& out = pending[creative->creative_id];
    out.creative_id = creative->creative_id;
    out.name = creative->name;
    out.format_id = creative->format_id;
    out.assets = creative->assets;
    out.platform_id = creative->platform_id;
    out.package_ids.push_back(assignment.package_id);
    rows[creative->creative_id] = *creative;
  }
  if (pending.empty()) return absl::OkStatus();
  std::vector<AdapterCreative> creatives;
  for (auto& [id, creative] : pending) creatives.push_back(std::move(creative));
  ASSIGN_OR_RETURN(auto adapter, Adapter(call, *buy));
  std::map<std::string, std::string> uploaded;
  const absl::Status pushed = adapter->AddCreatives(
      ToAdapterBuy(call.ctx.tenant_id, *buy), creatives, uploaded);
  // The ids of what the ad server has are kept even when a later creative
  // failed (in the callers that commit anyway), so none is uploaded twice.
  for (const auto& [creative_id, platform_id] : uploaded) {
    auto row = rows.find(creative_id);
    if (row == rows.end() || row->second.platform_id == platform_id) continue;
    row->second.platform_id = platform_id;
    Store::UpsertCreative(txn, call.ctx.tenant_id, row->second);
  }
  if (!pushed.ok()) {
    return AdServerFailure(
        pushed,
        absl::StrCat("media buy ", media_buy_id,
                     ": the ad server did not take the creatives"),
        "send sync_creatives again to retry");
  }
  return absl::OkStatus();
}

grpc::Status MediaBuyService::ListCreatives(
    grpc::ServerContext* context, const pb::ListCreativesRequest* request,
    pb::ListCreativesResponse* response) {
  return Serve(
      context, "ListCreatives", false, [&](const Call& call) -> absl::Status {
        RETURN_IF_ERROR(CheckMajorVersion(*request));
        ASSIGN_OR_RETURN(const int limit, PageSize(request->pagination()));
        const nlohmann::json filters = StructToJson(request->filters());
        std::vector<std::string> applied;
        std::set<std::string> statuses, ids, packages, buys, tags_all, tags_any;
        auto list = [&](const char* key,
                        std::set<std::string>& into) -> absl::Status {
          if (!filters.contains(key)) return absl::OkStatus();
          const std::string field = absl::StrCat("filters.", key);
          if (!filters[key].is_array() || filters[key].empty())
            return InvalidField(field, "must be a non-empty array of strings");
          // AdCP's maxItems of filters.creative_ids, for every list.
          if (filters[key].size() > static_cast<size_t>(kMaxFilterValues))
            return InvalidField(
                field, absl::StrCat("must contain at most ", kMaxFilterValues,
                                    " values"));
          for (const auto& item : filters[key]) {
            if (!item.is_string())
              return InvalidField(field, "must contain strings");
            into.insert(item.get<std::string>());
          }
          applied.push_back(key);
          return absl::OkStatus();
        };
        RETURN_IF_ERROR(list("statuses", statuses));
        for (const std::string& status : statuses)
          if (!IsCreativeStatus(status))
            return InvalidField(
                "filters.statuses",
                absl::StrCat("'", status, "' is not a creative status"));
        RETURN_IF_ERROR(list("creative_ids", ids));
        RETURN_IF_ERROR(list("assigned_to_packages", packages));
        RETURN_IF_ERROR(list("media_buy_ids", buys));
        RETURN_IF_ERROR(list("tags", tags_all));
        RETURN_IF_ERROR(list("tags_any", tags_any));
        std::string name_contains;
        if (filters.contains("name_contains")) {
          if (!filters["name_contains"].is_string())
            return InvalidField("filters.name_contains", "must be a string");
          name_contains = absl::AsciiStrToLower(
              filters["name_contains"].get<std::string>());
          applied.push_back("name_contains");
        }
        std::optional<bool> unassigned;
        if (filters.contains("unassigned")) {
          if (!filters["unassigned"].is_boolean())
            return InvalidField("filters.unassigned", "must be a boolean");
          unassigned = filters["unassigned"].get<bool>();
          applied.push_back("unassigned");
        }
        std::optional<absl::Time> created_after, created_before, updated_after,
            updated_before;
        for (auto [key, into] :
             {std::pair{"created_after", &created_after},
              std::pair{"created_before", &created_before},
              std::pair{"updated_after", &updated_after},
              std::pair{"updated_before", &updated_before}}) {
          if (!filters.contains(key)) continue;
          const std::string field = absl::StrCat("filters.", key);
          if (!filters[key].is_string())
            return InvalidField(field, "must be an RFC 3339 date-time");
          ASSIGN_OR_RETURN(*into,
                           ParseTime(field, filters[key].get<std::string>()));
          applied.push_back(key);
        }
        size_t offset = 0;
        if (!request->pagination().cursor().empty()) {
          ASSIGN_OR_RETURN(offset,
                           ParseOffsetCursor(request->pagination().cursor()));
        }
        const bool include_assignments = !request->has_include_assignments() ||
                                         request->include_assignments();
        return pool_.WithTenantTransaction(
            call.ctx.tenant_id, [&](pqxx::work& txn) -> absl::Status {
              if (request->has_account()) {
                // An account_id must be one of the caller's; a natural key may
                // be new.
                if (!request->account().account_id().empty()) {
                  auto account = Store::AccountById(
                      txn, call.ctx.tenant_id, request->account().account_id());
                  if (!account ||
                      account->principal_id != call.ctx.principal_id)
                    return AdcpError("ACCOUNT_NOT_FOUND", "account.account_id",
                                     "account.account_id: no such account",
                                     "list your accounts with list_accounts");
                }
              }
              std::vector<std::pair<CreativeRow, std::vector<AssignmentRow>>>
                  matching;
              nlohmann::json status_summary = nlohmann::json::object();
              std::string after;
              constexpr int kChunk = 500;
              while (true) {
                std::vector<CreativeRow> chunk =
                    Store::Creatives(txn, call.ctx.tenant_id,
                                     call.ctx.principal_id, kChunk, after);
                for (CreativeRow& row : chunk) {
                  after = row.creative_id;
                  if (!statuses.empty() && !statuses.count(row.status))
                    continue;
                  if (!ids.empty() && !ids.count(row.creative_id)) continue;
                  if (!name_contains.empty() &&
                      !absl::StrContains(absl::AsciiStrToLower(row.name),
                                         name_contains))
                    continue;
                  const std::vector<std::string> tags = TagsOf(row);
                  const std::set<std::string> tag_set(tags.begin(), tags.end());
                  if (!std::all_of(tags_all.begin(), tags_all.end(),
                                   [&](const std::string& t) {
                                     return tag_set.count(t) > 0;
                                   }))
                    continue;
                  if (!tags_any.empty() &&
                      std::none_of(tags_any.begin(), tags_any.end(),
                                   [&](const std::string& t) {
                                     return tag_set.count(t) > 0;
                                   }))
                    continue;
                  if (created_after && row.created_at <= *created_after)
                    continue;
                  if (created_before && row.created_at >= *created_before)
                    continue;
                  if (updated_after && row.updated_at <= *updated_after)
                    continue;
                  if (updated_before && row.updated_at >= *updated_before)
                    continue;
                  std::vector<AssignmentRow> assigned =
                      Store::AssignmentsOfCreative(txn, call.ctx.tenant_id,
                                                   call.ctx.principal_id,
                                                   row.creative_id);
                  if (unassigned && *unassigned != assigned.empty()) continue;
                  if (!packages.empty() &&
                      std::none_of(assigned.begin(), assigned.end(),
                                   [&](const AssignmentRow& a) {
                                     return packages.count(a.package_id) > 0;
                                   }))
                    continue;
                  if (!buys.empty() &&
                      std::none_of(assigned.begin(), assigned.end(),
                                   [&](const AssignmentRow& a) {
                                     return buys.count(a.media_buy_id) > 0;
                                   }))
                    continue;
                  status_summary[row.status] =
                      status_summary.value(row.status, 0) + 1;
                  matching.emplace_back(std::move(row), std::move(assigned));
                }
                if (static_cast<int>(chunk.size()) < kChunk) break;
              }
              // Newest first (created_date desc), ties by id.
              std::stable_sort(matching.begin(), matching.end(),
                               [](const auto& a, const auto& b) {
                                 return a.first.created_at > b.first.created_at;
                               });
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
                   {"filters_applied", applied},
                   {"sort_applied",
                    {{"field", "created_date"}, {"direction", "desc"}}}});
              *response->mutable_status_summary() =
                  JsonToStruct(status_summary);
              *response->mutable_context() = request->context();
              return absl::OkStatus();
            });
      });
}

// ------------------------------------------------- performance feedback --

grpc::Status MediaBuyService::ProvidePerformanceFeedback(
    grpc::ServerContext* context,
    const pb::ProvidePerformanceFeedbackRequest* request,
    pb::ProvidePerformanceFeedbackResponse* response) {
  return Serve(
      context, "ProvidePerformanceFeedback", true,
      [&](const Call& call) -> absl::Status {
        RETURN_IF_ERROR(CheckMajorVersion(*request));
        RETURN_IF_ERROR(ValidateIdempotencyKey(request->idempotency_key()));
        RETURN_IF_ERROR(ValidateId("media_buy_id", request->media_buy_id()));
        if (!request->has_measurement_period())
          return InvalidField("measurement_period", "is required");
        ASSIGN_OR_RETURN(const absl::Time start,
                         ParseTime("measurement_period.start",
                                   request->measurement_period().start()));
        ASSIGN_OR_RETURN(const absl::Time end,
                         ParseTime("measurement_period.end",
                                   request->measurement_period().end()));
        if (end < start)
          return InvalidField("measurement_period.end",
                              "must not be before start");
        const double index = request->performance_index();
        if (!std::isfinite(index) || index < 0 || index >= 1e6)
          return InvalidField("performance_index",
                              "must be a number from 0 to below 1000000");
        static const std::set<std::string> kMetrics = {
            "overall_performance", "conversion_rate", "brand_lift",
            "click_through_rate",  "completion_rate", "viewability",
            "brand_safety",        "cost_efficiency"};
        static const std::set<std::string> kSources = {
            "buyer_attribution", "third_party_measurement",
            "platform_analytics", "verification_partner"};
        const std::string metric = request->metric_type().empty()
                                       ? "overall_performance"
                                       : request->metric_type();
        const std::string source = request->feedback_source().empty()
                                       ? "buyer_attribution"
                                       : request->feedback_source();
        if (!kMetrics.count(metric))
          return InvalidField(
              "metric_type",
              absl::StrCat("must be one of ", absl::StrJoin(kMetrics, ", ")));
        if (!kSources.count(source))
          return InvalidField(
              "feedback_source",
              absl::StrCat("must be one of ", absl::StrJoin(kSources, ", ")));
        if (!request->package_id().empty())
          RETURN_IF_ERROR(ValidateId("package_id", request->package_id()));
        if (!request->creative_id().empty())
          RETURN_IF_ERROR(ValidateId("creative_id", request->creative_id()));
        return Idempotently(
            call, "provide_performance_feedback", *request, response,
            [&](pqxx::work& txn) -> absl::Status {
              auto buy =
                  Store::Buy(txn, call.ctx.tenant_id, request->media_buy_id(),
                             call.buyer(), false);
              if (!buy) return MediaBuyNotFound("media_buy_id");
              if (!request->package_id().empty() &&
                  std::none_of(buy->packages.begin(), buy->packages.end(),
                               [&](const PackageRow& p) {
                                 return p.package_id == request->package_id();
                               })) {
                return AdcpError(
                    "PACKAGE_NOT_FOUND", "package_id",
                    absl::StrCat("package_id: no package '",
                                 request->package_id(), "' in this media buy"));
              }
              if (!request->creative_id().empty() &&
                  !Store::Creative(txn, call.ctx.tenant_id,
                                   call.ctx.principal_id,
                                   request->creative_id())) {
                return AdcpError("CREATIVE_NOT_FOUND", "creative_id",
                                 absl::StrCat("creative_id: no creative '",
                                              request->creative_id(), "'"));
              }
              Store::InsertFeedback(
                  txn, call.ctx.tenant_id, buy->media_buy_id,
                  call.ctx.principal_id, request->package_id(),
                  request->creative_id(), absl::StrFormat("%.6f", index),
                  metric, source, start, end);
              Store::Audit(txn, call.ctx.tenant_id,
                           "provide_performance_feedback",
                           call.ctx.principal_id, buy->adapter,
                           {{"media_buy_id", buy->media_buy_id},
                            {"performance_index", index},
                            {"metric_type", metric},
                            {"feedback_source", source}});
              response->set_success(true);
              return absl::OkStatus();
            });
      });
}

// ------------------------------------------------------------- accounts --

namespace {}  // namespace

grpc::Status MediaBuyService::SyncAccounts(
    grpc::ServerContext* context, const pb::SyncAccountsRequest* request,
    pb::SyncAccountsResponse* response) {
  return Serve(
      context, "SyncAccounts", true, [&](const Call& call_in) -> absl::Status {
        Call call = call_in;
        call.dry_run = call.dry_run || request->dry_run();
        RETURN_IF_ERROR(CheckMajorVersion(*request));
        RETURN_IF_ERROR(ValidateIdempotencyKey(request->idempotency_key()));
        if (request->accounts_size() == 0)
          return InvalidField("accounts", "must contain at least one account");
        if (request->accounts_size() > 100)
          return InvalidField("accounts", "must contain at most 100 accounts");
        std::vector<AccountRow> wanted;
        for (int i = 0; i < request->accounts_size(); ++i) {
          const pb::AccountRequest& in = request->accounts(i);
          const std::string field = absl::StrCat("accounts[", i, "]");
          RETURN_IF_ERROR(
              ValidateDomain(field + ".brand.domain", in.brand().domain()));
          RETURN_IF_ERROR(ValidateDomain(field + ".operator", in.operator_()));
          if (in.brand().brand_id().size() > 255)
            return InvalidField(field + ".brand.brand_id",
                                "must be at most 255 characters");
          const std::string& billing = in.billing();
          if (billing.empty())
            return InvalidField(field + ".billing", "is required");
          if (billing != "operator" && billing != "agent" &&
              billing != "advertiser")
            return InvalidField(field + ".billing",
                                "must be one of operator, agent, advertiser");
          AccountRow row{
              .principal_id = call.ctx.principal_id,
              .brand_domain = absl::AsciiStrToLower(in.brand().domain()),
              .brand_id = in.brand().brand_id(),
              .operator_domain = absl::AsciiStrToLower(in.operator_()),
              .billing = billing,
              .status = "active",
              .sandbox = in.sandbox()};
          row.name =
              absl::StrCat(row.brand_domain, " via ", row.operator_domain);
          for (const AccountRow& other : wanted) {
            if (other.brand_domain == row.brand_domain &&
                other.brand_id == row.brand_id &&
                other.operator_domain == row.operator_domain)
              return InvalidField(
                  field,
                  "repeats an earlier account (same brand and operator)");
          }
          wanted.push_back(std::move(row));
        }
        response->set_dry_run(call.dry_run);
        return Idempotently(
            call, "sync_accounts", *request, response,
            [&](pqxx::work& txn) -> absl::Status {
              nlohmann::json actions = nlohmann::json::array();
              for (AccountRow& row : wanted) {
                std::string action = "created";
                if (auto existing =
                        Store::AccountByKey(txn, call.ctx.tenant_id, row)) {
                  const bool same = existing->billing == row.billing &&
                                    existing->sandbox == row.sandbox;
                  action = same ? "unchanged" : "updated";
                  row.account_id = existing->account_id;
                  row.name = existing->name;
                  row.status = existing->status;
                  if (!same) Store::UpdateAccount(txn, call.ctx.tenant_id, row);
                } else {
                  row.account_id = NewId("acct_");
                  Store::InsertAccount(txn, call.ctx.tenant_id, row);
                }
                pb::SyncAccountResult* result = response->add_accounts();
                result->set_account_id(row.account_id);
                result->mutable_brand()->set_domain(row.brand_domain);
                if (!row.brand_id.empty())
                  result->mutable_brand()->set_brand_id(row.brand_id);
                result->set_operator_(row.operator_domain);
                result->set_name(row.name);
                result->set_action(action);
                result->set_status(row.status);
                result->set_billing(row.billing);
                if (row.sandbox) result->set_sandbox(true);
                actions.push_back(
                    {{"account_id", row.account_id}, {"action", action}});
              }
              Store::Audit(txn, call.ctx.tenant_id, "sync_accounts",
                           call.ctx.principal_id, "",
                           {{"accounts", actions}, {"dry_run", call.dry_run}});
              return absl::OkStatus();
            });
      });
}

grpc::Status MediaBuyService::ListAccounts(
    grpc::ServerContext* context, const pb::ListAccountsRequest* request,
    pb::ListAccountsResponse* response) {
  return Serve(
      context, "ListAccounts", false, [&](const Call& call) -> absl::Status {
        RETURN_IF_ERROR(CheckMajorVersion(*request));
        ASSIGN_OR_RETURN(const int limit, PageSize(request->pagination()));
        size_t offset = 0;
        if (!request->pagination().cursor().empty()) {
          ASSIGN_OR_RETURN(offset,
                           ParseOffsetCursor(request->pagination().cursor()));
        }
        static const std::set<std::string> kStatuses = {
            "active",           "pending_approval", "rejected",
            "payment_required", "suspended",        "closed"};
        if (!request->status().empty() && !kStatuses.count(request->status()))
          return InvalidField(
              "status",
              absl::StrCat("must be one of ", absl::StrJoin(kStatuses, ", ")));
        return pool_.WithTenantTransaction(
            call.ctx.tenant_id, [&](pqxx::work& txn) {
              std::vector<AccountRow> rows =
                  Store::Accounts(txn, call.ctx.tenant_id, call.buyer());
              std::vector<const AccountRow*> matching;
              for (const AccountRow& row : rows)
                if (request->status().empty() ||
                    row.status == request->status())
                  matching.push_back(&row);
              size_t i = offset;
              for (; i < matching.size() &&
                     i < offset + static_cast<size_t>(limit);
                   ++i)
                *response->add_accounts() = AccountToProto(*matching[i]);
              response->mutable_pagination()->set_has_more(i < matching.size());
              if (i < matching.size())
                response->mutable_pagination()->set_cursor(absl::StrCat(i));
              *response->mutable_context() = request->context();
              return absl::OkStatus();
            });
      });
}

// ---------------------------------------------------------- human tasks --

namespace {

pb::HumanTask TaskToProto(const TaskRow& row) {
  pb::HumanTask out;
  out.set_task_id(row.task_id);
  out.set_task_type(row.task_type);
  out.set_status(row.status);
  out.set_principal_id(row.principal_id);
  out.set_media_buy_id(row.media_buy_id);
  out.set_creative_id(row.creative_id);
  out.set_summary(row.summary);
  out.set_resolution(row.resolution);
  out.set_resolved_by(row.resolved_by);
  out.set_created_at(Rfc3339(row.created_at));
  if (row.resolved_at) out.set_resolved_at(Rfc3339(*row.resolved_at));
  return out;
}

absl::Status TaskNotFound() {
  return AdcpError("REFERENCE_NOT_FOUND", "task_id", "task_id: no such task",
                   "list the tasks with ListHumanTasks");
}

}  // namespace

grpc::Status MediaBuyService::ListHumanTasks(
    grpc::ServerContext* context, const pb::ListHumanTasksRequest* request,
    pb::ListHumanTasksResponse* response) {
  return Serve(
      context, "ListHumanTasks", false, [&](const Call& call) -> absl::Status {
        const std::string& status = request->status();
        if (!status.empty() && status != "pending" && status != "approved" &&
            status != "rejected" && status != "failed")
          return InvalidField(
              "status", "must be one of pending, approved, rejected, failed");
        if (request->page_size() < 0 || request->page_size() > kMaxPageSize)
          return InvalidField("page_size",
                              absl::StrCat("must be 0-", kMaxPageSize));
        const int limit =
            request->page_size() == 0 ? kDefaultPageSize : request->page_size();
        if (!request->page_token().empty())
          RETURN_IF_ERROR(ValidateId("page_token", request->page_token()));
        return pool_.WithTenantTransaction(
            call.ctx.tenant_id, [&](pqxx::work& txn) {
              std::vector<TaskRow> rows =
                  Store::Tasks(txn, call.ctx.tenant_id, call.reader(), status,
                               limit + 1, request->page_token());
              const bool more = static_cast<int>(rows.size()) > limit;
              if (more) rows.resize(static_cast<size_t>(limit));
              for (const TaskRow& row : rows)
                *response->add_tasks() = TaskToProto(row);
              if (more) response->set_next_page_token(rows.back().task_id);
              return absl::OkStatus();
            });
      });
}

grpc::Status MediaBuyService::GetHumanTask(
    grpc::ServerContext* context, const pb::GetHumanTaskRequest* request,
    pb::HumanTask* response) {
  return Serve(
      context, "GetHumanTask", false, [&](const Call& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateId("task_id", request->task_id()));
        return pool_.WithTenantTransaction(
            call.ctx.tenant_id, [&](pqxx::work& txn) -> absl::Status {
              auto task = Store::Task(txn, call.ctx.tenant_id,
                                      request->task_id(), call.reader(), false);
              if (!task) return TaskNotFound();
              *response = TaskToProto(*task);
              return absl::OkStatus();
            });
      });
}

grpc::Status MediaBuyService::ApproveHumanTask(
    grpc::ServerContext* context, const pb::ResolveHumanTaskRequest* request,
    pb::HumanTask* response) {
  return Serve(context, "ApproveHumanTask", true, [&](const Call& call) {
    return ResolveTask(call, *request, /*approve=*/true, response);
  });
}

grpc::Status MediaBuyService::RejectHumanTask(
    grpc::ServerContext* context, const pb::ResolveHumanTaskRequest* request,
    pb::HumanTask* response) {
  return Serve(context, "RejectHumanTask", true, [&](const Call& call) {
    return ResolveTask(call, *request, /*approve=*/false, response);
  });
}

absl::Status MediaBuyService::ResolveTask(
    const Call& call, const pb::ResolveHumanTaskRequest& request, bool approve,
    pb::HumanTask* response) {
  RETURN_IF_ERROR(ValidateId("task_id", request.task_id()));
  if (!approve && request.reason().empty())
    return InvalidField("reason", "is required to reject");
  if (request.reason().size() > 2000)
    return InvalidField("reason", "must be at most 2000 characters");
  const Reader admin{call.ctx.principal_id, true};
  const std::string resolver =
      call.ctx.principal_id.empty() ? "system_admin" : call.ctx.principal_id;
  // Approving calls the ad server: wait for the tenant's slot before the
  // transaction takes a database connection.
  if (approve) RETURN_IF_ERROR(ReserveAdServer(call));
  // The ad server's failure to take an approved buy, reported once what it
  // created is committed (the task stays pending: approving again resumes).
  absl::Status placement;
  absl::Status outcome;
  outcome = InTransaction(call, [&](pqxx::work& txn) -> absl::Status {
    auto task = Store::Task(txn, call.ctx.tenant_id, request.task_id(), admin,
                            /*for_update=*/true);
    if (!task) return TaskNotFound();
    if (task->status != "pending") {
      return AdcpError(
          "INVALID_STATE", "task_id",
          absl::StrCat("task_id: the task is already ", task->status));
    }
    nlohmann::json details = {{"task_id", task->task_id},
                              {"task_type", task->task_type},
                              {"buyer", task->principal_id},
                              {"dry_run", call.dry_run}};
    std::string adapter_name;
    // The object moved on without the task (e.g. the creative was re-synced
    // and approved): the task is closed as failed, saying why.
    std::string stale;
    const absl::Time now = options_.clock();
    if (task->task_type == "media_buy_approval") {
      auto buy = Store::Buy(txn, call.ctx.tenant_id, task->media_buy_id, admin,
                            /*for_update=*/true);
      if (!buy) return TaskNotFound();
      adapter_name = buy->adapter;
      details["media_buy_id"] = buy->media_buy_id;
      if (buy->status != "pending_approval") {
        stale = absl::StrCat("the media buy is ", buy->status,
                             ", no longer awaiting approval");
      } else if (approve && now >= buy->end_time) {
        return AdcpError("INVALID_STATE", "task_id",
                         "task_id: the media buy's flight ended before it was "
                         "approved; reject it instead");
      } else if (approve) {
        // A flight that should have started already starts now.
        const absl::Time requested_start = buy->start_time;
        if (buy->start_time < now) buy->start_time = now;
        buy->status = "active";
        buy->revision += 1;
        placement = PlaceStoredOrder(txn, call, *buy);
        if (!placement.ok()) {
          buy->status = "pending_approval";
          buy->revision -= 1;
          buy->start_time = requested_start;
          Store::UpdateBuy(txn, call.ctx.tenant_id, *buy);
          details["ad_server_error"] = std::string(placement.message());
          Store::Audit(txn, call.ctx.tenant_id, "approve_human_task",
                       call.ctx.principal_id, adapter_name, details);
          return absl::OkStatus();
        }
        details["order_id"] = buy->order_id;
        PushCreativesBestEffort(txn, call, buy->media_buy_id);
      } else {
        buy->status = "rejected";
        buy->rejection_reason = request.reason();
        buy->revision += 1;
        Store::UpdateBuy(txn, call.ctx.tenant_id, *buy);
      }
    } else {
      auto creative = Store::Creative(txn, call.ctx.tenant_id,
                                      task->principal_id, task->creative_id);
      if (!creative) return TaskNotFound();
      details["creative_id"] = creative->creative_id;
      if (creative->status != "pending_review") {
        stale = absl::StrCat("the creative is ", creative->status,
                             ", no longer awaiting review");
      } else {
        creative->status = approve ? "approved" : "rejected";
        creative->rejection_reason = approve ? "" : request.reason();
        Store::UpsertCreative(txn, call.ctx.tenant_id, *creative);
        if (approve) {
          std::set<std::string> buys;
          for (const AssignmentRow& assignment : Store::AssignmentsOfCreative(
                   txn, call.ctx.tenant_id, task->principal_id,
                   task->creative_id))
            buys.insert(assignment.media_buy_id);
          for (const std::string& media_buy_id : buys)
            PushCreativesBestEffort(txn, call, media_buy_id);
        }
      }
    }
    // A task whose object moved on meanwhile fails, saying why.
    const bool failed = !stale.empty();
    task->status = failed ? "failed" : approve ? "approved" : "rejected";
    task->resolution = failed ? stale : request.reason();
    task->resolved_by = resolver;
    Store::ResolveTask(txn, call.ctx.tenant_id, *task);
    if (failed) details["failed"] = stale;
    Store::Audit(txn, call.ctx.tenant_id,
                 approve ? "approve_human_task" : "reject_human_task",
                 call.ctx.principal_id, adapter_name, details);
    auto resolved =
        Store::Task(txn, call.ctx.tenant_id, task->task_id, admin, false);
    *response = TaskToProto(resolved ? *resolved : *task);
    return absl::OkStatus();
  });
  if (outcome.ok() && !placement.ok()) return placement;
  return outcome;
}

}  // namespace adcp::media_buy
