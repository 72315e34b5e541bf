// A fresh, migrated database in the throwaway PostgreSQL cluster that
// `./dev test` starts (it exports ADCP_TEST_PG_*). Dropped on destruction.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/base/secrets.h"
#include "libs/db/migrations.h"

namespace adcp::testing {

// The roles of the services that connect to the database (issue 28), each
// created by `./dev test` with LOGIN (ADCP_TEST_PG_<ROLE>[_PASSWORD]).
enum class ServiceRole { kRegistry, kAuth, kMediaBuy, kPurge };
inline constexpr ServiceRole kServiceRoles[] = {
    ServiceRole::kRegistry, ServiceRole::kAuth, ServiceRole::kMediaBuy,
    ServiceRole::kPurge};

class TestDatabase {
 public:
  // Creates database adcp_test_<random> owned by the owner role. Applies the
  // builtin migrations unless `migrate` is false. Fails (never skips) when
  // the cluster's variables are missing.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(
      bool migrate = true);
  ~TestDatabase();

  const std::string& name() const { return name_; }
  std::string SuperuserUrl(const std::string& database = "") const;
  std::string OwnerUrl() const;
  // Each service's own role; the purge role is the registry's hard delete.
  std::string RoleUrl(ServiceRole role) const;
  std::string RegistryUrl() const { return RoleUrl(ServiceRole::kRegistry); }
  std::string AuthUrl() const { return RoleUrl(ServiceRole::kAuth); }
  std::string MediaBuyUrl() const { return RoleUrl(ServiceRole::kMediaBuy); }
  std::string PurgeUrl() const { return RoleUrl(ServiceRole::kPurge); }
  const std::string& role_name(ServiceRole role) const;
  const std::string& role_password(ServiceRole role) const;
  // The role's conninfo through a server in front of this cluster (a
  // PgBouncer at `host`, a socket directory, and `port`) that serves this
  // database under its own name.
  std::string RoleUrlVia(ServiceRole role, const std::string& host,
                         const std::string& port) const;
  const std::string& host() const { return host_; }
  const std::string& port() const { return port_; }
  // The role names for adcp-migrate's grants (the legacy app role included:
  // it exists without LOGIN, and keeps no privilege after migration 0011).
  MigrationOptions migration_options() const;

  // Runs one statement as superuser on this database.
  absl::Status ExecAsSuperuser(const std::string& sql) const;
  // Runs one statement as superuser on the maintenance database (postgres).
  absl::Status ExecOnMaintenance(const std::string& sql) const;

 private:
  TestDatabase() = default;
  std::string Url(const std::string& user, const std::string& password,
                  const std::string& database) const;
  static std::string UrlAt(const std::string& host, const std::string& port,
                           const std::string& user, const std::string& password,
                           const std::string& database);

  std::string host_, port_, superuser_, superuser_password_, owner_,
      owner_password_;
  struct Login {
    std::string role, password;
  };
  std::string app_role_, name_;
  Login registry_, auth_, media_buy_, purge_;
  const Login& login(ServiceRole role) const;
};

// The text of a SQL file of the source tree that a test runs ("" if it
// cannot be read).
std::string ReadSqlFile(const std::string& path);

// Random test names and tokens come from adcp::RandomHex (secrets.h).
using ::adcp::RandomHex;

}  // namespace adcp::testing
