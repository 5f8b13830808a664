// otpgate store check: whether this host can use the shared store, one
// line per fact: libpq, the connection (hosts tried, the one that
// answered), TLS (and the client certificate store_url names, if any),
// the server, the schema version, the login role's rights (its own or held
// as a member of another role, as PostgreSQL's privilege checks count them),
// store_key, and the round-trip time of a statement. Exit 0 when logins
// can work; otherwise the first reason on stderr, and exit 6 (5 for a
// configuration error).
#include <algorithm>
#include <chrono>
#include <vector>

#include "commands.hpp"
#include "otpgate/core/primitives/sealed_box.hpp"
#include "otpgate/core/storage/open_storage.hpp"
#include "otpgate/core/storage/postgres_schema.hpp"
#include "output.hpp"
#include "store_connection.hpp"

namespace otpgate::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct CheckReport {
    std::optional<Failure> first_failure;

    void ok(std::string_view what, std::string_view text) {
        print(std::string(what) + ": " + std::string(text) + "\n");
    }
    void warn(std::string_view what, std::string_view text) {
        print(std::string(what) + ": WARNING: " + std::string(text) + "\n");
    }
    void fail(std::string_view what, std::string_view text, ExitCode code = ExitCode::storage) {
        print(std::string(what) + ": FAILED: " + std::string(text) + "\n");
        if (!first_failure) {
            first_failure = Failure{code, std::string(what) + ": " + std::string(text)};
        }
    }
};

std::string server_version_text(int version) {
    // 150020 is 15.20 (PostgreSQL 10 and later).
    return std::to_string(version / 10000) + "." + std::to_string(version % 10000);
}

bool is_true(const core::Result<core::PgResult>& result) {
    return result && result->rows() == 1 &&
           result->value(0, 0) == std::optional<std::string_view>("t");
}

// "; role R, a member of A, B" when the login role holds rights through
// other roles (a certificate role that is a member of otpgate_login, say):
// the checks above count inherited rights, so that is what they found.
std::string memberships(core::PgConnection& connection, core::Deadline deadline) {
    auto roles = connection.exec(
        "SELECT current_user, string_agg(g.rolname, ', ' ORDER BY g.rolname) "
        "FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = current_user AND r.rolinherit",
        {}, deadline);
    if (!roles || roles->rows() != 1 || !roles->value(0, 0) || !roles->value(0, 1)) {
        return "";
    }
    return "; role " + as_field(std::string(*roles->value(0, 0))) + ", a member of " +
           as_field(std::string(*roles->value(0, 1)));
}

// libpq's word for a key it could not decrypt with the (never given)
// passphrase says nothing of what to do.
std::string encrypted_key_hint(const core::Error& error) {
    if (error.message.find("could not load private key file") == std::string::npos ||
        error.message.find("bad decrypt") == std::string::npos) {
        return "";
    }
    return " (the key is encrypted: otpgate never asks for a passphrase; give sslkey an "
           "unencrypted key, root's, mode 0600)";
}

// What logins need, and what the login role must not have.
void check_rights(CheckReport& report, core::PgConnection& connection, core::Deadline deadline) {
    struct Right {
        const char* object;
        const char* privilege;
        bool needed;
    };
    // One privilege each: has_table_privilege() is true when any of a list is held.
    static constexpr Right rights[] = {
        {"otpgate.schema_version", "SELECT", true},  {"otpgate.enrollments", "SELECT", true},
        {"otpgate.enrollments", "INSERT", true},     {"otpgate.enrollments", "UPDATE", true},
        {"otpgate.enrollments", "DELETE", true},     {"otpgate.user_states", "SELECT", true},
        {"otpgate.user_states", "INSERT", true},     {"otpgate.user_states", "UPDATE", true},
        {"otpgate.user_states", "DELETE", true},     {"otpgate.sms_sends", "SELECT", true},
        {"otpgate.sms_sends", "INSERT", true},       {"otpgate.sms_sends", "DELETE", true},
        {"otpgate.sms_reservation", "UPDATE", true}, {"otpgate.fleet_secrets", "SELECT", true},
        {"otpgate.fleet_secrets", "INSERT", true},   {"otpgate.audit_log", "SELECT", true},
        {"otpgate.audit_log", "INSERT", true},       {"otpgate.audit_log", "UPDATE", false},
        {"otpgate.audit_log", "DELETE", false},      {"otpgate.audit_log", "TRUNCATE", false},
        {"otpgate.enrollments", "TRUNCATE", false},  {"otpgate.user_states", "TRUNCATE", false},
    };
    std::vector<std::string> missing;
    std::vector<std::string> excess;
    for (const Right& right : rights) {
        const bool has = is_true(connection.exec("SELECT has_table_privilege($1::text, $2::text)",
                                                 {right.object, right.privilege}, deadline));
        if (has != right.needed) {
            (right.needed ? missing : excess)
                .push_back(std::string(right.privilege) + " on " + right.object);
        }
    }
    if (is_true(
            connection.exec("SELECT has_schema_privilege('otpgate', 'CREATE')", {}, deadline))) {
        excess.emplace_back("CREATE in schema otpgate");
    }
    if (is_true(connection.exec("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", {},
                                deadline))) {
        excess.emplace_back("superuser");
    }
    if (is_true(connection.exec(
            "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = "
            "c.relnamespace WHERE n.nspname = 'otpgate' AND pg_has_role(c.relowner, 'USAGE')) "
            "OR EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'otpgate' AND "
            "pg_has_role(nspowner, 'USAGE'))",
            {}, deadline))) {
        excess.emplace_back("owns the schema or its tables (may alter and drop them)");
    }
    auto join = [](const std::vector<std::string>& items) {
        std::string text;
        for (const std::string& item : items) {
            text += (text.empty() ? "" : "; ") + item;
        }
        return text;
    };
    if (!missing.empty()) {
        report.fail("rights", "the login role lacks " + join(missing) +
                                  " (run otpgate store init to grant them)");
    } else if (!excess.empty()) {
        report.warn("rights", "the login role has more than logins need: " + join(excess) +
                                  " (a host's root could change the schema or the audit log)");
    } else {
        report.ok("rights",
                  "what logins need, and no more (no CREATE, no owner, audit log "
                  "append-only)" +
                      memberships(connection, deadline));
    }
}

// store_key against a sealed row, when there is one: the enrollment of the
// first user opened through the shared store itself, as a login would.
void check_key_opens(CheckReport& report, const CommandContext& context,
                     core::PgConnection& connection, core::Deadline deadline) {
    auto first = connection.exec(
        "SELECT user_name FROM otpgate.enrollments ORDER BY user_name "
        "LIMIT 1",
        {}, deadline);
    if (!first || first->rows() != 1 || !first->value(0, 0)) {
        return;  // no enrollment yet, or no right to read one (reported above)
    }
    const std::string name(*first->value(0, 0));
    core::Config shared_config = context.config;
    shared_config.store = core::StoreKind::postgresql;
    auto shared = core::open_storage(shared_config, context.logger);
    if (!shared) {
        report.fail("store_key", shared.error().message);
        return;
    }
    core::UserAccount account;
    account.name = name;
    if (auto enrollment = (*shared)->load_enrollment(account); !enrollment) {
        report.fail("store_key", "the enrollment of user " + as_field(name) +
                                     " does not open: " + as_field(enrollment.error().message));
        return;
    }
    report.ok("store_key", "opens the enrollment of user " + as_field(name));
}

void check_round_trip(CheckReport& report, core::PgConnection& connection,
                      core::Deadline deadline) {
    std::vector<double> times;
    for (int i = 0; i < 5; ++i) {
        const auto start = Clock::now();
        if (!connection.exec("SELECT 1", {}, deadline)) {
            report.fail("round trip", "SELECT 1 failed");
            return;
        }
        times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    char text[64];
    std::snprintf(text, sizeof text, "%.2f ms (median of 5 SELECT 1)", times[2]);
    report.ok("round trip", text);
}

void check_key(CheckReport& report, const core::Credentials& credentials, const std::string& file) {
    const core::SecretString* key = credentials.find("store_key");
    if (key == nullptr) {
        report.fail("store_key",
                    "missing from " + as_field(file) + " (otpgate store init --new-key prints one)",
                    ExitCode::config);
        return;
    }
    auto parsed = core::parse_sealing_key(key->view());
    if (!parsed) {
        report.fail("store_key", parsed.error().message, ExitCode::config);
        return;
    }
    report.ok("store_key", "present, 256 bits");
}

}  // namespace

ExitCode check_store(const CommandContext& context) {
    if (!context.may_use_state) {
        return report({ExitCode::not_permitted, "only root can check the shared store"});
    }
    CheckReport result;
    if (context.config.store != core::StoreKind::postgresql) {
        result.warn("store",
                    "this host uses store = " + std::string(core::to_string(context.config.store)) +
                        "; the shared store below is not used by its logins yet");
    }
    auto libpq = libpq_for(context.config);
    if (auto* failure = std::get_if<Failure>(&libpq)) {
        return report(*failure);
    }
    const core::LibpqLibrary& library = *std::get<const core::LibpqLibrary*>(libpq);
    result.ok("libpq", "loaded, version " + server_version_text(library.library_version()));

    auto credentials = store_credentials(context.config);
    if (auto* failure = std::get_if<Failure>(&credentials)) {
        return report(*failure);
    }
    const core::Credentials& secrets = std::get<core::Credentials>(credentials);
    check_key(result, secrets, context.config.delivery.credentials_file.string());

    auto settings = core::ConnectionSettings::make(
        library, {.url = context.config.database.url,
                  .password = secrets.find("store_password"),
                  .application_name = "otpgate store check",
                  .statement_timeout = command_timeout(context.config)});
    if (!settings) {
        return report({ExitCode::config, settings.error().message});
    }
    const std::string hosts = settings->value_of("host").value_or("(libpq's default)");
    result.ok("connection", "trying " + as_field(settings->description()));

    const auto start = Clock::now();
    const core::Deadline deadline = start + command_timeout(context.config);
    auto connection = core::PgConnection::open(library, *settings, deadline);
    if (!connection) {
        result.fail("connection",
                    as_field(connection.error().message) + encrypted_key_hint(connection.error()));
        context.logger.warning("store check: " + connection.error().message);
        return report(*result.first_failure);
    }
    const double connect_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    const core::ConnectionFacts facts = connection->facts();
    char took[32];
    std::snprintf(took, sizeof took, "%.1f ms", connect_ms);
    // The address too when the host is a name (looked up by otpgate).
    const std::string answered =
        as_field(facts.host) + (facts.address.empty() || facts.address == facts.host
                                    ? ""
                                    : " (" + as_field(facts.address) + ")");
    result.ok("connection", "host " + as_field(hosts) + " tried; " + answered + " port " +
                                as_field(facts.port) + " answered (connected in " + took +
                                ", TLS, authentication and any name lookup included)");
    std::string client_certificate;
    if (auto cert = settings->given_in_url("sslcert")) {
        client_certificate = "; client certificate " + as_field(*cert) + " (store_url)";
    }
    if (!facts.tls) {
        result.warn("TLS", "not in use: passwords and rows cross the network in clear");
    } else if (settings->weak_tls()) {
        result.warn("TLS", as_field(facts.tls_protocol) + " " + as_field(facts.tls_cipher) +
                               ", but " + as_field(*settings->weak_tls()));
    } else {
        result.ok("TLS", as_field(facts.tls_protocol) + " " + as_field(facts.tls_cipher) +
                             ", server certificate and name verified" + client_certificate);
    }
    result.ok("server", "PostgreSQL " + server_version_text(facts.server_version));

    if (auto schema = core::check_schema_version(*connection, deadline); !schema) {
        result.fail("schema", schema.error().message);
    } else {
        result.ok("schema", "version " + std::to_string(core::shared_store_schema_version) +
                                ", as this otpgate expects");
        check_rights(result, *connection, deadline);
        if (!result.first_failure) {
            check_key_opens(result, context, *connection, deadline);
        }
    }
    check_round_trip(result, *connection, deadline);

    if (result.first_failure) {
        context.logger.warning("store check: " + result.first_failure->message);
        return report(*result.first_failure);
    }
    print("The shared store is ready for logins.\n");
    return ExitCode::ok;
}

}  // namespace otpgate::cli
