# Run as `cmake -DSQL_DIR=... -DOUTPUT=... -P embed_migrations.cmake`: writes
# OUTPUT, a C++ file defining otpgate::core::schema_migrations() with every
# SQL_DIR/NNN_name.sql as a raw string literal, in version order. Versions
# must run 1, 2, 3, ... without a gap, so that a missing file cannot go
# unnoticed.
file(GLOB sql_files "${SQL_DIR}/[0-9][0-9][0-9]_*.sql")
list(SORT sql_files)
set(delimiter "otpgate_sql")
set(entries "")
set(expected 1)
foreach(sql_file IN LISTS sql_files)
  get_filename_component(name "${sql_file}" NAME_WE)
  string(SUBSTRING "${name}" 0 3 digits)
  math(EXPR version "${digits}")
  if(NOT version EQUAL expected)
    message(FATAL_ERROR "${sql_file}: expected migration number ${expected}")
  endif()
  math(EXPR expected "${expected} + 1")
  file(READ "${sql_file}" sql)
  string(FIND "${sql}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${sql_file} contains the literal's delimiter )${delimiter}\"")
  endif()
  string(APPEND entries
         "        {${version}, \"${name}\", R\"${delimiter}(${sql})${delimiter}\"},\n")
endforeach()
if(expected EQUAL 1)
  message(FATAL_ERROR "no migrations in ${SQL_DIR}")
endif()
math(EXPR newest "${expected} - 1")
set(text "// Generated from common/sql/*.sql by embed_migrations.cmake: do not edit.
#include \"otpgate/core/storage/postgres_schema.hpp\"

namespace otpgate::core {

static_assert(shared_store_schema_version == ${newest},
              \"shared_store_schema_version must name the newest file of common/sql\");

const std::vector<SchemaMigration>& schema_migrations() {
    static const std::vector<SchemaMigration> migrations{
${entries}    };
    return migrations;
}

}  // namespace otpgate::core
")
# Rewritten only when it changes, so that nothing is rebuilt for nothing.
file(WRITE "${OUTPUT}.new" "${text}")
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.new")
