# Writes OUTPUT: a C++ source defining adcp::db::BuiltinMigrations() from the
# .sql files of MIGRATIONS_DIR. Run at build time (cmake -P).
file(GLOB files RELATIVE "${MIGRATIONS_DIR}" "${MIGRATIONS_DIR}/*.sql")
list(SORT files)
set(body "")
foreach(name ${files})
  file(READ "${MIGRATIONS_DIR}/${name}" sql)
  string(FIND "${sql}" ")adcp_sql\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${name} contains the raw-string delimiter )adcp_sql\"")
  endif()
  string(REGEX MATCH "^[0-9]+" version "${name}")
  if(version STREQUAL "")
    message(FATAL_ERROR "migration ${name}: expected NNNN_description.sql")
  endif()
  math(EXPR version "${version}")
  string(APPEND body "      {${version}, \"${name}\", R\"adcp_sql(${sql})adcp_sql\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
"// Generated from db/migrations by db/embed_migrations.cmake. Do not edit.
#include \"db/builtin_migrations.h\"

#include <algorithm>

namespace adcp::db {

const std::vector<Migration>& BuiltinMigrations() {
  static const auto* migrations = new std::vector<Migration>{
${body}  };
  return *migrations;
}

int LatestSchemaVersion() {
  int latest = 0;
  for (const Migration& m : BuiltinMigrations()) latest = std::max(latest, m.version);
  return latest;
}

}  // namespace adcp::db
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
file(REMOVE "${OUTPUT}.tmp")
