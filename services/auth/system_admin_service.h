// The SystemAdmins gRPC service: named system admins, their passwords and
// tokens, and the resolution other services cache. Every handler body runs
// through the CallGuard under Policy().
#pragma once

#include "adcp/auth/v1/auth.grpc.pb.h"
#include "libs/tenancy/guard.h"
#include "services/auth/password_checks.h"
#include "services/auth/sign_in_failures.h"
#include "services/auth/system_admin_directory.h"
#include "services/auth/system_admin_repository.h"

namespace adcp::auth {

class SystemAdminService final : public v1::SystemAdmins::Service {
 public:
  SystemAdminService(const CallGuard& guard, SystemAdminRepository& repository,
                     SystemAdminDirectory& directory,
                     SignInFailures& sign_in_failures,
                     PasswordChecks& password_checks)
      : guard_(guard),
        repository_(repository),
        directory_(directory),
        sign_in_failures_(sign_in_failures),
        password_checks_(password_checks) {}

  // Managing admins needs a system admin (the bootstrap token only for
  // CreateSystemAdmin); signing in and out, resolving and watching are the
  // suite's own services' calls (platform).
  static const ServicePolicy& Policy();

  grpc::Status CreateSystemAdmin(grpc::ServerContext* context,
                                 const v1::CreateSystemAdminRequest* request,
                                 v1::SystemAdmin* response) override;
  grpc::Status ListSystemAdmins(
      grpc::ServerContext* context, const v1::ListSystemAdminsRequest* request,
      v1::ListSystemAdminsResponse* response) override;
  grpc::Status DisableSystemAdmin(grpc::ServerContext* context,
                                  const v1::DisableSystemAdminRequest* request,
                                  v1::SystemAdmin* response) override;
  grpc::Status CreateSystemAdminToken(
      grpc::ServerContext* context,
      const v1::CreateSystemAdminTokenRequest* request,
      v1::SystemAdminTokenWithSecret* response) override;
  grpc::Status ListSystemAdminTokens(
      grpc::ServerContext* context,
      const v1::ListSystemAdminTokensRequest* request,
      v1::ListSystemAdminTokensResponse* response) override;
  grpc::Status RevokeSystemAdminToken(
      grpc::ServerContext* context,
      const v1::RevokeSystemAdminTokenRequest* request,
      v1::SystemAdminToken* response) override;
  grpc::Status SignInSystemAdmin(
      grpc::ServerContext* context, const v1::SignInSystemAdminRequest* request,
      v1::SystemAdminTokenWithSecret* response) override;
  grpc::Status SignOutSystemAdmin(
      grpc::ServerContext* context,
      const v1::SignOutSystemAdminRequest* request,
      v1::SignOutSystemAdminResponse* response) override;
  grpc::Status ResolveSystemToken(grpc::ServerContext* context,
                                  const v1::ResolveSystemTokenRequest* request,
                                  v1::ResolvedSystemAdmin* response) override;
  grpc::Status WatchSystemAdminChanges(
      grpc::ServerContext* context,
      const v1::WatchSystemAdminChangesRequest* request,
      grpc::ServerWriter<v1::SystemAdminChange>* writer) override;

 private:
  // Issues a token of `kind` for `admin_id` and stores its hash.
  absl::Status IssueAdminToken(const std::string& admin_id,
                               const std::string& kind,
                               std::optional<absl::Time> expires_at,
                               const std::string& actor,
                               v1::SystemAdminTokenWithSecret* response);

  // The sign-in's throttle keys and longest delay, validated.
  struct SignInThrottle {
    std::vector<SignInKey> keys;
    absl::Duration max_delay;
  };
  static absl::StatusOr<SignInThrottle> ValidThrottle(
      const v1::SignInSystemAdminRequest& request);
  // Whether `admin_id` is an enabled admin whose password is `password`;
  // UNAVAILABLE when the password checks are busy.
  absl::StatusOr<bool> PasswordAccepted(const std::string& admin_id,
                                        const std::string& password);

  const CallGuard& guard_;
  SystemAdminRepository& repository_;
  SystemAdminDirectory& directory_;
  SignInFailures& sign_in_failures_;
  PasswordChecks& password_checks_;
};

// Admin ids: lowercased, 1-100 of a-z, 0-9, '.', '_', '@', '+', '-',
// starting with a letter or digit. Returns the lowercased id; errors name
// `field`.
absl::StatusOr<std::string> ValidAdminId(std::string_view field,
                                         const std::string& value);

}  // namespace adcp::auth
