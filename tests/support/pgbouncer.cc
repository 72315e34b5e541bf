#include "tests/support/pgbouncer.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "libs/base/status.h"
#include "tests/support/eventually.h"

namespace adcp::testing {
namespace {

constexpr char kPort[] = "6432";
constexpr char kAdminUser[] = "pgbouncer_admin";

// A value of the auth_file: double quotes doubled.
std::string Quoted(const std::string& value) {
  std::string quoted = "\"";
  for (char c : value)
    quoted += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream file(path);
  file << text;
  file.close();
  if (!file) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PgBouncer>> PgBouncer::Start(
    const TestDatabase& db, PgBouncerOptions options) {
  std::unique_ptr<PgBouncer> bouncer(new PgBouncer(db));
  char dir[] = "/tmp/adcp-pgbouncer-XXXXXX";
  if (mkdtemp(dir) == nullptr)
    return absl::InternalError("cannot create the PgBouncer directory");
  bouncer->dir_ = dir;
  bouncer->admin_password_ = RandomHex(16);

  std::string users = absl::StrCat(Quoted(kAdminUser), " ",
                                   Quoted(bouncer->admin_password_), "\n");
  for (ServiceRole role : kServiceRoles) {
    absl::StrAppend(&users, Quoted(db.role_name(role)), " ",
                    Quoted(db.role_password(role)), "\n");
  }
  RETURN_IF_ERROR(WriteFile(bouncer->dir_ + "/userlist.txt", users));
  // `options` (the services' statement and lock timeouts) is a startup
  // parameter PgBouncer 1.18 cannot forward: it is ignored, and the same
  // timeouts are set on every server connection by connect_query.
  RETURN_IF_ERROR(WriteFile(
      bouncer->dir_ + "/pgbouncer.ini",
      absl::StrCat(
          "[databases]\n", db.name(), " = host=", db.host(),
          " port=", db.port(), " dbname=", db.name(),
          " connect_query='SET statement_timeout = 15000; SET lock_timeout = "
          "5000'\n"
          "[pgbouncer]\n"
          "listen_addr =\n"
          "listen_port = ",
          kPort, "\n", "unix_socket_dir = ", bouncer->dir_, "\n",
          "auth_type = scram-sha-256\n"
          "auth_file = ",
          bouncer->dir_, "/userlist.txt\n", "admin_users = ", kAdminUser, "\n",
          "pool_mode = transaction\n"
          "default_pool_size = ",
          options.server_connections, "\n",
          "max_client_conn = 500\n"
          "ignore_startup_parameters = options\n"
          "logfile =\npidfile =\n")));

  std::vector<std::string> args;
  if (geteuid() == 0) {
    const passwd* postgres = getpwnam("postgres");
    if (postgres == nullptr)
      return absl::FailedPreconditionError(
          "PgBouncer refuses root and there is no postgres user");
    for (const auto& entry : std::filesystem::directory_iterator(dir))
      (void)chown(entry.path().c_str(), postgres->pw_uid, postgres->pw_gid);
    if (chown(dir, postgres->pw_uid, postgres->pw_gid) != 0)
      return absl::InternalError("cannot hand the directory to postgres");
    args = {"-u", "postgres"};
  }
  args.push_back(bouncer->dir_ + "/pgbouncer.ini");
  const char* binary = std::getenv("PGBOUNCER");
  bouncer->process_ = ChildProcess::Launch(
      binary != nullptr ? binary : "/usr/sbin/pgbouncer", {}, args);

  const bool accepting = Eventually(
      [&] {
        PGconn* console = PQconnectdb(bouncer->AdminUrl().c_str());
        const bool up = PQstatus(console) == CONNECTION_OK;
        PQfinish(console);
        return up;
      },
      absl::Seconds(10));
  if (!accepting) {
    return absl::UnavailableError(
        absl::StrCat("pgbouncer did not start: ", bouncer->Log()));
  }
  return bouncer;
}

PgBouncer::~PgBouncer() {
  process_.reset();  // SIGKILL and wait
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string PgBouncer::RoleUrl(ServiceRole role) const {
  return db_.RoleUrlVia(role, dir_, kPort);
}

std::string PgBouncer::AdminUrl() const {
  return absl::StrCat("host=", dir_, " port=", kPort,
                      " dbname=pgbouncer user=", kAdminUser,
                      " password=", admin_password_, " connect_timeout=5");
}

absl::StatusOr<std::vector<std::map<std::string, std::string>>> PgBouncer::Show(
    const std::string& what) const {
  PGconn* console = PQconnectdb(AdminUrl().c_str());
  if (PQstatus(console) != CONNECTION_OK) {
    const std::string error = PQerrorMessage(console);
    PQfinish(console);
    return absl::UnavailableError(error);
  }
  PGresult* result = PQexec(console, ("SHOW " + what).c_str());
  std::vector<std::map<std::string, std::string>> rows;
  const bool ok = PQresultStatus(result) == PGRES_TUPLES_OK;
  const std::string error = ok ? "" : PQerrorMessage(console);
  for (int row = 0; ok && row < PQntuples(result); ++row) {
    auto& columns = rows.emplace_back();
    for (int column = 0; column < PQnfields(result); ++column)
      columns[PQfname(result, column)] = PQgetvalue(result, row, column);
  }
  PQclear(result);
  PQfinish(console);
  if (!ok) return absl::InternalError(error);
  return rows;
}

absl::StatusOr<long long> PgBouncer::TransactionsServed() const {
  ASSIGN_OR_RETURN(const auto rows, Show("STATS"));
  for (const auto& row : rows) {
    if (row.at("database") == db_.name())
      return std::stoll(row.at("total_xact_count"));
  }
  return absl::NotFoundError("SHOW STATS has no row for the database");
}

std::string PgBouncer::Log() const { return process_ ? process_->Log() : ""; }

}  // namespace adcp::testing
