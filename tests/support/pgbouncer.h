// Debian's PgBouncer (1.18) in transaction pooling mode in front of a
// TestDatabase, as a child process: the services' roles sign in with SCRAM
// from its auth_file, and each role shares `server_connections` server
// connections among all its clients, so consecutive transactions of one
// client land on different server sessions. Stopped on destruction.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"

namespace adcp::testing {

struct PgBouncerOptions {
  // default_pool_size: server connections per (database, role).
  int server_connections = 2;
};

class PgBouncer {
 public:
  // Starts /usr/sbin/pgbouncer (PGBOUNCER overrides) listening on a Unix
  // socket in a fresh directory; as root it runs as the `postgres` user
  // (PgBouncer refuses root), like the cluster. Fails when it does not
  // accept connections within 10 s.
  static absl::StatusOr<std::unique_ptr<PgBouncer>> Start(
      const TestDatabase& db, PgBouncerOptions options = {});
  ~PgBouncer();
  PgBouncer(const PgBouncer&) = delete;
  PgBouncer& operator=(const PgBouncer&) = delete;

  // The role's conninfo to the database through PgBouncer.
  std::string RoleUrl(ServiceRole role) const;
  // The admin console (database `pgbouncer`, which libpqxx 6 refuses for
  // its server version: use libpq, or Show).
  std::string AdminUrl() const;
  // The rows of the console's `SHOW <what>` (STATS, CLIENTS, POOLS, ...),
  // column name -> value.
  absl::StatusOr<std::vector<std::map<std::string, std::string>>> Show(
      const std::string& what) const;
  // total_xact_count of SHOW STATS for the database: the transactions
  // PgBouncer has carried to it.
  absl::StatusOr<long long> TransactionsServed() const;
  std::string Log() const;

 private:
  PgBouncer(const TestDatabase& db) : db_(db) {}

  const TestDatabase& db_;
  std::string dir_, admin_password_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace adcp::testing
