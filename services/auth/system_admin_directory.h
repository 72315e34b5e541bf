// Auth's own view of the system admins: resolves x-system-token from its
// tables (the guard's SystemAdminResolver in auth, and ResolveSystemToken
// for the other services, which cache the answers), admits the bootstrap
// token while no admin exists, audits failures (aggregated per client and
// window, as platform events), and turns the tables' NOTIFY into the
// change stream the other services' caches follow.
#pragma once

#include <memory>
#include <string>

#include "adcp/auth/v1/auth.pb.h"
#include "libs/db/pg_listener.h"
#include "libs/grpc/broadcast.h"
#include "libs/tenancy/audit_log.h"
#include "libs/tenancy/guard.h"
#include "services/auth/system_admin_repository.h"

namespace adcp::auth {

class SystemAdminDirectory : public SystemAdminResolver {
 public:
  // `bootstrap_sha256`: SHA-256 (32 raw bytes) of the bootstrap token, or
  // "" when bootstrap is disabled.
  SystemAdminDirectory(std::string conninfo, SystemAdminRepository& repository,
                       AuditLog& audit, std::string bootstrap_sha256);
  ~SystemAdminDirectory() override;

  void Start();
  void Stop();
  bool WaitUntilListening(absl::Duration timeout);

  // A named admin's live token, or (only while no enabled admin exists) the
  // bootstrap token; UNAUTHENTICATED otherwise, audited.
  absl::StatusOr<SystemAdminIdentity> Resolve(
      const std::string& token, const std::string& client) const override;
  // A named admin's live token only; UNAUTHENTICATED otherwise, audited.
  absl::StatusOr<v1::ResolvedSystemAdmin> ResolveNamed(
      const std::string& token, const std::string& client) const;
  // A failed authentication (a token or a sign-in), aggregated.
  void AuditFailure(const std::string& client, const std::string& reason,
                    const std::string& admin_id = "") const;

  using ChangeSubscription = Broadcast<v1::SystemAdminChange>::Subscription;
  std::shared_ptr<ChangeSubscription> SubscribeToChanges() {
    return changes_.Subscribe();
  }
  // Whether changes are being seen, so that callers may cache.
  bool watching() const { return listener_.listening(); }
  void CloseChangeStreams() { changes_.Close(); }

 private:
  void Publish(v1::SystemAdminChange::Kind kind, const std::string& admin_id);

  SystemAdminRepository& repository_;
  AuditLog& audit_;
  const std::string bootstrap_sha256_;
  Broadcast<v1::SystemAdminChange> changes_;
  PgListener listener_;
};

}  // namespace adcp::auth
