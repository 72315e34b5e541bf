// The SQL migrations of db/migrations/, compiled into the binary so that a
// deployed image needs no loose files.
#pragma once

#include <vector>

#include "libs/db/migrations.h"

namespace adcp::db {

const std::vector<Migration>& BuiltinMigrations();

// The schema version this build expects (the highest builtin version).
int LatestSchemaVersion();

}  // namespace adcp::db
