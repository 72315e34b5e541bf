#include "libs/db/migrations.h"

#include <algorithm>
#include <map>
#include <pqxx/pqxx>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/base/log.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "libs/db/pg_pool.h"

namespace adcp {
namespace {

// Any constant unique to this suite; pg_try_advisory_lock takes a bigint.
constexpr long long kMigrationLockKey = 0x41444350'4d494752LL;  // "ADCPMIGR"

constexpr char kCreateSchemaMigrations[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "  version integer PRIMARY KEY,"
    "  name text NOT NULL,"
    "  checksum text NOT NULL,"
    "  applied_at timestamptz NOT NULL DEFAULT now())";

// Runs one migration in `txn` and records it in schema_migrations.
absl::Status RunMigration(pqxx::work& txn, const Migration& migration) {
  try {
    txn.exec(migration.sql);
  } catch (const pqxx::sql_error& e) {
    return absl::InternalError(
        absl::StrCat("migration '", migration.name, "' failed: ", e.what()));
  }
  txn.exec_params(
      "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, "
      "$2, $3)",
      migration.version, migration.name,
      absl::BytesToHexString(Sha256(migration.sql)));
  return absl::OkStatus();
}

// The role settings the migrations read, for the transaction.
void SetRoleSettings(pqxx::work& txn, const MigrationOptions& options) {
  txn.exec_params(
      "SELECT set_config('adcp.app_role', $1, true), "
      "set_config('adcp.registry_role', $2, true), "
      "set_config('adcp.auth_role', $3, true), "
      "set_config('adcp.media_buy_role', $4, true), "
      "set_config('adcp.purge_role', $5, true)",
      options.app_role, options.registry_role, options.auth_role,
      options.media_buy_role, options.purge_role);
}

}  // namespace

absl::StatusOr<int> MigrationVersion(std::string_view filename_view) {
  const std::string filename(filename_view);
  const auto underscore = filename.find('_');
  int version = 0;
  if (underscore == std::string_view::npos || underscore == 0 ||
      !absl::EndsWith(filename, ".sql") ||
      !std::all_of(filename.begin(), filename.begin() + underscore,
                   absl::ascii_isdigit) ||
      !absl::SimpleAtoi(filename.substr(0, underscore), &version) ||
      version <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("migration file '", filename,
                     "': expected NNNN_description.sql with NNNN > 0"));
  }
  return version;
}

absl::StatusOr<MigrationReport> ApplyMigrations(
    const std::string& conninfo, std::vector<Migration> migrations,
    const MigrationOptions& options) {
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) {
              return a.version < b.version;
            });
  for (size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version == migrations[i - 1].version) {
      return absl::InvalidArgumentError(absl::StrCat(
          "migrations '", migrations[i - 1].name, "' and '", migrations[i].name,
          "' share version ", migrations[i].version));
    }
  }
  MigrationReport report;
  try {
    pqxx::connection connection(conninfo);
    {
      pqxx::nontransaction lock(connection);
      if (!lock.exec_params1("SELECT pg_try_advisory_lock($1)",
                             kMigrationLockKey)[0]
               .as<bool>()) {
        return absl::AbortedError(
            "another migration run holds the migration lock; not running "
            "concurrently");
      }
    }
    // Released before the connection closes: a backend frees a session lock
    // only once it has noticed the close, and a run right after this one
    // (another process, a test) would find it still held.
    struct Unlock {
      pqxx::connection& connection;
      ~Unlock() {
        try {
          pqxx::nontransaction unlock(connection);
          unlock.exec_params("SELECT pg_advisory_unlock($1)",
                             kMigrationLockKey);
        } catch (const std::exception&) {
          // The connection is gone: so is the lock.
        }
      }
    } unlock{connection};
    {
      pqxx::work txn(connection);
      txn.exec0(kCreateSchemaMigrations);
      txn.commit();
    }
    std::map<int, std::pair<std::string, std::string>>
        applied;  // version -> name, checksum
    {
      pqxx::read_transaction txn(connection);
      for (const auto& row :
           txn.exec("SELECT version, name, checksum FROM schema_migrations")) {
        applied[row[0].as<int>()] = {row[1].as<std::string>(),
                                     row[2].as<std::string>()};
        report.version = std::max(report.version, row[0].as<int>());
      }
    }
    for (const Migration& migration : migrations) {
      const std::string checksum =
          absl::BytesToHexString(Sha256(migration.sql));
      if (auto it = applied.find(migration.version); it != applied.end()) {
        if (it->second.second != checksum) {
          return absl::FailedPreconditionError(absl::StrCat(
              "migration '", migration.name,
              "' was changed after it was applied (checksum differs); "
              "add a new migration instead"));
        }
        continue;
      }
      if (migration.version < report.version) {
        return absl::FailedPreconditionError(
            absl::StrCat("migration '", migration.name,
                         "' is older than the applied version ", report.version,
                         "; renumber it"));
      }
      pqxx::work txn(connection);
      SetRoleSettings(txn, options);
      RETURN_IF_ERROR(RunMigration(txn, migration));
      txn.commit();
      log::Info("migration applied", {{"migration", migration.name}});
      report.applied.push_back(migration.name);
      report.version = migration.version;
    }
    // The session lock goes with the connection.
  } catch (const std::exception& e) {
    return PgExceptionToStatus(e);
  }
  return report;
}

absl::StatusOr<MigrationReport> ApplyAllMigrationsIn(
    pqxx::work& txn, std::vector<Migration> migrations,
    const MigrationOptions& options) {
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) {
              return a.version < b.version;
            });
  MigrationReport report;
  txn.exec0(kCreateSchemaMigrations);
  if (txn.exec1("SELECT count(*) FROM schema_migrations")[0].as<int>() != 0) {
    return absl::FailedPreconditionError(
        "schema_migrations is not empty: the database is already migrated");
  }
  SetRoleSettings(txn, options);
  for (const Migration& migration : migrations) {
    RETURN_IF_ERROR(RunMigration(txn, migration));
    report.applied.push_back(migration.name);
    report.version = migration.version;
  }
  return report;
}

}  // namespace adcp
