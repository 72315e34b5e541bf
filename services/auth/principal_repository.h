// All SQL of the auth service. Every statement runs in a tenant transaction,
// so row-level security confines it to the call's tenant.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adcp/auth/v1/auth.pb.h"
#include "libs/db/pg_pool.h"
#include "libs/db/service_role.h"

namespace adcp::auth {

using ::adcp::auth::v1::Principal;

class PrincipalRepository {
 public:
  static PgPool::Statements Statements();
  // What the auth service's role may do: principals, and adding audit rows.
  static RolePrivileges Privileges();

  explicit PrincipalRepository(PgPool& pool) : pool_(pool) {}

  // ALREADY_EXISTS naming principal_id when taken. Writes the audit row.
  absl::StatusOr<Principal> Create(const std::string& tenant_id,
                                   const std::string& principal_id,
                                   const std::string& name,
                                   const nlohmann::json& mappings,
                                   const std::string& token_hash_hex,
                                   const std::string& token_prefix,
                                   const std::string& actor);
  // The live (not revoked) principal whose token hashes to `token_hash_hex`,
  // or UNAUTHENTICATED.
  absl::StatusOr<Principal> FindByTokenHash(const std::string& tenant_id,
                                            const std::string& token_hash_hex);
  // Ordered by principal_id, after `after_principal_id`.
  absl::StatusOr<std::vector<Principal>> List(
      const std::string& tenant_id, const std::string& after_principal_id,
      int limit, bool include_revoked);
  // NOT_FOUND when missing; FAILED_PRECONDITION when revoked.
  absl::StatusOr<Principal> ReplaceToken(const std::string& tenant_id,
                                         const std::string& principal_id,
                                         const std::string& token_hash_hex,
                                         const std::string& token_prefix,
                                         const std::string& actor);
  // Idempotent: revoking a revoked principal returns it unchanged.
  absl::StatusOr<Principal> Revoke(const std::string& tenant_id,
                                   const std::string& principal_id,
                                   const std::string& actor);

  struct Use {
    std::string tenant_id;
    std::string principal_id;
    absl::Time at;
  };
  // Records when principals last used their tokens (bookkeeping, batched).
  absl::Status RecordUses(const std::vector<Use>& uses);

 private:
  PgPool& pool_;
};

}  // namespace adcp::auth
