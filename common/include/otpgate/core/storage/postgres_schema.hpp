// The shared store's schema (store = postgresql): versioned migrations
// shipped inside otpgate (common/sql/NNN_*.sql, compiled in), applied by
// `otpgate store init` as the schema's owner, and the check every
// connection of a login makes before it trusts a row.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "otpgate/core/database/pg_connection.hpp"
#include "otpgate/core/primitives/result.hpp"

namespace otpgate::core {

// The newest schema this build knows; a database at a newer version is
// refused (rows of a newer otpgate are never half-understood).
inline constexpr int shared_store_schema_version = 1;

// One migration: its version and SQL, in order (versions 1, 2, ...).
struct SchemaMigration {
    int version = 0;
    std::string_view name;  // "001_shared_store"
    std::string_view sql;
};
const std::vector<SchemaMigration>& schema_migrations();

// For logins: ok when the schema's version is shared_store_schema_version.
// `unavailable` otherwise, with what to do: "the shared store has no
// otpgate schema: run otpgate store init", "... is at version 3, newer than
// this otpgate (1): upgrade otpgate on this host", "... at version 0 ...:
// run otpgate store init to upgrade it".
Result<void> check_schema_version(PgConnection& connection, Deadline deadline);

// The same check as a statement that the server refuses unless the schema
// is at shared_store_schema_version: sent first in a new connection's
// first pipeline, it keeps the statements after it from running against
// any other schema, at no extra round trip. When it is refused,
// check_schema_version() says why.
PgStatement schema_version_probe();

struct SchemaUpgrade {
    int from_version = 0;  // 0: there was no schema
    int to_version = 0;
    std::vector<std::string> applied;  // names of the migrations run
};

// `otpgate store init`, on a connection as the schema's owner: in one
// transaction (with an advisory lock, so two hosts running it at once take
// turns), creates schema `otpgate` if missing, applies every migration
// newer than the recorded version, and grants `login_role` exactly what
// logins need (docs/state-records.md): never CREATE, ALTER, DROP or
// TRUNCATE; audit rows may be added and read, never changed. Idempotent.
// A database newer than this build is refused and left untouched.
Result<SchemaUpgrade> upgrade_schema(PgConnection& owner_connection, std::string_view login_role,
                                     Deadline deadline);

}  // namespace otpgate::core
