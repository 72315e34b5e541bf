#include "libs/tenancy/audit_chain.h"

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "libs/db/pg_pool.h"

namespace adcp {
namespace {

constexpr int kBatchRows = 5000;

std::string Hex(const std::string& bytes) {
  return absl::BytesToHexString(bytes);
}

std::string Unhex(const std::string& hex) {
  return absl::HexStringToBytes(hex);
}

// Walks the rows in chain order and remembers the first break.
class ChainWalk {
 public:
  explicit ChainWalk(std::string genesis_hex)
      : last_hash_hex_(std::move(genesis_hex)) {}

  void Row(int64_t audit_id, int64_t seq, const std::string& row_hex,
           const std::string& canonical) {
    ++report_.rows;
    if (report_.broken) return;
    const int64_t expected = last_seq_ + 1;
    if (seq != expected) {
      Break(audit_id, seq,
            seq < expected
                ? absl::StrCat("chain_seq ", seq, " repeats a position")
                : absl::StrCat("chain_seq ", seq, " where ", expected,
                               " was expected: a row is missing before it"));
    } else if (Hex(Sha256(Unhex(last_hash_hex_) + canonical)) != row_hex) {
      Break(audit_id, seq,
            "row_hash does not match the row's contents and the previous "
            "row's hash: this row, or the hash of the one before it, was "
            "edited");
    }
    last_seq_ = seq;
    last_hash_hex_ = row_hex;
  }

  // The head (the chain's recorded end) against the last row read.
  AuditChainReport Finish(int64_t head_seq, const std::string& head_hex) {
    report_.head_seq = head_seq;
    if (!report_.broken &&
        (head_seq != last_seq_ || head_hex != last_hash_hex_))
      Break(0, last_seq_ + 1,
            absl::StrCat("the chain's head records ", head_seq,
                         " rows but the rows end at ", last_seq_,
                         ": rows were removed from the end"));
    return report_;
  }

 private:
  void Break(int64_t audit_id, int64_t seq, std::string reason) {
    report_.broken = AuditChainBreak{audit_id, seq, std::move(reason)};
  }

  AuditChainReport report_;
  int64_t last_seq_ = 0;
  std::string last_hash_hex_;
};

}  // namespace

absl::StatusOr<AuditChainReport> VerifyAuditChain(
    pqxx::connection& connection, const std::string& tenant_id) {
  try {
    pqxx::work txn(connection);
    txn.exec("SET TRANSACTION READ ONLY");
    RETURN_IF_ERROR(SetTransactionTenant(txn, tenant_id));
    const pqxx::row head =
        txn.exec1("SELECT h.seq, encode(h.head, 'hex'), encode(audit_genesis(" +
                  txn.quote(tenant_id) + "), 'hex') FROM audit_chain_head(" +
                  txn.quote(tenant_id) + ") h");
    ChainWalk walk(head[2].as<std::string>());
    txn.exec(
        "DECLARE audit_chain NO SCROLL CURSOR FOR "
        "SELECT audit_id, chain_seq, encode(row_hash, 'hex'), "
        "audit_canonical(tenant_id, audit_id, "
        "chain_seq, occurred_at, operation, principal_id, adapter_id, "
        "success, details) FROM audit_log WHERE tenant_id = " +
        txn.quote(tenant_id) + " ORDER BY chain_seq, audit_id");
    const std::string fetch =
        absl::StrCat("FETCH ", kBatchRows, " FROM audit_chain");
    for (;;) {
      const pqxx::result rows = txn.exec(fetch);
      for (const auto& row : rows)
        walk.Row(row[0].as<int64_t>(), row[1].as<int64_t>(),
                 row[2].as<std::string>(), row[3].as<std::string>());
      if (rows.size() < static_cast<size_t>(kBatchRows)) break;
    }
    AuditChainReport report =
        walk.Finish(head[0].as<int64_t>(), head[1].as<std::string>());
    txn.commit();
    return report;
  } catch (const std::exception& e) {
    return PgExceptionToStatus(e);
  }
}

std::string TombstoneCanonical(const Tombstone& tombstone) {
  nlohmann::json deleted = nlohmann::json::object();
  for (const auto& [table, rows] : tombstone.deleted_rows)
    deleted[table] = rows;
  // nlohmann's object keeps its keys sorted: the dump is canonical.
  return nlohmann::json{{"tenant_id", tombstone.tenant_id},
                        {"purged_at_micros", tombstone.purged_at_micros},
                        {"purged_by", tombstone.purged_by},
                        {"deleted_rows", deleted},
                        {"audit_chain_length", tombstone.audit_chain_length},
                        {"audit_chain_head", tombstone.audit_chain_head_hex}}
      .dump();
}

std::string SignTombstone(const Tombstone& tombstone, const std::string& key) {
  return HmacSha256Hex(key, "adcp-tombstone|" + TombstoneCanonical(tombstone));
}

absl::StatusOr<std::vector<StoredTombstone>> ReadTombstones(
    pqxx::connection& connection, const std::string& tenant_id,
    const std::string& key) {
  std::vector<StoredTombstone> tombstones;
  try {
    pqxx::read_transaction txn(connection);
    for (const auto& row :
         txn.exec("SELECT purged_tenant_id, (extract(epoch FROM purged_at) * "
                  "1000000)::bigint, purged_by, deleted_rows::text, "
                  "audit_chain_length, encode(audit_chain_head, 'hex'), "
                  "encode(signature, 'hex') FROM tenant_tombstones "
                  "WHERE purged_tenant_id = " +
                  txn.quote(tenant_id) + " ORDER BY tombstone_id")) {
      StoredTombstone& stored = tombstones.emplace_back();
      Tombstone& t = stored.tombstone;
      t.tenant_id = row[0].as<std::string>();
      t.purged_at_micros = row[1].as<int64_t>();
      t.purged_by = row[2].as<std::string>();
      const auto deleted = nlohmann::json::parse(row[3].as<std::string>());
      for (const auto& [table, rows] : deleted.items())
        t.deleted_rows[table] = rows.get<int64_t>();
      t.audit_chain_length = row[4].as<int64_t>();
      t.audit_chain_head_hex = row[5].as<std::string>();
      stored.signature_hex = row[6].as<std::string>();
      stored.signature_valid =
          !key.empty() &&
          SecretsEqual(SignTombstone(t, key), stored.signature_hex);
    }
  } catch (const std::exception& e) {
    return PgExceptionToStatus(e);
  }
  return tombstones;
}

}  // namespace adcp
