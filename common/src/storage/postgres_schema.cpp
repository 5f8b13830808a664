#include "otpgate/core/storage/postgres_schema.hpp"

#include <charconv>
#include <optional>

#include "sql_statements.hpp"

namespace otpgate::core {
namespace {

// Taken for the transaction of `otpgate store init`, so that hosts running
// it at once take turns: the second finds the work done.
constexpr std::string_view upgrade_lock_key = "7308619590286275840";

// What the login role may do, each statement made server-side with
// format('%I') so that any role name is quoted as the server quotes it.
// Everything is revoked first, so a right granted by hand (or by an older
// otpgate) does not linger; docs/state-records.md explains each grant.
constexpr std::string_view login_role_grants[] = {
    "REVOKE ALL ON ALL TABLES IN SCHEMA otpgate FROM %I",
    "REVOKE ALL ON ALL SEQUENCES IN SCHEMA otpgate FROM %I",
    "REVOKE ALL ON SCHEMA otpgate FROM %I",
    "GRANT USAGE ON SCHEMA otpgate TO %I",
    "GRANT SELECT ON otpgate.schema_version TO %I",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON otpgate.enrollments, otpgate.user_states, "
    "otpgate.sms_sends TO %I",
    "GRANT SELECT, UPDATE ON otpgate.sms_reservation TO %I",
    "GRANT SELECT, INSERT ON otpgate.fleet_secrets, otpgate.audit_log TO %I",
    "GRANT USAGE ON SEQUENCE otpgate.audit_log_id_seq TO %I",
};

// Nobody but the owner creates objects in the schema or reads its rows.
constexpr std::string_view public_revokes[] = {
    "REVOKE CREATE ON SCHEMA otpgate FROM PUBLIC",
    "REVOKE ALL ON ALL TABLES IN SCHEMA otpgate FROM PUBLIC",
    "REVOKE ALL ON ALL SEQUENCES IN SCHEMA otpgate FROM PUBLIC",
};

std::optional<long long> as_integer(const PgResult& result, int row, int column) {
    const auto text = result.value(row, column);
    if (!text) {
        return std::nullopt;
    }
    long long number = 0;
    const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), number);
    if (error != std::errc{} || end != text->data() + text->size()) {
        return std::nullopt;
    }
    return number;
}

Error with_context(const Error& error, std::string_view what) {
    return make_error(error.kind, std::string(what) + ": " + error.message);
}

Result<int> version_of(const PgResult& version) {
    const auto number = version.rows() == 1 ? as_integer(version, 0, 0) : std::nullopt;
    if (!number || *number < 0 || *number > 1'000'000) {
        return make_error(ErrorKind::corrupt,
                          "the shared store's otpgate.schema_version holds no valid version");
    }
    return static_cast<int>(*number);
}

constexpr std::string_view newest_version_query =
    "SELECT coalesce(max(version), 0) FROM otpgate.schema_version";

// 0 when the schema or its version table is missing.
Result<int> recorded_version(PgConnection& connection, Deadline deadline) {
    auto table =
        connection.exec("SELECT to_regclass('otpgate.schema_version') IS NOT NULL", {}, deadline);
    if (!table) {
        return with_context(table.error(), "cannot read the shared store's schema version");
    }
    if (table->rows() != 1 || table->value(0, 0) != std::optional<std::string_view>("t")) {
        return 0;
    }
    auto version = connection.exec(newest_version_query, {}, deadline);
    if (!version) {
        return with_context(version.error(), "cannot read the shared store's schema version");
    }
    return version_of(*version);
}

// The same in one round trip, for the connection of every login: outside a
// transaction a missing table only fails the statement (42P01 undefined
// table, 3F000 no such schema), which then reads as version 0.
Result<int> recorded_version_at_connect(PgConnection& connection, Deadline deadline) {
    if (connection.transaction_status() != PQTRANS_IDLE) {
        return recorded_version(connection, deadline);
    }
    auto version = connection.exec(newest_version_query, {}, deadline);
    if (version) {
        return version_of(*version);
    }
    const std::string& state = connection.last_sqlstate();
    if (!connection.broken() && (state == "42P01" || state == "3F000")) {
        return 0;
    }
    return with_context(version.error(), "cannot read the shared store's schema version");
}

std::string newer_schema_message(int version) {
    return "the shared store's schema is at version " + std::to_string(version) +
           ", newer than this otpgate (" + std::to_string(shared_store_schema_version) +
           "): upgrade otpgate on this host";
}

// The statement `pattern` with the role quoted by the server, then run.
Result<void> run_for_role(PgConnection& connection, std::string_view pattern, std::string_view role,
                          Deadline deadline) {
    auto statement = connection.exec("SELECT format($1, $2::text)", {pattern, role}, deadline);
    if (!statement) {
        return statement.error();
    }
    const auto text = statement->rows() == 1 ? statement->value(0, 0) : std::nullopt;
    if (!text) {
        return make_error(ErrorKind::io, "format() gave no statement");
    }
    auto done = connection.exec(std::string(*text), {}, deadline);
    if (!done) {
        return done.error();
    }
    return {};
}

// The login role must exist, be another role than the owner, and own
// nothing in the schema (an owner may alter and drop what it owns,
// whatever is granted).
Result<void> check_login_role(PgConnection& connection, std::string_view role, Deadline deadline) {
    auto facts = connection.exec(
        "SELECT r.rolname = current_user, r.rolsuper, "
        "  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "   WHERE n.nspname = 'otpgate' AND c.relowner = r.oid) "
        "  + (SELECT count(*) FROM pg_namespace n WHERE n.nspname = 'otpgate' "
        "     AND n.nspowner = r.oid) "
        "FROM pg_roles r WHERE r.rolname = $1",
        {role}, deadline);
    if (!facts) {
        return with_context(facts.error(), "cannot look up the login role");
    }
    const std::string name(role);
    if (facts->rows() != 1) {
        return make_error(ErrorKind::invalid_input,
                          "the login role " + name +
                              " (the user of store_url) does not exist in the database server");
    }
    if (facts->value(0, 0) == std::optional<std::string_view>("t")) {
        return make_error(ErrorKind::invalid_input,
                          "the login role " + name +
                              " is the schema's owner: store_url must name another role, with "
                              "only the rights logins need (--owner names the owner)");
    }
    if (facts->value(0, 1) == std::optional<std::string_view>("t")) {
        return make_error(ErrorKind::invalid_input,
                          "the login role " + name +
                              " is a superuser, which no grant can limit: give store_url an "
                              "ordinary role");
    }
    if (as_integer(*facts, 0, 2).value_or(1) != 0) {
        return make_error(ErrorKind::invalid_input,
                          "the login role " + name +
                              " owns the schema otpgate or objects in it, and could alter or drop "
                              "them: make the owner role own them (ALTER ... OWNER TO)");
    }
    return {};
}

// Everything of upgrade_schema() between BEGIN and COMMIT.
Result<SchemaUpgrade> upgrade_in_transaction(PgConnection& connection, std::string_view login_role,
                                             Deadline deadline) {
    if (auto locked = connection.exec("SELECT pg_advisory_xact_lock($1::bigint)",
                                      {upgrade_lock_key}, deadline);
        !locked) {
        return with_context(locked.error(), "cannot take the schema upgrade lock");
    }
    auto from = recorded_version(connection, deadline);
    if (!from) {
        return from.error();
    }
    if (*from > shared_store_schema_version) {
        return make_error(ErrorKind::unavailable, newer_schema_message(*from));
    }
    SchemaUpgrade upgrade{*from, *from, {}};

    // CREATE SCHEMA IF NOT EXISTS would still need CREATE on the database,
    // which an owner given the schema by the administrator may lack.
    auto schema = connection.exec("SELECT to_regnamespace('otpgate') IS NOT NULL", {}, deadline);
    if (!schema) {
        return with_context(schema.error(), "cannot look for the schema otpgate");
    }
    if (schema->value(0, 0) != std::optional<std::string_view>("t")) {
        if (auto made = connection.exec("CREATE SCHEMA otpgate", {}, deadline); !made) {
            return with_context(made.error(), "cannot create the schema otpgate");
        }
    }
    for (const SchemaMigration& migration : schema_migrations()) {
        if (migration.version <= *from) {
            continue;
        }
        const std::string what = "migration " + std::string(migration.name);
        for (const std::string& statement : split_sql_statements(migration.sql)) {
            if (auto done = connection.exec(statement, {}, deadline); !done) {
                return with_context(done.error(), what);
            }
        }
        const std::string version = std::to_string(migration.version);
        if (auto recorded =
                connection.exec("INSERT INTO otpgate.schema_version (version) VALUES ($1::integer)",
                                {version}, deadline);
            !recorded) {
            return with_context(recorded.error(), what);
        }
        upgrade.applied.emplace_back(migration.name);
        upgrade.to_version = migration.version;
    }

    if (auto role = check_login_role(connection, login_role, deadline); !role) {
        return role.error();
    }
    for (const std::string_view statement : public_revokes) {
        if (auto done = connection.exec(statement, {}, deadline); !done) {
            return with_context(done.error(), "cannot take rights from PUBLIC");
        }
    }
    for (const std::string_view pattern : login_role_grants) {
        if (auto done = run_for_role(connection, pattern, login_role, deadline); !done) {
            return with_context(done.error(),
                                "cannot grant the login role " + std::string(login_role));
        }
    }
    return upgrade;
}

}  // namespace

Result<void> check_schema_version(PgConnection& connection, Deadline deadline) {
    auto version = recorded_version_at_connect(connection, deadline);
    if (!version) {
        return version.error();
    }
    if (*version == shared_store_schema_version) {
        return {};
    }
    if (*version == 0) {
        return make_error(ErrorKind::unavailable,
                          "the shared store has no otpgate schema: run otpgate store init");
    }
    if (*version > shared_store_schema_version) {
        return make_error(ErrorKind::unavailable, newer_schema_message(*version));
    }
    return make_error(ErrorKind::unavailable, "the shared store's schema is at version " +
                                                  std::to_string(*version) +
                                                  ", older than this otpgate (" +
                                                  std::to_string(shared_store_schema_version) +
                                                  "): run otpgate store init to upgrade it");
}

PgStatement schema_version_probe() {
    // The cast of a text to int fails (SQLSTATE 22P02) for any other
    // version; the server evaluates it only then, as it depends on a row.
    static const std::string expected = std::to_string(shared_store_schema_version);
    return {
        "SELECT CASE WHEN max(version) = $1::int THEN max(version) "
        "ELSE ('otpgate schema version ' || coalesce(max(version), 0))::int END "
        "FROM otpgate.schema_version",
        {expected}};
}

Result<SchemaUpgrade> upgrade_schema(PgConnection& owner_connection, std::string_view login_role,
                                     Deadline deadline) {
    if (login_role.empty()) {
        return make_error(ErrorKind::invalid_input,
                          "no login role: store_url must name the user logins connect as");
    }
    if (auto begun = owner_connection.exec("BEGIN", {}, deadline); !begun) {
        return with_context(begun.error(), "cannot begin the schema upgrade");
    }
    auto upgrade = upgrade_in_transaction(owner_connection, login_role, deadline);
    if (upgrade) {
        if (auto committed = owner_connection.exec("COMMIT", {}, deadline); !committed) {
            return with_context(committed.error(),
                                "the schema upgrade did not commit; nothing was changed");
        }
        return upgrade;
    }
    if (!owner_connection.broken()) {
        // What fails after BEGIN leaves nothing behind: the whole
        // transaction goes (a broken connection is rolled back by the server).
        (void)owner_connection.exec("ROLLBACK", {}, deadline);
    }
    return upgrade;
}

}  // namespace otpgate::core
