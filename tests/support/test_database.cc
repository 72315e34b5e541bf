#include "tests/support/test_database.h"

#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "db/builtin_migrations.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "libs/db/migrations.h"

namespace adcp::testing {
namespace {

absl::StatusOr<std::string> Var(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    return absl::FailedPreconditionError(
        absl::StrCat(name,
                     " is not set: database tests run under `./dev test`, "
                     "which starts PostgreSQL"));
  }
  return std::string(value);
}

absl::Status Exec(const std::string& url, const std::string& sql) {
  try {
    pqxx::connection connection(url);
    pqxx::nontransaction txn(connection);
    txn.exec(sql);
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(sql, ": ", e.what()));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(
    bool migrate) {
  std::unique_ptr<TestDatabase> db(new TestDatabase());
  ASSIGN_OR_RETURN(db->host_, Var("ADCP_TEST_PG_HOST"));
  ASSIGN_OR_RETURN(db->port_, Var("ADCP_TEST_PG_PORT"));
  ASSIGN_OR_RETURN(db->superuser_, Var("ADCP_TEST_PG_SUPERUSER"));
  ASSIGN_OR_RETURN(db->superuser_password_,
                   Var("ADCP_TEST_PG_SUPERUSER_PASSWORD"));
  ASSIGN_OR_RETURN(db->owner_, Var("ADCP_TEST_PG_OWNER"));
  ASSIGN_OR_RETURN(db->owner_password_, Var("ADCP_TEST_PG_OWNER_PASSWORD"));
  ASSIGN_OR_RETURN(db->app_role_, Var("ADCP_TEST_PG_APP"));
  const std::pair<Login*, const char*> logins[] = {
      {&db->registry_, "ADCP_TEST_PG_REGISTRY"},
      {&db->auth_, "ADCP_TEST_PG_AUTH"},
      {&db->media_buy_, "ADCP_TEST_PG_MEDIA_BUY"},
      {&db->purge_, "ADCP_TEST_PG_PURGE"}};
  for (const auto& [login, variable] : logins) {
    ASSIGN_OR_RETURN(login->role, Var(variable));
    ASSIGN_OR_RETURN(login->password,
                     Var(absl::StrCat(variable, "_PASSWORD").c_str()));
  }
  db->name_ = absl::StrCat("adcp_test_", RandomHex(6));
  RETURN_IF_ERROR(db->ExecOnMaintenance(
      absl::StrCat("CREATE DATABASE ", db->name_, " OWNER ", db->owner_)));
  if (migrate) {
    RETURN_IF_ERROR(ApplyMigrations(db->OwnerUrl(), db::BuiltinMigrations(),
                                    db->migration_options())
                        .status());
  }
  return db;
}

TestDatabase::~TestDatabase() {
  (void)ExecOnMaintenance(
      absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"));
}

std::string TestDatabase::Url(const std::string& user,
                              const std::string& password,
                              const std::string& database) const {
  return UrlAt(host_, port_, user, password, database);
}

std::string TestDatabase::UrlAt(const std::string& host,
                                const std::string& port,
                                const std::string& user,
                                const std::string& password,
                                const std::string& database) {
  return absl::StrCat("host=", host, " port=", port, " dbname=", database,
                      " user=", user, " password=", password,
                      " connect_timeout=5");
}

std::string TestDatabase::SuperuserUrl(const std::string& database) const {
  return Url(superuser_, superuser_password_,
             database.empty() ? name_ : database);
}
std::string TestDatabase::OwnerUrl() const {
  return Url(owner_, owner_password_, name_);
}
const TestDatabase::Login& TestDatabase::login(ServiceRole role) const {
  switch (role) {
    case ServiceRole::kRegistry:
      return registry_;
    case ServiceRole::kAuth:
      return auth_;
    case ServiceRole::kMediaBuy:
      return media_buy_;
    case ServiceRole::kPurge:
      break;
  }
  return purge_;
}

std::string TestDatabase::RoleUrl(ServiceRole role) const {
  return Url(login(role).role, login(role).password, name_);
}

const std::string& TestDatabase::role_name(ServiceRole role) const {
  return login(role).role;
}

const std::string& TestDatabase::role_password(ServiceRole role) const {
  return login(role).password;
}

std::string TestDatabase::RoleUrlVia(ServiceRole role, const std::string& host,
                                     const std::string& port) const {
  return UrlAt(host, port, login(role).role, login(role).password, name_);
}

MigrationOptions TestDatabase::migration_options() const {
  return {.app_role = app_role_,
          .registry_role = registry_.role,
          .auth_role = auth_.role,
          .media_buy_role = media_buy_.role,
          .purge_role = purge_.role};
}

absl::Status TestDatabase::ExecAsSuperuser(const std::string& sql) const {
  return Exec(SuperuserUrl(), sql);
}

absl::Status TestDatabase::ExecOnMaintenance(const std::string& sql) const {
  return Exec(SuperuserUrl("postgres"), sql);
}

std::string ReadSqlFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace adcp::testing
