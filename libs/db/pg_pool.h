// A fixed-size pool of PostgreSQL connections (libpqxx) with per-connection
// prepared statements, and the only place that sets the tenant of a
// transaction for row-level security.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace adcp {

// Maps a libpqxx/std exception to a Status. Lost connections are UNAVAILABLE,
// serialization failures ABORTED, unique violations ALREADY_EXISTS,
// privilege and row-level-security refusals PERMISSION_DENIED; anything
// else is INTERNAL with a generic message (the detail is logged, never
// returned, since it may quote row data).
absl::Status PgExceptionToStatus(const std::exception& e);

// `conninfo` (keyword form or postgres:// URI) with the suite's defaults for
// settings it does not set: connect_timeout=5, TCP keepalives (a dead peer is
// noticed in ~25 s), statement_timeout=15s / lock_timeout=5s so that no
// request (or shutdown) waits on the database indefinitely, and
// citus.propagate_set_commands=local, so that on a Citus coordinator the
// tenant's `SET LOCAL` reaches the workers (plain PostgreSQL keeps it as an
// unused placeholder). A conninfo with its own `options` keeps only those.
// Behind PgBouncer, which drops `options`, set it on the role instead
// (db/citus/distribute.sql does).
std::string WithConnectionDefaults(const std::string& conninfo);

// Sets `app.tenant_id` to `tenant_id` for the rest of `txn` only, with
// `SET LOCAL`: the form Citus forwards to the workers that hold the tenant's
// shards (set_config(..., true) stays on the coordinator). A tenant that is
// not a DNS label is INVALID_ARGUMENT, and nothing is sent.
// PgPool::WithTenantTransaction calls it; so do the few tools that open
// their own transaction for one tenant.
absl::Status SetTransactionTenant(pqxx::transaction_base& txn,
                                  std::string_view tenant_id);

// The constraint named in a unique/foreign-key violation, or "".
std::string ViolatedConstraint(const pqxx::sql_error& e);

// A transaction opened for one tenant: PgPool::WithTenantTransaction set
// `app.tenant_id` to tenant_id() inside it (SET LOCAL) before handing it out,
// so row-level security shows and accepts that tenant's rows only. Code that
// receives a TenantTxn reads the tenant from it and is never told it again.
// Only PgPool opens one; it lives for the callback that receives it.
class TenantTxn {
 public:
  TenantTxn(const TenantTxn&) = delete;
  TenantTxn& operator=(const TenantTxn&) = delete;

  const std::string& tenant_id() const { return tenant_id_; }
  // The transaction itself, for statements that name the tenant themselves
  // (or need none).
  pqxx::work& work() { return work_; }

  // The prepared statement `statement` with the tenant as $1 and `args` as
  // $2, $3, ... (libpqxx's exec_prepared / exec_prepared0).
  template <typename... Args>
  pqxx::result Exec(const std::string& statement, Args&&... args) {
    return work_.exec_prepared(statement, tenant_id_,
                               std::forward<Args>(args)...);
  }
  // The same, for a statement that must return no rows.
  template <typename... Args>
  pqxx::result Exec0(const std::string& statement, Args&&... args) {
    return work_.exec_prepared0(statement, tenant_id_,
                                std::forward<Args>(args)...);
  }

 private:
  friend class PgPool;
  TenantTxn(pqxx::work& work, std::string tenant_id)
      : work_(work), tenant_id_(std::move(tenant_id)) {}

  pqxx::work& work_;
  const std::string tenant_id_;
};

class PgPool {
 public:
  struct Options {
    std::string conninfo;
    int size = 8;
    absl::Duration acquire_timeout = absl::Seconds(5);
  };
  // name -> SQL, prepared on every connection of the pool.
  using Statements = std::vector<std::pair<std::string, std::string>>;
  using TransactionFn = std::function<absl::Status(pqxx::work&)>;
  using TenantTransactionFn = std::function<absl::Status(TenantTxn&)>;

  PgPool(Options options, Statements statements);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // Runs `fn` in a read-committed transaction with no tenant set, so
  // row-level-secured tables show no rows. Commits only when `fn` returns OK;
  // an exception thrown by `fn` becomes a Status and rolls back.
  absl::Status WithTransaction(const TransactionFn& fn);

  // The same, after `SET LOCAL app.tenant_id` (SetTransactionTenant) inside
  // the transaction: the tenant holds for this transaction only. A tenant id
  // that is not a DNS label is INTERNAL, and `fn` is not called.
  absl::Status WithTenantTransaction(std::string_view tenant_id,
                                     const TransactionFn& fn);
  // The same, handing `fn` the transaction with its tenant (TenantTxn).
  absl::Status WithTenantTransaction(std::string_view tenant_id,
                                     const TenantTransactionFn& fn);

  const std::string& conninfo() const { return options_.conninfo; }

 private:
  using Connection = std::unique_ptr<pqxx::connection>;

  absl::Status Run(const std::string* tenant_id, const TransactionFn& fn);
  absl::StatusOr<Connection> Acquire();
  void Release(Connection connection, bool broken);

  const Options options_;
  const Statements statements_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Connection> idle_;
  int open_ = 0;  // idle + leased + being opened
};

}  // namespace adcp
