// What a service's database role may do, and the start-up check that it can
// do exactly that: no superuser, BYPASSRLS or table-owning role, and no
// privilege beyond the service's own (issue 28: one role per service).
#pragma once

#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "libs/db/pg_pool.h"

namespace adcp {

// The privileges one service's role holds in schema public.
struct RolePrivileges {
  std::string service;  // named in errors, e.g. "tenant-registry"
  // Table (or view, sequence) -> privileges, upper case: SELECT, INSERT,
  // UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER (USAGE for sequences).
  // A column privilege counts as the table's.
  std::map<std::string, std::set<std::string>> tables;
  // Functions the role may EXECUTE, by name, among the guarded ones: those
  // PUBLIC may not execute or that run with their owner's rights (SECURITY
  // DEFINER), trigger functions aside (they cannot be called). Objects of
  // extensions are not checked.
  std::set<std::string> functions;
};

// Refuses a connection that would defeat row-level security: a superuser, a
// role with BYPASSRLS, or one that owns (or inherits ownership of) a table in
// the public schema. Requires schema_migrations to be at least at
// `min_schema_version`. Then compares what the role can do with `expected`:
// any other table or function privilege, or CREATE on schema public or the
// database, is FAILED_PRECONDITION naming the role, the object and the
// privilege; so is a privilege of `expected` the role lacks (the migrations
// were run for another role name). Services call this at start-up and exit
// on error.
absl::Status VerifyServiceRole(PgPool& pool, int min_schema_version,
                               const RolePrivileges& expected);

}  // namespace adcp
