// The audit log's hash chain (db/migrations/0010_audit_chain.sql) checked
// from outside the database, and the signed tombstone a hard delete leaves.
//
// Each tenant's audit rows carry chain_seq 1..n and
//   row_hash = SHA-256(previous row_hash || audit_canonical(row))
// where the first row's previous hash is the tenant's genesis hash and the
// chain's last (seq, hash) is kept in audit_chain_heads. VerifyAuditChain
// reads the rows in chain order and recomputes every hash here (OpenSSL), so an
// edited, deleted, inserted or reordered row, or a cut-off tail, is found and
// the first row that breaks the chain is named.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace adcp {

struct AuditChainBreak {
  int64_t audit_id = 0;   // the first row that breaks; 0: the tail is cut
  int64_t chain_seq = 0;  // the position where the break was found
  std::string reason;
};

struct AuditChainReport {
  int64_t rows = 0;      // rows read, in chain order
  int64_t head_seq = 0;  // the chain's length according to its head
  std::optional<AuditChainBreak> broken;  // none: the chain is intact
};

// Reads `tenant_id`'s audit rows on `connection` (any role that may read
// them: app.tenant_id is set inside its own read-only transaction) in
// batches, and checks every link.
absl::StatusOr<AuditChainReport> VerifyAuditChain(pqxx::connection& connection,
                                                  const std::string& tenant_id);

// What a hard delete of a tenant leaves in tenant_tombstones.
struct Tombstone {
  std::string tenant_id;
  int64_t purged_at_micros = 0;  // since the Unix epoch
  std::string purged_by;
  std::map<std::string, int64_t> deleted_rows;  // per table
  int64_t audit_chain_length = 0;
  std::string audit_chain_head_hex;
};

// The bytes a tombstone's signature covers: a JSON object with sorted keys.
std::string TombstoneCanonical(const Tombstone& tombstone);
// HMAC-SHA256 of TombstoneCanonical under `key`, hex.
std::string SignTombstone(const Tombstone& tombstone, const std::string& key);

struct StoredTombstone {
  Tombstone tombstone;
  std::string signature_hex;
  bool signature_valid = false;
};
// The tombstones of `tenant_id`, oldest first, each checked against `key`.
absl::StatusOr<std::vector<StoredTombstone>> ReadTombstones(
    pqxx::connection& connection, const std::string& tenant_id,
    const std::string& key);

}  // namespace adcp
