#include "tools/adcpctl/verify_audit.h"

#include <pqxx/pqxx>

#include "libs/base/env.h"
#include "libs/base/status.h"
#include "libs/db/pg_pool.h"
#include "libs/tenancy/audit_chain.h"

namespace adcp::adcpctl {
namespace {

// Prints the tombstones of `tenant_id`; whether every one verifies under
// `key` (true when there is no key to check with).
absl::StatusOr<bool> ReportTombstones(pqxx::connection& connection,
                                      const std::string& tenant_id,
                                      const std::string& key,
                                      std::ostream& out) {
  ASSIGN_OR_RETURN(const auto tombstones,
                   ReadTombstones(connection, tenant_id, key));
  bool all_valid = true;
  for (const StoredTombstone& stone : tombstones) {
    const Tombstone& t = stone.tombstone;
    out << "tombstone: deleted by " << t.purged_by << " at "
        << t.purged_at_micros << " us, " << t.audit_chain_length
        << " audit rows (head " << t.audit_chain_head_hex << "), signature "
        << (key.empty()             ? "not checked (no AUDIT_SIGNING_KEY)"
            : stone.signature_valid ? "valid"
                                    : "INVALID")
        << "\n";
    if (!key.empty() && !stone.signature_valid) all_valid = false;
  }
  return all_valid;
}

}  // namespace

int VerifyAudit(const std::string& tenant_id, std::ostream& out,
                std::ostream& err) {
  const auto url = env::Required("DATABASE_URL");
  if (!url.ok()) {
    err << url.status().message() << "\n";
    return 2;
  }
  try {
    pqxx::connection connection(WithConnectionDefaults(*url));
    const auto report = VerifyAuditChain(connection, tenant_id);
    if (!report.ok()) {
      err << "cannot read the audit log: " << report.status().message() << "\n";
      return 2;
    }
    const absl::StatusOr<bool> tombstones_valid = ReportTombstones(
        connection, tenant_id, env::String("AUDIT_SIGNING_KEY", ""), out);
    if (!tombstones_valid.ok()) {
      err << "cannot read the tombstones: "
          << tombstones_valid.status().message() << "\n";
      return 2;
    }
    if (report->broken) {
      out << "audit chain of " << tenant_id << ": BROKEN at ";
      if (report->broken->audit_id != 0)
        out << "audit_id " << report->broken->audit_id << " ";
      out << "(chain_seq " << report->broken->chain_seq
          << "): " << report->broken->reason << "\n";
      return 1;
    }
    out << "audit chain of " << tenant_id << ": intact, " << report->rows
        << " rows\n";
    return *tombstones_valid ? 0 : 1;
  } catch (const std::exception& e) {
    err << "cannot connect: " << PgExceptionToStatus(e).message() << "\n";
    return 2;
  }
}

}  // namespace adcp::adcpctl
