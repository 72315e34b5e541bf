#include "services/tenant-registry/tenant_registry_service.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/base/log.h"
#include "libs/base/pagination.h"
#include "libs/tenancy/tenant_config.h"
#include "services/tenant-registry/tenant_validation.h"

namespace adcp::tenant_registry {
namespace {

constexpr int kSnapshotPageSize = 500;

std::string Actor(const CallContext& call) {
  return call.principal_id.empty() ? "system" : call.principal_id;
}

bool IsAuditId(const std::string& key) {
  int64_t id = 0;
  return absl::SimpleAtoi(key, &id) && id > 0;
}

bool IsTenantId(const std::string& key) {
  return ValidateTenantId("", key).ok();
}

// Validates a configuration document as a whole, returning it as stored.
absl::StatusOr<nlohmann::json> ValidatedDocument(nlohmann::json document) {
  RETURN_IF_ERROR(ParseConfigDocument(document).status());
  return document;
}

bool SendEvent(grpc::ServerWriter<pb::TenantEvent>* writer,
               pb::TenantEvent::Kind kind, const Tenant* tenant) {
  pb::TenantEvent event;
  event.set_kind(kind);
  if (tenant != nullptr) *event.mutable_tenant() = *tenant;
  return writer->Write(event);
}

}  // namespace

const ServicePolicy& TenantRegistryService::Policy() {
  static const auto* policy = new ServicePolicy{
      {"CreateTenant", CallScope::kSystemAdmin},
      {"GetTenant", CallScope::kPlatform},
      {"ListTenants", CallScope::kPlatform},
      {"ResolveBySubdomain", CallScope::kPlatform},
      {"UpdateTenantConfig", CallScope::kSystemAdmin},
      {"SetTenantActive", CallScope::kSystemAdmin},
      {"UpdateTenant", CallScope::kSystemAdmin},
      {"CompleteInitialization", CallScope::kSystemAdmin},
      {"DeleteTenant", CallScope::kSystemAdmin},
      {"WatchTenants", CallScope::kPlatform},
      {"ListAuditEvents", CallScope::kSystemAdmin},
  };
  return *policy;
}

grpc::Status TenantRegistryService::CreateTenant(
    grpc::ServerContext* context, const pb::CreateTenantRequest* request,
    pb::Tenant* response) {
  return guard_.Run(
      context, "CreateTenant", [&](const CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateTenantId("tenant_id", request->tenant_id()));
        RETURN_IF_ERROR(ValidateName("name", request->name()));
        RETURN_IF_ERROR(ValidateSubdomain("subdomain", request->subdomain()));
        if (!request->virtual_host().empty()) {
          RETURN_IF_ERROR(
              ValidateVirtualHost("virtual_host", request->virtual_host()));
        }
        const std::string plan = request->billing_plan().empty()
                                     ? "standard"
                                     : request->billing_plan();
        RETURN_IF_ERROR(ValidateBillingPlan("billing_plan", plan));
        RETURN_IF_ERROR(ValidateBillingContact("billing_contact",
                                               request->billing_contact()));
        // Merging over {} drops the nulls a caller may send.
        ASSIGN_OR_RETURN(
            nlohmann::json config,
            ValidatedDocument(DeepMerge(nlohmann::json::object(),
                                        StructToJson(request->config()))));
        NewTenant tenant{
            .tenant_id = request->tenant_id(),
            .name = request->name(),
            .subdomain = request->subdomain(),
            .virtual_host = request->virtual_host(),
            .config = std::move(config),
            .billing_plan = plan,
            .billing_contact = request->billing_contact(),
            .pending_initialization = request->pending_initialization()};
        ASSIGN_OR_RETURN(*response, repository_.Create(tenant, Actor(call)));
        return absl::OkStatus();
      });
}

grpc::Status TenantRegistryService::GetTenant(
    grpc::ServerContext* context, const pb::GetTenantRequest* request,
    pb::Tenant* response) {
  return guard_.Run(
      context, "GetTenant", [&](const CallContext&) -> absl::Status {
        if (request->tenant_id().empty())
          return absl::InvalidArgumentError("tenant_id: required");
        ASSIGN_OR_RETURN(*response, repository_.Get(request->tenant_id()));
        return absl::OkStatus();
      });
}

grpc::Status TenantRegistryService::ListTenants(
    grpc::ServerContext* context, const pb::ListTenantsRequest* request,
    pb::ListTenantsResponse* response) {
  return guard_.Run(
      context, "ListTenants", [&](const CallContext&) -> absl::Status {
        ASSIGN_OR_RETURN(const int page_size, PageSize(request->page_size()));
        ASSIGN_OR_RETURN(const std::string after,
                         DecodePageToken(request->page_token(), &IsTenantId));
        // One extra row tells whether another page exists.
        ASSIGN_OR_RETURN(std::vector<Tenant> tenants,
                         repository_.List(after, page_size + 1));
        const bool more = static_cast<int>(tenants.size()) > page_size;
        if (more) tenants.pop_back();
        for (Tenant& tenant : tenants)
          *response->add_tenants() = std::move(tenant);
        if (more) {
          response->set_next_page_token(EncodePageToken(
              response->tenants(response->tenants_size() - 1).tenant_id()));
        }
        return absl::OkStatus();
      });
}

grpc::Status TenantRegistryService::ResolveBySubdomain(
    grpc::ServerContext* context, const pb::ResolveBySubdomainRequest* request,
    pb::Tenant* response) {
  return guard_.Run(
      context, "ResolveBySubdomain", [&](const CallContext&) -> absl::Status {
        const bool by_subdomain = !request->subdomain().empty();
        if (by_subdomain == !request->virtual_host().empty()) {
          return absl::InvalidArgumentError(
              "subdomain, virtual_host: set exactly one");
        }
        if (by_subdomain) {
          ASSIGN_OR_RETURN(*response,
                           repository_.FindBySubdomain(request->subdomain()));
        } else {
          ASSIGN_OR_RETURN(*response, repository_.FindByVirtualHost(
                                          request->virtual_host()));
        }
        return absl::OkStatus();
      });
}

grpc::Status TenantRegistryService::UpdateTenantConfig(
    grpc::ServerContext* context, const pb::UpdateTenantConfigRequest* request,
    pb::Tenant* response) {
  return guard_.Run(
      context, "UpdateTenantConfig",
      [&](const CallContext& call) -> absl::Status {
        if (request->tenant_id().empty())
          return absl::InvalidArgumentError("tenant_id: required");
        if (!request->has_config_patch()) {
          return absl::InvalidArgumentError("config_patch: required");
        }
        const nlohmann::json patch = StructToJson(request->config_patch());
        ASSIGN_OR_RETURN(*response, repository_.EditConfig(
                                        request->tenant_id(),
                                        [&](const nlohmann::json& current) {
                                          return ValidatedDocument(
                                              DeepMerge(current, patch));
                                        },
                                        Actor(call)));
        return absl::OkStatus();
      });
}

grpc::Status TenantRegistryService::CompleteInitialization(
    grpc::ServerContext* context,
    const pb::CompleteInitializationRequest* request, pb::Tenant* response) {
  return guard_.Run(
      context, "CompleteInitialization",
      [&](const CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateTenantId("tenant_id", request->tenant_id()));
        ASSIGN_OR_RETURN(*response, repository_.CompleteInitialization(
                                        request->tenant_id(), Actor(call)));
        return absl::OkStatus();
      });
}

grpc::Status TenantRegistryService::DeleteTenant(
    grpc::ServerContext* context, const pb::DeleteTenantRequest* request,
    pb::DeleteTenantResponse* response) {
  return guard_.Run(
      context, "DeleteTenant", [&](const CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(ValidateTenantId("tenant_id", request->tenant_id()));
        if (request->confirm_tenant_id() != request->tenant_id()) {
          return absl::InvalidArgumentError(
              "confirm_tenant_id: must repeat tenant_id to confirm the "
              "deletion");
        }
        ASSIGN_OR_RETURN(const auto deleted,
                         repository_.Purge(request->tenant_id(), Actor(call)));
        for (const auto& [table, rows] : deleted)
          (*response->mutable_deleted_rows())[table] = rows;
        log::Warn("tenant deleted",
                  {{"tenant_id", request->tenant_id()},
                   {"tables", static_cast<int64_t>(deleted.size())}});
        return absl::OkStatus();
      });
}

grpc::Status TenantRegistryService::SetTenantActive(
    grpc::ServerContext* context, const pb::SetTenantActiveRequest* request,
    pb::Tenant* response) {
  return guard_.Run(
      context, "SetTenantActive", [&](const CallContext& call) -> absl::Status {
        if (request->tenant_id().empty())
          return absl::InvalidArgumentError("tenant_id: required");
        ASSIGN_OR_RETURN(*response, repository_.SetActive(request->tenant_id(),
                                                          request->is_active(),
                                                          Actor(call)));
        return absl::OkStatus();
      });
}

grpc::Status TenantRegistryService::UpdateTenant(
    grpc::ServerContext* context, const pb::UpdateTenantRequest* request,
    pb::Tenant* response) {
  return guard_.Run(
      context, "UpdateTenant", [&](const CallContext& call) -> absl::Status {
        if (request->tenant_id().empty())
          return absl::InvalidArgumentError("tenant_id: required");
        TenantChanges changes;
        if (request->has_name()) {
          RETURN_IF_ERROR(ValidateName("name", request->name()));
          changes.name = request->name();
        }
        if (request->has_billing_plan()) {
          RETURN_IF_ERROR(
              ValidateBillingPlan("billing_plan", request->billing_plan()));
          changes.billing_plan = request->billing_plan();
        }
        if (request->has_billing_contact()) {
          RETURN_IF_ERROR(ValidateBillingContact("billing_contact",
                                                 request->billing_contact()));
          changes.billing_contact = request->billing_contact();
        }
        if (request->has_virtual_host()) {
          if (!request->virtual_host().empty()) {
            RETURN_IF_ERROR(
                ValidateVirtualHost("virtual_host", request->virtual_host()));
          }
          changes.virtual_host = request->virtual_host();
        }
        if (request->has_is_active()) changes.is_active = request->is_active();
        if (!changes.name && !changes.billing_plan &&
            !changes.billing_contact && !changes.virtual_host &&
            !changes.is_active) {
          return absl::InvalidArgumentError(
              "name, billing_plan, billing_contact, virtual_host, is_active: "
              "set at least one");
        }
        ASSIGN_OR_RETURN(*response, repository_.Update(request->tenant_id(),
                                                       changes, Actor(call)));
        return absl::OkStatus();
      });
}

grpc::Status TenantRegistryService::ListAuditEvents(
    grpc::ServerContext* context, const pb::ListAuditEventsRequest* request,
    pb::ListAuditEventsResponse* response) {
  return guard_.Run(
      context, "ListAuditEvents", [&](const CallContext&) -> absl::Status {
        if (request->tenant_id().empty())
          return absl::InvalidArgumentError("tenant_id: required");
        ASSIGN_OR_RETURN(const int page_size, PageSize(request->page_size()));
        ASSIGN_OR_RETURN(const std::string before,
                         DecodePageToken(request->page_token(), &IsAuditId));
        int64_t before_id = 0;
        if (!before.empty()) (void)absl::SimpleAtoi(before, &before_id);
        ASSIGN_OR_RETURN(std::vector<AuditEvent> events,
                         repository_.ListAudit(request->tenant_id(), before_id,
                                               page_size + 1));
        const bool more = static_cast<int>(events.size()) > page_size;
        if (more) events.pop_back();
        for (AuditEvent& event : events)
          *response->add_events() = std::move(event);
        if (more) {
          response->set_next_page_token(EncodePageToken(std::to_string(
              response->events(response->events_size() - 1).audit_id())));
        }
        return absl::OkStatus();
      });
}

grpc::Status TenantRegistryService::WatchTenants(
    grpc::ServerContext* context, const pb::WatchTenantsRequest* request,
    grpc::ServerWriter<pb::TenantEvent>* writer) {
  return guard_.Run(
      context, "WatchTenants", [&](const CallContext&) -> absl::Status {
        // Subscribe first: a change committed during the snapshot is delivered
        // after it rather than lost.
        auto subscription = feed_.Subscribe();
        bool snapshot_due = true;
        while (!context->IsCancelled()) {
          if (snapshot_due) {
            snapshot_due = false;
            if (!SendEvent(writer, pb::TenantEvent::SNAPSHOT_BEGIN, nullptr))
              return absl::OkStatus();
            std::string after;
            while (true) {
              ASSIGN_OR_RETURN(std::vector<Tenant> page,
                               repository_.List(after, kSnapshotPageSize));
              for (const Tenant& tenant : page) {
                if (!SendEvent(writer, pb::TenantEvent::UPSERT, &tenant))
                  return absl::OkStatus();
              }
              if (static_cast<int>(page.size()) < kSnapshotPageSize) break;
              after = page.back().tenant_id();
            }
            if (!SendEvent(writer, pb::TenantEvent::SNAPSHOT_END, nullptr))
              return absl::OkStatus();
          }
          std::optional<TenantChangeFeed::Event> event =
              subscription->Next(absl::Milliseconds(250));
          if (subscription->closed())
            return absl::UnavailableError("server shutting down; reconnect");
          if (!event) continue;
          if (event->resync) {
            snapshot_due = true;
            continue;
          }
          if (!SendEvent(writer, pb::TenantEvent::UPSERT, &event->tenant))
            return absl::OkStatus();
        }
        return absl::CancelledError("watch cancelled by the client");
      });
}

}  // namespace adcp::tenant_registry
