// A fixed-size pool of PostgreSQL connections (libpqxx) with its named
// statements (prepared per connection, or sent with their parameters each
// time for PgBouncer's transaction pooling), and the only place that sets the
// tenant of a transaction for row-level security.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <unordered_map>
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
// Behind PgBouncer, which drops `options`, set it on the database instead
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

// How a pool runs its named statements. kPrepared prepares each on every
// connection (one parse per connection). kUnprepared sends the same SQL with
// its parameters on every call (PQexecParams, the unnamed statement), which
// is what works through PgBouncer in transaction pooling: 1.18 hands each
// transaction whichever server connection is free, and a statement prepared
// on one is unknown (or already taken) on another.
enum class StatementMode { kPrepared, kUnprepared };

// "prepared" or "unprepared"; anything else is INVALID_ARGUMENT naming
// `variable` and the accepted values.
absl::StatusOr<StatementMode> ParseStatementMode(std::string_view variable,
                                                 std::string_view value);
std::string_view StatementModeName(StatementMode mode);

// A read-committed transaction of a PgPool. Exec runs one of the pool's named
// statements in the pool's StatementMode; exec_prepared is hidden here so that
// nothing bypasses the mode (the raw pqxx::work calls remain for SQL that is
// not one of the pool's statements).
class PgTxn : public pqxx::work {
 public:
  // name -> SQL of the pool's statements.
  using StatementSql = std::unordered_map<std::string, std::string>;

  PgTxn(pqxx::connection& connection, const StatementSql& sql,
        StatementMode mode)
      // libpqxx 6's transactions inherit its name holder virtually, so the
      // most derived class names it (as pqxx::work would).
      : pqxx::internal::namedclass("transaction<READ COMMITTED>"),
        pqxx::work(connection),
        sql_(sql),
        mode_(mode) {}

  // The named statement with `args` as $1, $2, ...
  template <typename... Args>
  pqxx::result Exec(const std::string& statement, Args&&... args) {
    if (mode_ == StatementMode::kPrepared)
      return pqxx::work::exec_prepared(statement, std::forward<Args>(args)...);
    return exec_params(SqlOf(statement), std::forward<Args>(args)...);
  }
  // The same, for a statement that must return no rows.
  template <typename... Args>
  pqxx::result Exec0(const std::string& statement, Args&&... args) {
    if (mode_ == StatementMode::kPrepared)
      return pqxx::work::exec_prepared0(statement, std::forward<Args>(args)...);
    return exec_params0(SqlOf(statement), std::forward<Args>(args)...);
  }
  // The same, for a statement that must return exactly one row.
  template <typename... Args>
  pqxx::row Exec1(const std::string& statement, Args&&... args) {
    if (mode_ == StatementMode::kPrepared)
      return pqxx::work::exec_prepared1(statement, std::forward<Args>(args)...);
    return exec_params1(SqlOf(statement), std::forward<Args>(args)...);
  }

  template <typename... Args>
  pqxx::result exec_prepared(Args&&...) = delete;
  template <typename... Args>
  pqxx::result exec_prepared0(Args&&...) = delete;
  template <typename... Args>
  pqxx::row exec_prepared1(Args&&...) = delete;

 private:
  // The SQL of a statement the pool does not know is a bug of the caller:
  // std::logic_error, as libpqxx throws for an unknown prepared statement.
  const std::string& SqlOf(const std::string& statement) const;

  const StatementSql& sql_;
  const StatementMode mode_;
};

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
  PgTxn& work() { return work_; }

  // The pool's statement `statement` with the tenant as $1 and `args` as
  // $2, $3, ... (PgTxn::Exec / Exec0).
  template <typename... Args>
  pqxx::result Exec(const std::string& statement, Args&&... args) {
    return work_.Exec(statement, tenant_id_, std::forward<Args>(args)...);
  }
  // The same, for a statement that must return no rows.
  template <typename... Args>
  pqxx::result Exec0(const std::string& statement, Args&&... args) {
    return work_.Exec0(statement, tenant_id_, std::forward<Args>(args)...);
  }

 private:
  friend class PgPool;
  TenantTxn(PgTxn& work, std::string tenant_id)
      : work_(work), tenant_id_(std::move(tenant_id)) {}

  PgTxn& work_;
  const std::string tenant_id_;
};

class PgPool {
 public:
  struct Options {
    std::string conninfo;
    int size = 8;
    absl::Duration acquire_timeout = absl::Seconds(5);
    StatementMode statement_mode = StatementMode::kPrepared;
  };
  // name -> SQL, the statements PgTxn::Exec runs (in kPrepared mode prepared
  // on every connection of the pool).
  using Statements = std::vector<std::pair<std::string, std::string>>;
  using TransactionFn = std::function<absl::Status(PgTxn&)>;
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
  // The statements by name.
  const PgTxn::StatementSql sql_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Connection> idle_;
  int open_ = 0;  // idle + leased + being opened
};

}  // namespace adcp
