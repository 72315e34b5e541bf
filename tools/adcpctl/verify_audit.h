// adcpctl verify-audit TENANT: checks the tenant's audit hash chain, and the
// signatures of the tombstones its hard deletes left, straight from the
// database (DATABASE_URL: a role that may read audit_log and
// tenant_tombstones, e.g. the owner or an auditor; AUDIT_SIGNING_KEY: the
// registry's key, for the tombstones). It trusts no service.
#pragma once

#include <ostream>
#include <string>

namespace adcp::adcpctl {

// Prints what it found; 0 when the chain and every tombstone verify, 1 when
// anything is broken, 2 when the database cannot be read.
int VerifyAudit(const std::string& tenant_id, std::ostream& out,
                std::ostream& err);

}  // namespace adcp::adcpctl
