#include "services/auth/auth_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/base/pagination.h"
#include "libs/tenancy/tenant_config.h"
#include "services/auth/access_token.h"

namespace adcp::auth {
namespace {

bool IsPrincipalId(const std::string& value) {
  if (value.empty() || value.size() > 100) return false;
  if (!(absl::ascii_islower(value[0]) || absl::ascii_isdigit(value[0])))
    return false;
  for (char c : value) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' ||
          c == '-'))
      return false;
  }
  return true;
}

constexpr size_t kMaxMappingsBytes = 64 * 1024;

}  // namespace

absl::Status ValidateName(const std::string& name) {
  if (absl::StripAsciiWhitespace(name).empty())
    return absl::InvalidArgumentError("name: required");
  if (name.size() > 255)
    return absl::InvalidArgumentError("name: at most 255 bytes");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          "name: must not contain control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePrincipalId(std::string_view field,
                                 const std::string& value) {
  if (value.empty())
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": required"));
  if (!IsPrincipalId(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field),
                     ": expected 1 to 100 of a-z, 0-9, '_' and '-', starting "
                     "with a letter or digit"));
  }
  return absl::OkStatus();
}

const ServicePolicy& AuthService::Policy() {
  static const auto* policy = new ServicePolicy{
      {"ResolvePrincipal", CallScope::kTenant},
      {"CreatePrincipal", CallScope::kTenantAdmin},
      {"ListPrincipals", CallScope::kTenantAdmin},
      {"RotateToken", CallScope::kTenantAdmin},
      {"RevokePrincipal", CallScope::kTenantAdmin},
      {"WatchPrincipalChanges", CallScope::kPlatform},
      {"RecordSignatureNonce", CallScope::kTenant},
  };
  return *policy;
}

grpc::Status AuthService::ResolvePrincipal(
    grpc::ServerContext* context, const pb::ResolvePrincipalRequest* request,
    pb::Principal* response) {
  return guard_.Run(
      context, "ResolvePrincipal",
      [&](const CallContext& call) -> absl::Status {
        // Asked by another service's cache (on a miss): from the database.
        auto principal = cache_.Lookup(call.tenant_id, request->token(),
                                       PrincipalCache::Source::kDatabase);
        if (!principal.ok()) {
          if (absl::IsUnauthenticated(principal.status())) {
            // Aggregated per window, as the guard's failures are.
            audit_.Count(AuditEvent{
                .tenant_id = call.tenant_id,
                .operation = "auth_failed",
                .principal_id = "anonymous",
                .success = false,
                .details = {
                    {"method", "ResolvePrincipal"},
                    {"reason", "invalid or revoked token"},
                    {"client", call.client_address.empty()
                                   ? nlohmann::json(nullptr)
                                   : nlohmann::json(call.client_address)}}});
          }
          return principal.status();
        }
        *response = **principal;
        return absl::OkStatus();
      });
}

grpc::Status AuthService::CreatePrincipal(
    grpc::ServerContext* context, const pb::CreatePrincipalRequest* request,
    pb::PrincipalWithToken* response) {
  return guard_.Run(
      context, "CreatePrincipal", [&](const CallContext& call) -> absl::Status {
        std::string principal_id = request->principal_id();
        if (principal_id.empty()) {
          principal_id =
              absl::StrCat("p_", IssueToken().hash_hex.substr(0, 16));
        } else {
          RETURN_IF_ERROR(ValidatePrincipalId("principal_id", principal_id));
        }
        RETURN_IF_ERROR(ValidateName(request->name()));
        const nlohmann::json mappings =
            StructToJson(request->platform_mappings());
        if (mappings.dump().size() > kMaxMappingsBytes) {
          return absl::InvalidArgumentError(
              "platform_mappings: at most 64 KiB");
        }
        const IssuedToken token = IssueToken();
        ASSIGN_OR_RETURN(
            *response->mutable_principal(),
            repository_.Create(call.tenant_id, principal_id, request->name(),
                               mappings, token.hash_hex, token.prefix,
                               call.principal_id));
        response->set_access_token(token.token);
        cache_.ForgetUnknown(call.tenant_id);
        return absl::OkStatus();
      });
}

grpc::Status AuthService::ListPrincipals(
    grpc::ServerContext* context, const pb::ListPrincipalsRequest* request,
    pb::ListPrincipalsResponse* response) {
  return guard_.Run(
      context, "ListPrincipals", [&](const CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(const int page_size, PageSize(request->page_size()));
        ASSIGN_OR_RETURN(
            const std::string after,
            DecodePageToken(request->page_token(), &IsPrincipalId));
        ASSIGN_OR_RETURN(std::vector<Principal> principals,
                         repository_.List(call.tenant_id, after, page_size + 1,
                                          request->include_revoked()));
        const bool more = static_cast<int>(principals.size()) > page_size;
        if (more) principals.pop_back();
        for (Principal& principal : principals)
          *response->add_principals() = std::move(principal);
        if (more) {
          response->set_next_page_token(EncodePageToken(
              response->principals(response->principals_size() - 1)
                  .principal_id()));
        }
        return absl::OkStatus();
      });
}

grpc::Status AuthService::RotateToken(grpc::ServerContext* context,
                                      const pb::RotateTokenRequest* request,
                                      pb::PrincipalWithToken* response) {
  return guard_.Run(
      context, "RotateToken", [&](const CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(
            ValidatePrincipalId("principal_id", request->principal_id()));
        const IssuedToken token = IssueToken();
        ASSIGN_OR_RETURN(*response->mutable_principal(),
                         repository_.ReplaceToken(
                             call.tenant_id, request->principal_id(),
                             token.hash_hex, token.prefix, call.principal_id));
        cache_.Forget(call.tenant_id, request->principal_id());
        response->set_access_token(token.token);
        return absl::OkStatus();
      });
}

grpc::Status AuthService::RevokePrincipal(
    grpc::ServerContext* context, const pb::RevokePrincipalRequest* request,
    pb::Principal* response) {
  return guard_.Run(
      context, "RevokePrincipal", [&](const CallContext& call) -> absl::Status {
        RETURN_IF_ERROR(
            ValidatePrincipalId("principal_id", request->principal_id()));
        ASSIGN_OR_RETURN(*response, repository_.Revoke(call.tenant_id,
                                                       request->principal_id(),
                                                       call.principal_id));
        cache_.Forget(call.tenant_id, request->principal_id());
        return absl::OkStatus();
      });
}

grpc::Status AuthService::WatchPrincipalChanges(
    grpc::ServerContext* context,
    const pb::WatchPrincipalChangesRequest* request,
    grpc::ServerWriter<pb::PrincipalChange>* writer) {
  return guard_.Run(
      context, "WatchPrincipalChanges",
      [&](const CallContext&) -> absl::Status {
        auto subscription = cache_.SubscribeToChanges();
        // Whatever the caller cached before this stream is of unknown age; it
        // may cache from now on only if this process sees changes.
        pb::PrincipalChange resync;
        resync.set_kind(cache_.caching() ? pb::PrincipalChange::RESYNC
                                         : pb::PrincipalChange::SUSPEND);
        if (!writer->Write(resync)) return absl::OkStatus();
        while (!context->IsCancelled()) {
          std::optional<pb::PrincipalChange> change =
              subscription->Next(absl::Milliseconds(250));
          if (subscription->closed() && !change) {
            return absl::UnavailableError("server shutting down; reconnect");
          }
          if (change && !writer->Write(*change)) return absl::OkStatus();
        }
        return absl::CancelledError("watch cancelled by the client");
      });
}

}  // namespace adcp::auth
