#include "services/auth/system_admin_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "libs/tenancy/metadata.h"
#include "services/auth/access_token.h"
#include "services/auth/auth_service.h"

namespace adcp::auth {
namespace {

constexpr size_t kMinPassword = 12, kMaxPassword = 1024;
constexpr absl::Duration kDefaultSession = absl::Hours(8);

bool IsAdminIdChar(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' ||
         c == '_' || c == '@' || c == '+' || c == '-';
}

bool IsTokenId(const std::string& value) {
  if (value.empty() || value.size() > 64) return false;
  for (char c : value) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_'))
      return false;
  }
  return true;
}

// "admin:<admin_id>" -> "<admin_id>".
std::string AdminIdOf(const CallContext& call) {
  constexpr absl::string_view kPrefix = "admin:";
  return absl::StartsWith(call.principal_id, kPrefix)
             ? call.principal_id.substr(kPrefix.size())
             : "";
}

absl::Status ValidatePassword(const std::string& password) {
  if (password.size() < kMinPassword || password.size() > kMaxPassword) {
    return absl::InvalidArgumentError(absl::StrCat(
        "password: ", kMinPassword, " to ", kMaxPassword, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ValidAdminId(std::string_view field,
                                         const std::string& value) {
  const std::string id = absl::AsciiStrToLower(value);
  if (id.empty())
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": required"));
  bool ok = id.size() <= 100 &&
            (absl::ascii_islower(id[0]) || absl::ascii_isdigit(id[0]));
  for (char c : id) ok = ok && IsAdminIdChar(c);
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field),
        ": expected 1 to 100 of a-z, 0-9, '.', '_', '@', '+' and '-', "
        "starting with a letter or digit"));
  }
  return id;
}

const ServicePolicy& SystemAdminService::Policy() {
  static const auto* policy = new ServicePolicy{
      {"CreateSystemAdmin", CallScope::kSystemAdminOrBootstrap},
      {"ListSystemAdmins", CallScope::kSystemAdmin},
      {"DisableSystemAdmin", CallScope::kSystemAdmin},
      {"CreateSystemAdminToken", CallScope::kSystemAdmin},
      {"ListSystemAdminTokens", CallScope::kSystemAdmin},
      {"RevokeSystemAdminToken", CallScope::kSystemAdmin},
      {"SignInSystemAdmin", CallScope::kPlatform},
      {"SignOutSystemAdmin", CallScope::kPlatform},
      {"ResolveSystemToken", CallScope::kPlatform},
      {"WatchSystemAdminChanges", CallScope::kPlatform},
  };
  return *policy;
}

absl::Status SystemAdminService::IssueAdminToken(
    const std::string& admin_id, const std::string& kind,
    std::optional<absl::Time> expires_at, const std::string& actor,
    v1::SystemAdminTokenWithSecret* response) {
  const IssuedToken issued = IssueToken();
  ASSIGN_OR_RETURN(
      *response->mutable_token(),
      repository_.AddToken({.token_id = absl::StrCat("sat_", RandomHex(8)),
                            .admin_id = admin_id,
                            .hash_hex = issued.hash_hex,
                            .kind = kind,
                            .prefix = issued.prefix,
                            .expires_at = expires_at},
                           actor));
  response->set_secret(issued.token);
  return absl::OkStatus();
}

grpc::Status SystemAdminService::CreateSystemAdmin(
    grpc::ServerContext* context, const v1::CreateSystemAdminRequest* request,
    v1::SystemAdmin* response) {
  return guard_.Run(
      context, "CreateSystemAdmin",
      [&](const CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(const std::string admin_id,
                         ValidAdminId("admin_id", request->admin_id()));
        RETURN_IF_ERROR(ValidateName(request->name()));
        RETURN_IF_ERROR(ValidatePassword(request->password()));
        ASSIGN_OR_RETURN(const std::string hash,
                         password_checks_.Hash(request->password()));
        ASSIGN_OR_RETURN(*response,
                         repository_.Create(
                             admin_id, request->name(), hash, call.principal_id,
                             /*only_if_none=*/call.bootstrap_admin));
        return absl::OkStatus();
      });
}

grpc::Status SystemAdminService::ListSystemAdmins(
    grpc::ServerContext* context, const v1::ListSystemAdminsRequest* request,
    v1::ListSystemAdminsResponse* response) {
  return guard_.Run(context, "ListSystemAdmins",
                    [&](const CallContext& call) -> absl::Status {
                      ASSIGN_OR_RETURN(
                          std::vector<v1::SystemAdmin> admins,
                          repository_.List(request->include_disabled()));
                      for (auto& admin : admins)
                        *response->add_admins() = std::move(admin);
                      return absl::OkStatus();
                    });
}

grpc::Status SystemAdminService::DisableSystemAdmin(
    grpc::ServerContext* context, const v1::DisableSystemAdminRequest* request,
    v1::SystemAdmin* response) {
  return guard_.Run(
      context, "DisableSystemAdmin",
      [&](const CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(const std::string admin_id,
                         ValidAdminId("admin_id", request->admin_id()));
        ASSIGN_OR_RETURN(*response,
                         repository_.Disable(admin_id, call.principal_id));
        return absl::OkStatus();
      });
}

grpc::Status SystemAdminService::CreateSystemAdminToken(
    grpc::ServerContext* context,
    const v1::CreateSystemAdminTokenRequest* request,
    v1::SystemAdminTokenWithSecret* response) {
  return guard_.Run(context, "CreateSystemAdminToken",
                    [&](const CallContext& call) -> absl::Status {
                      return IssueAdminToken(AdminIdOf(call), "api",
                                             std::nullopt, call.principal_id,
                                             response);
                    });
}

grpc::Status SystemAdminService::ListSystemAdminTokens(
    grpc::ServerContext* context,
    const v1::ListSystemAdminTokensRequest* request,
    v1::ListSystemAdminTokensResponse* response) {
  return guard_.Run(
      context, "ListSystemAdminTokens",
      [&](const CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(const std::string admin_id,
                         ValidAdminId("admin_id", request->admin_id()));
        ASSIGN_OR_RETURN(
            std::vector<v1::SystemAdminToken> tokens,
            repository_.ListTokens(admin_id, request->include_revoked()));
        for (auto& token : tokens) *response->add_tokens() = std::move(token);
        return absl::OkStatus();
      });
}

grpc::Status SystemAdminService::RevokeSystemAdminToken(
    grpc::ServerContext* context,
    const v1::RevokeSystemAdminTokenRequest* request,
    v1::SystemAdminToken* response) {
  return guard_.Run(
      context, "RevokeSystemAdminToken",
      [&](const CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(const std::string admin_id,
                         ValidAdminId("admin_id", request->admin_id()));
        if (!IsTokenId(request->token_id())) {
          return absl::InvalidArgumentError(
              "token_id: expected 1 to 64 of a-z, 0-9 and '_'");
        }
        ASSIGN_OR_RETURN(*response,
                         repository_.RevokeToken(admin_id, request->token_id(),
                                                 call.principal_id));
        return absl::OkStatus();
      });
}

grpc::Status SystemAdminService::SignInSystemAdmin(
    grpc::ServerContext* context, const v1::SignInSystemAdminRequest* request,
    v1::SystemAdminTokenWithSecret* response) {
  return guard_.Run(
      context, "SignInSystemAdmin",
      [&](const CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(const std::string admin_id,
                         ValidAdminId("admin_id", request->admin_id()));
        if (request->password().empty() ||
            request->password().size() > kMaxPassword) {
          return absl::InvalidArgumentError(
              absl::StrCat("password: 1 to ", kMaxPassword, " bytes"));
        }
        const int ttl = request->ttl_seconds();
        if (ttl != 0 && (ttl < 60 || ttl > 7 * 24 * 3600)) {
          return absl::InvalidArgumentError(
              "ttl_seconds: 0 (8 hours) or 60 to 604800");
        }
        ASSIGN_OR_RETURN(const SignInThrottle throttle,
                         ValidThrottle(*request));
        // Charged before any scrypt, in one transaction, so concurrent
        // guesses cannot all pass the wait; the wait is the database's, so
        // it holds on every replica.
        ASSIGN_OR_RETURN(
            const absl::Duration wait,
            sign_in_failures_.Charge(throttle.keys, throttle.max_delay));
        if (wait > absl::ZeroDuration()) {
          return Throttled(context, wait, "too many failed sign-in attempts");
        }
        const absl::StatusOr<bool> accepted =
            PasswordAccepted(admin_id, request->password());
        if (!accepted.ok()) {
          // Not checked (busy, or the database failed): not a failure.
          sign_in_failures_.Uncharge(throttle.keys).IgnoreError();
          return accepted.status();
        }
        if (!*accepted) {
          directory_.AuditFailure(call.client_address, "sign-in refused",
                                  admin_id);
          return absl::UnauthenticatedError("wrong admin or password");
        }
        RETURN_IF_ERROR(sign_in_failures_.Succeeded(throttle.keys));
        return IssueAdminToken(
            admin_id, "session",
            absl::Now() + (ttl == 0 ? kDefaultSession : absl::Seconds(ttl)),
            absl::StrCat("admin:", admin_id), response);
      });
}

absl::StatusOr<bool> SystemAdminService::PasswordAccepted(
    const std::string& admin_id, const std::string& password) {
  absl::StatusOr<SystemAdminRepository::Credentials> credentials =
      repository_.CredentialsOf(admin_id);
  if (!credentials.ok() && !absl::IsNotFound(credentials.status()))
    return credentials.status();
  // An unknown admin costs the same scrypt as a wrong password.
  static const std::string* const kDecoy =
      new std::string(HashPassword(RandomHex(16)));
  ASSIGN_OR_RETURN(
      const bool matches,
      password_checks_.Matches(
          password, credentials.ok() ? credentials->password_hash : *kDecoy));
  return credentials.ok() && matches && !credentials->disabled;
}

absl::StatusOr<SystemAdminService::SignInThrottle>
SystemAdminService::ValidThrottle(const v1::SignInSystemAdminRequest& request) {
  constexpr int kMaxKeys = 4;
  SignInThrottle throttle;
  if (request.throttle_keys_size() > kMaxKeys) {
    return absl::InvalidArgumentError(
        absl::StrCat("throttle_keys: at most ", kMaxKeys));
  }
  for (int i = 0; i < request.throttle_keys_size(); ++i) {
    const v1::SignInThrottleKey& key = request.throttle_keys(i);
    const std::string field = absl::StrCat("throttle_keys[", i, "]");
    if (key.key().empty() || key.key().size() > 300) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".key: 1 to 300 bytes"));
    }
    if (key.threshold() < 1 || key.threshold() > 1000) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".threshold: 1 to 1000"));
    }
    throttle.keys.push_back({.key = key.key(),
                             .threshold = key.threshold(),
                             .keep_on_success = key.keep_on_success()});
  }
  const int max_delay = request.max_delay_seconds();
  if (max_delay < 0 || max_delay > 86400) {
    return absl::InvalidArgumentError(
        "max_delay_seconds: 0 (15 minutes) or 1 to 86400");
  }
  throttle.max_delay =
      max_delay == 0 ? absl::Minutes(15) : absl::Seconds(max_delay);
  return throttle;
}

grpc::Status SystemAdminService::SignOutSystemAdmin(
    grpc::ServerContext* context, const v1::SignOutSystemAdminRequest* request,
    v1::SignOutSystemAdminResponse* response) {
  return guard_.Run(
      context, "SignOutSystemAdmin", [&](const CallContext&) -> absl::Status {
        if (request->token().empty())
          return absl::InvalidArgumentError("token: required");
        if (!IsBearerToken(request->token()))
          return absl::InvalidArgumentError("token: expected a bearer token");
        return repository_.RevokeTokenByHash(TokenHashHex(request->token()));
      });
}

grpc::Status SystemAdminService::ResolveSystemToken(
    grpc::ServerContext* context, const v1::ResolveSystemTokenRequest* request,
    v1::ResolvedSystemAdmin* response) {
  return guard_.Run(
      context, "ResolveSystemToken",
      [&](const CallContext& call) -> absl::Status {
        ASSIGN_OR_RETURN(*response, directory_.ResolveNamed(
                                        request->token(), call.client_address));
        return absl::OkStatus();
      });
}

grpc::Status SystemAdminService::WatchSystemAdminChanges(
    grpc::ServerContext* context,
    const v1::WatchSystemAdminChangesRequest* request,
    grpc::ServerWriter<v1::SystemAdminChange>* writer) {
  return guard_.Run(
      context, "WatchSystemAdminChanges",
      [&](const CallContext&) -> absl::Status {
        auto subscription = directory_.SubscribeToChanges();
        v1::SystemAdminChange first;
        first.set_kind(directory_.watching() ? v1::SystemAdminChange::RESYNC
                                             : v1::SystemAdminChange::SUSPEND);
        if (!writer->Write(first)) return absl::OkStatus();
        while (!context->IsCancelled()) {
          std::optional<v1::SystemAdminChange> change =
              subscription->Next(absl::Milliseconds(250));
          if (subscription->closed() && !change)
            return absl::UnavailableError("server shutting down; reconnect");
          if (change && !writer->Write(*change)) return absl::OkStatus();
        }
        return absl::CancelledError("watch cancelled by the client");
      });
}

}  // namespace adcp::auth
