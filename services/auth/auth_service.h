// The Auth gRPC service: principals of the call's tenant and their tokens.
// Every handler body runs through the CallGuard under Policy().
#pragma once

#include "adcp/auth/v1/auth.grpc.pb.h"
#include "libs/tenancy/audit_log.h"
#include "libs/tenancy/guard.h"
#include "services/auth/principal_cache.h"
#include "services/auth/principal_repository.h"
#include "services/auth/signature_nonce_repository.h"

namespace adcp::auth {

namespace pb = ::adcp::auth::v1;

class AuthService final : public pb::Auth::Service {
 public:
  AuthService(const CallGuard& guard, PrincipalRepository& repository,
              PrincipalCache& cache, AuditLog& audit,
              SignatureNonceRepository& nonces)
      : guard_(guard),
        repository_(repository),
        cache_(cache),
        audit_(audit),
        nonces_(nonces) {}

  // ResolvePrincipal is for the suite's services acting for a tenant (the
  // token to check is in the request); managing principals needs the system
  // admin or the tenant's admin principal.
  static const ServicePolicy& Policy();

  grpc::Status ResolvePrincipal(grpc::ServerContext* context,
                                const pb::ResolvePrincipalRequest* request,
                                pb::Principal* response) override;
  grpc::Status CreatePrincipal(grpc::ServerContext* context,
                               const pb::CreatePrincipalRequest* request,
                               pb::PrincipalWithToken* response) override;
  grpc::Status ListPrincipals(grpc::ServerContext* context,
                              const pb::ListPrincipalsRequest* request,
                              pb::ListPrincipalsResponse* response) override;
  grpc::Status RotateToken(grpc::ServerContext* context,
                           const pb::RotateTokenRequest* request,
                           pb::PrincipalWithToken* response) override;
  grpc::Status WatchPrincipalChanges(
      grpc::ServerContext* context,
      const pb::WatchPrincipalChangesRequest* request,
      grpc::ServerWriter<pb::PrincipalChange>* writer) override;
  grpc::Status RevokePrincipal(grpc::ServerContext* context,
                               const pb::RevokePrincipalRequest* request,
                               pb::Principal* response) override;
  // For the agent edge acting for a tenant (the internal token, no
  // principal): signature_nonce_service.cc.
  grpc::Status RecordSignatureNonce(
      grpc::ServerContext* context,
      const pb::RecordSignatureNonceRequest* request,
      pb::RecordSignatureNonceResponse* response) override;

 private:
  const CallGuard& guard_;
  PrincipalRepository& repository_;
  PrincipalCache& cache_;
  AuditLog& audit_;
  SignatureNonceRepository& nonces_;
};

// Principal ids: 1-100 of a-z, 0-9, '_' and '-', starting with a letter or
// digit. Errors name `field`.
absl::Status ValidatePrincipalId(std::string_view field,
                                 const std::string& value);

// A display name: 1-255 bytes, not blank, no control characters. Errors name
// "name".
absl::Status ValidateName(const std::string& name);

}  // namespace adcp::auth
