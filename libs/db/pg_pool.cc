#include "libs/db/pg_pool.h"

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "libs/base/identifiers.h"
#include "libs/base/log.h"
#include "libs/base/status.h"

namespace adcp {

absl::StatusOr<StatementMode> ParseStatementMode(std::string_view variable,
                                                 std::string_view value) {
  if (value == "prepared") return StatementMode::kPrepared;
  if (value == "unprepared") return StatementMode::kUnprepared;
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(variable), ": must be prepared or unprepared"));
}

std::string_view StatementModeName(StatementMode mode) {
  return mode == StatementMode::kPrepared ? "prepared" : "unprepared";
}

const std::string& PgTxn::SqlOf(const std::string& statement) const {
  const auto found = sql_.find(statement);
  if (found == sql_.end())
    throw std::logic_error("unknown statement " + statement);
  return found->second;
}

std::string WithConnectionDefaults(const std::string& conninfo) {
  const bool uri = conninfo.rfind("postgres://", 0) == 0 ||
                   conninfo.rfind("postgresql://", 0) == 0;
  std::string result = conninfo;
  const std::pair<const char*, const char*> defaults[] = {
      {"connect_timeout", "5"},
      {"keepalives", "1"},
      {"keepalives_idle", "10"},
      {"keepalives_interval", "5"},
      {"keepalives_count", "3"},
      {"options",
       "-c statement_timeout=15000 -c lock_timeout=5000 "
       "-c citus.propagate_set_commands=local"}};
  for (const auto& [key, value] : defaults) {
    if (conninfo.find(std::string(key) + "=") != std::string::npos) continue;
    if (uri) {
      std::string encoded = value;
      for (size_t at; (at = encoded.find(' ')) != std::string::npos;)
        encoded.replace(at, 1, "%20");
      for (size_t at; (at = encoded.find('=')) != std::string::npos;)
        encoded.replace(at, 1, "%3D");
      result += (result.find('?') == std::string::npos ? "?" : "&");
      result += std::string(key) + "=" + encoded;
    } else {
      result += " " + std::string(key) + "='" + value + "'";
    }
  }
  return result;
}

absl::Status SetTransactionTenant(pqxx::transaction_base& txn,
                                  std::string_view tenant_id) {
  if (!IsDnsLabel(tenant_id))
    return absl::InvalidArgumentError(
        "tenant_id: must be a DNS label (1-63 of a-z, 0-9 and '-')");
  // SET takes no bind parameters: the id (a DNS label, checked above) goes
  // in as a literal quoted by libpq.
  txn.exec0("SET LOCAL app.tenant_id = " + txn.quote(std::string(tenant_id)));
  return absl::OkStatus();
}

std::string ViolatedConstraint(const pqxx::sql_error& e) {
  // libpqxx 6 does not expose PG_DIAG_CONSTRAINT_NAME; the server's message
  // is `... violates unique constraint "name"`.
  const std::string_view what = e.what();
  const auto marker = what.find("constraint \"");
  if (marker == std::string_view::npos) return "";
  const auto start = marker + 12;
  const auto end = what.find('"', start);
  if (end == std::string_view::npos) return "";
  return std::string(what.substr(start, end - start));
}

absl::Status PgExceptionToStatus(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    log::Warn("database connection lost", {{"error", e.what()}});
    return absl::UnavailableError("database unavailable");
  }
  // libpqxx 6 throws a subclass per SQLSTATE class but does not always fill
  // sqlstate(), so the type decides.
  if (dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr) {
    return absl::AlreadyExistsError("already exists");
  }
  if (dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr) {
    return absl::AbortedError("transaction conflict; retry");
  }
  if (dynamic_cast<const pqxx::insufficient_privilege*>(&e) != nullptr) {
    // Row-level security or a missing grant: a bug in the caller, never a
    // user error; the detail stays in the log.
    log::Error("database refused the operation", {{"error", e.what()}});
    return absl::PermissionDeniedError("database refused the operation");
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string& state = sql->sqlstate();
    if (state == "57014" || std::string_view(e.what()).find(
                                "statement timeout") != std::string_view::npos)
      return absl::DeadlineExceededError("database statement timed out");
    if (state.rfind("57P", 0) == 0 || state.rfind("08", 0) == 0) {
      log::Warn("database unavailable",
                {{"error", e.what()}, {"sqlstate", state}});
      return absl::UnavailableError("database unavailable");
    }
    log::Error("database error", {{"error", e.what()}, {"sqlstate", state}});
    return absl::InternalError("database error");
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    log::Error("transaction outcome unknown", {{"error", e.what()}});
    return absl::UnavailableError(
        "database connection lost during commit; outcome unknown");
  }
  log::Error("unexpected error in transaction", {{"error", e.what()}});
  return absl::InternalError("internal error");
}

PgPool::PgPool(Options options, Statements statements)
    : options_([&] {
        options.conninfo = WithConnectionDefaults(options.conninfo);
        return std::move(options);
      }()),
      sql_(statements.begin(), statements.end()) {}

PgPool::~PgPool() = default;

absl::StatusOr<PgPool::Connection> PgPool::Acquire() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    const bool ready = available_.wait_for(
        lock, absl::ToChronoMilliseconds(options_.acquire_timeout),
        [&] { return !idle_.empty() || open_ < options_.size; });
    if (!ready)
      return absl::UnavailableError("database busy: no free connection");
    if (!idle_.empty()) {
      Connection connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    ++open_;
  }
  try {
    auto connection = std::make_unique<pqxx::connection>(options_.conninfo);
    if (options_.statement_mode == StatementMode::kPrepared) {
      for (const auto& [name, sql] : sql_) connection->prepare(name, sql);
    }
    return connection;
  } catch (const std::exception& e) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --open_;
    }
    available_.notify_one();
    log::Warn("database connect failed", {{"error", e.what()}});
    return absl::UnavailableError("database unavailable");
  }
}

void PgPool::Release(Connection connection, bool broken) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (broken) {
      // After a server restart every idle connection is stale too; dropping
      // them now spares the next callers one failed request each.
      open_ -= 1 + static_cast<int>(idle_.size());
      idle_.clear();
    } else {
      idle_.push_back(std::move(connection));
    }
  }
  // One connection back is for one waiter: waking them all (24 callers
  // waiting on a pool of 8 under ./dev bench's CreateMediaBuy) put every
  // one on a CPU to find it taken. Dropped connections free several slots.
  if (broken) {
    available_.notify_all();
  } else {
    available_.notify_one();
  }
}

absl::Status PgPool::Run(const std::string* tenant_id,
                         const TransactionFn& fn) {
  ASSIGN_OR_RETURN(Connection connection, Acquire());
  absl::Status status;
  bool broken = false;
  try {
    PgTxn txn(*connection, sql_, options_.statement_mode);
    if (tenant_id != nullptr) status = SetTransactionTenant(txn, *tenant_id);
    if (status.ok()) status = fn(txn);
    if (status.ok()) txn.commit();
  } catch (const std::exception& e) {
    broken = dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
             dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr ||
             !connection->is_open();
    status = PgExceptionToStatus(e);
  }
  Release(std::move(connection), broken);
  return status;
}

absl::Status PgPool::WithTransaction(const TransactionFn& fn) {
  return Run(nullptr, fn);
}

absl::Status PgPool::WithTenantTransaction(std::string_view tenant_id,
                                           const TransactionFn& fn) {
  if (tenant_id.empty())
    return absl::InternalError("tenant transaction without a tenant");
  if (!IsDnsLabel(tenant_id))
    return absl::InternalError("tenant transaction for a malformed tenant id");
  const std::string tenant(tenant_id);
  return Run(&tenant, fn);
}

absl::Status PgPool::WithTenantTransaction(std::string_view tenant_id,
                                           const TenantTransactionFn& fn) {
  return WithTenantTransaction(tenant_id, [&](PgTxn& work) {
    TenantTxn txn(work, std::string(tenant_id));
    return fn(txn);
  });
}

}  // namespace adcp
