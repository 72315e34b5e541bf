// A fresh, migrated database in the throwaway PostgreSQL cluster that
// `./dev test` starts (it exports ADCP_TEST_PG_*). Dropped on destruction.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/base/secrets.h"

namespace adcp::testing {

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
  std::string AppUrl() const;
  const std::string& app_role() const { return app_role_; }

  // Runs one statement as superuser on this database.
  absl::Status ExecAsSuperuser(const std::string& sql) const;
  // Runs one statement as superuser on the maintenance database (postgres).
  absl::Status ExecOnMaintenance(const std::string& sql) const;

 private:
  TestDatabase() = default;
  std::string Url(const std::string& user, const std::string& password,
                  const std::string& database) const;

  std::string host_, port_, superuser_, superuser_password_, owner_,
      owner_password_;
  std::string app_role_, app_password_, name_;
};

// Random test names and tokens come from adcp::RandomHex (secrets.h).
using ::adcp::RandomHex;

}  // namespace adcp::testing
