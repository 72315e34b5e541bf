// The shared replay cache of buyers' signed requests (migration 0014):
// (key id, nonce) pairs until their signature expires, a cap of live pairs
// per key. Platform data, used by auth's RecordSignatureNonce for every
// agent-edge replica.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "adcp/auth/v1/auth.pb.h"
#include "libs/db/pg_pool.h"
#include "libs/db/service_role.h"

namespace adcp::auth {

class SignatureNonceRepository {
 public:
  using Outcome = ::adcp::auth::v1::RecordSignatureNonceResponse::Outcome;

  static PgPool::Statements Statements();
  static RolePrivileges Privileges();

  explicit SignatureNonceRepository(PgPool& pool) : pool_(pool) {}

  // RECORDED, REPLAYED (live already) or AT_CAP (the key holds `cap` live
  // nonces; nothing recorded). The key's expired nonces are deleted first.
  // Concurrent records of one pair: one is RECORDED, the others REPLAYED
  // (the primary key decides); the cap is counted without a lock, so
  // concurrent records may pass it by the number of replicas.
  absl::StatusOr<Outcome> Record(const std::string& key_id,
                                 const std::string& nonce, absl::Time expires,
                                 uint32_t cap);
  // AT_CAP or UNDER_CAP.
  absl::StatusOr<Outcome> CheckCap(const std::string& key_id, uint32_t cap);

 private:
  PgPool& pool_;
};

}  // namespace adcp::auth
