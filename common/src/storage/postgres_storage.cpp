#include "postgres_storage.hpp"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "offline_state.hpp"
#include "otpgate/core/database/connection_settings.hpp"
#include "otpgate/core/database/libpq_library.hpp"
#include "otpgate/core/primitives/hex.hpp"
#include "otpgate/core/primitives/sealed_box.hpp"
#include "otpgate/core/state/host_tag.hpp"
#include "otpgate/core/storage/postgres_schema.hpp"
#include "otpgate/core/system/credentials.hpp"
#include "otpgate/core/system/host_name.hpp"
#include "postgres_rows.hpp"

namespace otpgate::core {
namespace {

constexpr const char* remembered_host_key_name = "remembered-host-key";
constexpr std::size_t max_audit_field = 256;

std::string enrollment_binding(std::string_view user_name, std::string_view enrollment_id) {
    std::string binding = "otpgate enrollment\n";
    binding.append(user_name).append("\n").append(enrollment_id);
    return binding;
}

std::string fleet_secret_binding(std::string_view name) {
    return std::string("otpgate fleet secret\n").append(name);
}

std::string hex_of(const std::vector<std::uint8_t>& bytes) {
    return hex_encode(bytes.data(), bytes.size());
}

std::string audit_field(std::string_view text) {
    return std::string(text.substr(0, max_audit_field));
}

std::optional<std::int64_t> parse_seconds(std::optional<std::string_view> text) {
    if (!text) {
        return std::nullopt;
    }
    try {
        return std::stoll(std::string(*text));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::string text_or_empty(std::optional<std::string_view> value) {
    return value ? std::string(*value) : std::string();
}

// How a query reads the user's state row.
enum class StateRead {
    plain,
    locked,     // FOR UPDATE, for the transaction
    versioned,  // with its xmin after the columns, for an unlocked check
};

std::string state_query(StateRead read) {
    return std::string("SELECT ") + user_state_columns +
           (read == StateRead::versioned ? ", xmin" : "") +
           " FROM otpgate.user_states WHERE user_name = $1" +
           (read == StateRead::locked ? " FOR UPDATE" : "");
}

// What a success changes, compared as a whole: the success's time first.
using SpentCodes = std::tuple<std::int64_t, std::int64_t, std::uint64_t>;

SpentCodes spent_codes(const UserState& state) {
    return {state.last_success, state.last_totp_step.value_or(-1), state.backup_used_mask};
}

class PostgresUserTransaction final : public UserTransaction {
public:
    // Locked: begun with the row locked in an open transaction. Unlocked
    // (`row_version`, the xmin the row had when read): no transaction is
    // open, and the first commit writes only that version of the row.
    PostgresUserTransaction(PostgresStorage& storage, std::string user_name, UserState state,
                            std::optional<std::string> row_version = std::nullopt)
        : m_storage(storage),
          m_user(std::move(user_name)),
          m_state(std::move(state)),
          m_read(state_values(m_state)),
          m_read_codes(spent_codes(m_state)),
          m_row_version(std::move(row_version)),
          m_open(!m_row_version) {}

    ~PostgresUserTransaction() override {
        if (m_open) {
            // Nothing committed: the server forgets what this transaction did.
            (void)m_storage.run("ROLLBACK", {});
        }
    }

    UserState& state() noexcept override { return m_state; }
    void mark_login_success() noexcept override { m_login_success = true; }

    Result<void> commit(Durability durability) override {
        const bool unlocked = m_row_version.has_value();
        if (!unlocked && !m_open) {
            // A second commit: lock the row again, and write only if nobody
            // changed it since our first commit.
            if (auto reopened = reopen(); !reopened) {
                return reopened;
            }
        }
        const auto values = state_values(m_state);
        // The write and the commit in one round trip; an unlocked
        // transaction begins in it too, and writes only the version it read.
        std::vector<PgStatement> statements;
        if (unlocked) {
            statements.push_back({"BEGIN", {}});
        }
        if (durability == Durability::loss_harmless) {
            // A wrong code that was not counted is the only loss allowed.
            statements.push_back({"SET LOCAL synchronous_commit TO off", {}});
        }
        std::string write;
        statements.push_back({"", {}});
        const bool audited = write_statement(values, m_row_version, write, statements.back());
        const std::size_t write_index = statements.size() - 1;
        statements.push_back({"COMMIT", {}});
        auto committed = m_storage.run_all(std::move(statements));
        if (!committed && m_storage.failed_statement() <= write_index) {
            m_open = true;  // refused before the commit: roll back what began
            return fail(committed.error());
        }
        m_open = false;
        if (!committed) {
            return committed.error();
        }
        if ((*committed)[write_index].affected_rows() != 1) {
            // Nothing was written (nor the audit row of the same statement).
            if (unlocked) {
                return make_error(ErrorKind::conflict,
                                  "the shared store's state of user " + m_user +
                                      " changed on another host during the login");
            }
            // The row is locked: only a damaged store loses it.
            return make_error(ErrorKind::io, "the shared store's state of user " + m_user +
                                                 " vanished during its transaction");
        }
        m_row_version.reset();  // a later commit locks the row again
        written(values, audited);
        return {};
    }

    Result<StepAdmission> admit_spent_step(std::int64_t /*step_start*/,
                                           std::int64_t /*window_end*/) override {
        // The step is spent by a commit the server makes durable (and
        // replicates, as synchronous_standby_names says) before it answers:
        // no restart can lose it, so no step needs refusing.
        return StepAdmission::admitted;
    }

    Result<ThrottleVerdict> reserve_host_sms(std::uint64_t cap, std::int64_t now) override {
        if (!m_open) {
            // Reservations are made under the user's lock, unchanged since read.
            m_row_version.reset();
            if (auto reopened = reopen(); !reopened) {
                return reopened.error();
            }
        }
        // The single reservation row makes every host's reservation take
        // turns; taken after the user's row, always in this order.
        const std::string hour_ago = std::to_string(now - 3600);
        auto counted = m_storage.run_all(
            {{"SELECT id FROM otpgate.sms_reservation WHERE id = 1 FOR UPDATE", {}},
             {"DELETE FROM otpgate.sms_sends WHERE sent_at <= $1", {hour_ago}},
             {"SELECT count(*) FILTER (WHERE host_name = $1), "
              "coalesce(min(sent_at) FILTER (WHERE host_name = $1), 0), count(*), "
              "coalesce(min(sent_at), 0) FROM otpgate.sms_sends",
              {m_storage.host_name()}}});
        if (!counted) {
            return counted.error();
        }
        const PgResult& counts = counted->back();
        const auto host_count = parse_seconds(counts.value(0, 0)).value_or(0);
        const auto host_oldest = parse_seconds(counts.value(0, 1)).value_or(now);
        const auto fleet_count = parse_seconds(counts.value(0, 2)).value_or(0);
        const auto fleet_oldest = parse_seconds(counts.value(0, 3)).value_or(now);
        const unsigned fleet_cap = m_storage.fleet_sms_cap();
        const auto retry_after = [&](std::int64_t oldest) {
            return std::max<std::int64_t>(1, oldest + 3600 - now);
        };
        if (cap > 0 && static_cast<std::uint64_t>(host_count) >= cap) {
            return ThrottleVerdict{false, retry_after(host_oldest), "host_max_sms_per_hour"};
        }
        if (fleet_cap > 0 && fleet_count >= static_cast<std::int64_t>(fleet_cap)) {
            return ThrottleVerdict{false, retry_after(fleet_oldest), "fleet_max_sms_per_hour"};
        }
        if (auto recorded =
                m_storage.run("INSERT INTO otpgate.sms_sends (host_name, sent_at) VALUES ($1, $2)",
                              {m_storage.host_name(), std::to_string(now)});
            !recorded) {
            return recorded.error();
        }
        return ThrottleVerdict{true, 0, {}};
    }

private:
    // After a commit that wrote `values` (and the login's audit row, when
    // `audited`).
    void written(const StateValues& values, bool audited) {
        m_login_success = false;
        if (audited) {
            m_storage.note_login_success_recorded();
        }
        m_read = values;
        // A success moves last_success on, or (within the same second)
        // spends a code.
        const SpentCodes now_spent = spent_codes(m_state);
        if (m_state.last_success != 0 && now_spent > m_read_codes) {
            m_storage.note_success(m_user, m_state);
        }
        m_read_codes = now_spent;
    }

    // The statement that writes `values` to the row (only while its xmin
    // is `version`, when given), its text kept in `sql`. When this commit
    // records a success of the login under way, the login's audit row is
    // part of it (a data-modifying WITH), so it is written exactly when
    // the row is; the answer then counts that row. True then.
    bool write_statement(const StateValues& values, const std::optional<std::string>& version,
                         std::string& sql, PgStatement& statement) const {
        statement.params = update_parameters(m_user, values, m_storage.host_name());
        sql = update_user_state;
        if (version) {
            statement.params.emplace_back(*version);
            sql += " AND xmin = $" + std::to_string(statement.params.size()) + "::xid";
        }
        const AuditEvent* const login =
            m_login_success ? m_storage.expected_login(m_user) : nullptr;
        if (login != nullptr) {
            statement.params.emplace_back(login->service);
            const std::string service = "$" + std::to_string(statement.params.size());
            statement.params.emplace_back(login->remote_host);
            const std::string remote_host = "$" + std::to_string(statement.params.size());
            sql = "WITH written AS (" + sql +
                  " RETURNING user_name, updated_by) INSERT INTO otpgate.audit_log "
                  "(host_name, service, user_name, remote_host, event, outcome) SELECT "
                  "updated_by, " +
                  service + ", user_name, " + remote_host + ", 'login', 'success' FROM written";
        }
        statement.sql = sql;
        return login != nullptr;
    }

    Result<void> fail(Error error) {
        if (m_open) {
            (void)m_storage.run("ROLLBACK", {});
            m_open = false;
        }
        return error;
    }

    Result<void> reopen() {
        m_open = true;  // a ROLLBACK after a failure is harmless even if BEGIN never ran
        const std::string select = state_query(StateRead::locked);
        auto locked = m_storage.run_all({{"BEGIN", {}}, {select, {m_user}}});
        if (!locked) {
            return fail(locked.error());
        }
        const PgResult& row = locked->back();
        if (row.rows() != 1) {
            return fail(make_error(ErrorKind::io, "the shared store's state of user " + m_user +
                                                      " was removed during the login"));
        }
        auto current = state_from_row(row, 0, m_user);
        if (!current) {
            return fail(current.error());
        }
        if (state_values(*current) != m_read) {
            return fail(make_error(ErrorKind::unavailable,
                                   "the shared store's state of user " + m_user +
                                       " changed on another host during the login"));
        }
        return {};
    }

    PostgresStorage& m_storage;
    std::string m_user;
    UserState m_state;
    // The row as this transaction last read or wrote it.
    StateValues m_read;
    SpentCodes m_read_codes;
    std::optional<std::string> m_row_version;
    bool m_open = true;
    bool m_login_success = false;  // the next commit records the login's success
};

}  // namespace

PostgresStorage::PostgresStorage(const Config& config, Logger& logger)
    : m_config(config.database),
      m_credentials_file(config.delivery.credentials_file),
      m_state_dir(config.state_dir),
      m_lock_timeout(config.lock_timeout),
      m_host_name(config.database.host_name.empty() ? core::host_name()
                                                    : config.database.host_name),
      m_logger(logger),
      m_cache(config.state_dir, m_host_name, config.lock_timeout),
      m_offline_states(offline_state_directory(config.state_dir), config.lock_timeout, &logger) {}

Result<void> PostgresStorage::connect() {
    m_unreachable = false;
    const Deadline deadline = std::chrono::steady_clock::now() + m_config.timeout;
    if (m_config.url.empty()) {
        return make_error(ErrorKind::invalid_input,
                          "store = postgresql needs store_url in the configuration");
    }
    auto libpq = libpq_library();
    if (!libpq) {
        return libpq.error();
    }
    auto credentials = load_credentials(m_credentials_file);
    if (!credentials) {
        return credentials.error();
    }
    const SecretString* key_text = credentials->find("store_key");
    if (key_text == nullptr) {
        return make_error(ErrorKind::invalid_input,
                          "store = postgresql needs store_key in " + m_credentials_file.string() +
                              " (otpgate store init --new-key prints one)");
    }
    auto key = parse_sealing_key(key_text->view());
    if (!key) {
        return make_error(key.error().kind,
                          key.error().message + " (in " + m_credentials_file.string() + ")");
    }
    // Kept before connecting: an unreachable store's offline copies open with it.
    m_key = std::move(*key);
    StoreConnectionOptions options;
    options.url = m_config.url;
    options.password = credentials->find("store_password");
    options.application_name = "otpgate@" + m_host_name;
    // No server-side statement_timeout: pgbouncer refuses the `options`
    // start-up parameter that would carry it. Our own deadline bounds
    // every wait, and closing the connection ends what the server started.
    auto settings = ConnectionSettings::make(**libpq, options);
    if (!settings) {
        return settings.error();
    }
    if (const auto& weak = settings->weak_tls()) {
        m_logger.warning("connecting to the shared store without a verified server: " + *weak);
    }
    auto opened = PgConnection::open(**libpq, *settings, deadline);
    if (!opened) {
        m_unreachable = true;
        return opened.error();
    }
    m_connection.emplace(std::move(*opened));
    if (auto pending = m_offline_states.user_names(); pending && pending->empty()) {
        // The usual case: the first statements carry the schema check.
        m_schema_unchecked = true;
        return {};
    }
    // States recorded offline go back first, on a schema checked before.
    if (auto schema = check_schema_version(*m_connection, deadline); !schema) {
        // A schema refused is no outage; a server that stops answering is.
        m_unreachable = m_connection->broken();
        return schema.error();
    }
    if (auto written = write_back_offline_states(); !written) {
        m_unreachable = true;  // the connection was lost meanwhile
        return written.error();
    }
    return {};
}

void PostgresStorage::give_up(const Error& error, bool unreachable) {
    m_failure = error;
    m_unreachable = unreachable;
    if (unreachable && m_config.offline == DatabaseStoreConfig::Offline::cache) {
        m_offline_reason = error.message;
    }
}

Result<PgConnection*> PostgresStorage::connection() {
    if (m_failure) {
        return *m_failure;
    }
    if (!m_connection) {
        if (auto connected = connect(); !connected) {
            give_up(connected.error(), m_unreachable);
            return connected.error();
        }
    }
    return &*m_connection;
}

Result<PgResult> PostgresStorage::run(std::string_view sql, std::initializer_list<PgParam> params) {
    auto results = run_all({PgStatement{sql, std::vector<PgParam>(params)}});
    if (!results) {
        return results.error();
    }
    return std::move(results->front());
}

Result<std::vector<PgResult>> PostgresStorage::run_all(std::vector<PgStatement> statements) {
    auto connected = connection();
    if (!connected) {
        return connected.error();
    }
    PgConnection& connection = **connected;
    const Deadline deadline = std::chrono::steady_clock::now() + m_config.timeout;
    const bool checking = m_schema_unchecked;
    if (checking) {
        statements.insert(statements.begin(), schema_version_probe());
    }
    auto results = connection.exec_pipeline(statements, deadline);
    m_failed_statement = connection.failed_statement();
    if (checking) {
        m_schema_unchecked = false;
        if (!results && m_failed_statement == 0) {
            // The probe refused the schema: nothing after it ran. A schema
            // refused is no outage.
            auto why = check_schema_version(connection, deadline);
            const Error error = why ? results.error() : why.error();
            give_up(error, connection.broken());
            return error;
        }
        if (!results && connection.broken()) {
            // No answer to a new connection's first statements: as a
            // connection that failed, an outage.
            give_up(results.error(), true);
            return results.error();
        }
        m_failed_statement -= 1;
        if (results) {
            results->erase(results->begin());
        }
    }
    if (!results && connection.broken()) {
        m_failure = results.error();
    }
    return results;
}

Result<const SecretBytes*> PostgresStorage::sealing_key() {
    auto connected = connection();
    if (!connected) {
        return connected.error();
    }
    return &m_key;
}

Result<Enrollment> PostgresStorage::load_enrollment(const UserAccount& account) {
    // The state row comes in the same round trip: a login checks its code
    // against it, unlocked, and records only if it is unchanged by then.
    const std::string state_select = state_query(StateRead::versioned);
    auto read = run_all({{"SELECT enrollment_id, encode(sealed, 'hex') FROM otpgate.enrollments "
                          "WHERE user_name = $1",
                          {account.name}},
                         {state_select, {account.name}}});
    if (!read && offline()) {
        return load_cached_enrollment(account);
    }
    if (!read) {
        return read.error();
    }
    remember_state_read(account.name, read->back());
    const PgResult* const found = &read->front();
    if (found->rows() == 0) {
        // Disabled, maybe on another host: no copy here may outlive it.
        forget_cached_login(account.name);
        return make_error(ErrorKind::not_found,
                          "user " + account.name + " has no enrollment in the shared store");
    }
    const std::string id = text_or_empty(found->value(0, 0));
    const auto box = hex_decode(text_or_empty(found->value(0, 1)));
    if (!box) {
        return make_error(ErrorKind::corrupt,
                          "the shared store's enrollment of user " + account.name + " is damaged");
    }
    auto opened = open_sealed(m_key, *box, enrollment_binding(account.name, id));
    if (!opened) {
        return make_error(ErrorKind::corrupt, "the shared store's enrollment of user " +
                                                  account.name + ": " + opened.error().message);
    }
    auto enrollment = parse_enrollment(
        std::string_view(reinterpret_cast<const char*>(opened->data()), opened->size()));
    if (!enrollment) {
        return make_error(ErrorKind::corrupt, "the shared store's enrollment of user " +
                                                  account.name + ": " + enrollment.error().message);
    }
    if (enrollment->id != id) {
        return make_error(ErrorKind::corrupt, "the shared store's enrollment of user " +
                                                  account.name + " does not match its id");
    }
    m_loaded.insert_or_assign(account.name, *enrollment);
    return enrollment;
}

Result<void> PostgresStorage::save_enrollment(const UserAccount& account,
                                              const Enrollment& enrollment) {
    auto key = sealing_key();
    if (!key) {
        return key.error();
    }
    const SecretString text = serialize_enrollment(enrollment);
    OpenSslRandom random;
    const auto box = seal(
        **key, std::span(reinterpret_cast<const std::uint8_t*>(text.view().data()), text.size()),
        enrollment_binding(account.name, enrollment.id), random);
    auto saved = run(
        "INSERT INTO otpgate.enrollments (user_name, enrollment_id, method, sealed, updated_by) "
        "VALUES ($1, $2, $3, decode($4, 'hex'), $5) ON CONFLICT (user_name) DO UPDATE SET "
        "enrollment_id = EXCLUDED.enrollment_id, method = EXCLUDED.method, "
        "sealed = EXCLUDED.sealed, updated_at = now(), updated_by = EXCLUDED.updated_by",
        {account.name, enrollment.id, to_string(enrollment.method), hex_of(box), m_host_name});
    if (!saved) {
        return saved.error();
    }
    // The old secret must not log anyone in here offline; the user's next
    // login here makes a copy of the new one.
    forget_cached_login(account.name);
    return {};
}

Result<void> PostgresStorage::remove_enrollment(const UserAccount& account) {
    // This host's copy goes first, reachable store or not.
    forget_cached_login(account.name);
    auto removed = run("DELETE FROM otpgate.enrollments WHERE user_name = $1", {account.name});
    if (!removed) {
        return removed.error();
    }
    if (removed->affected_rows() == 0) {
        return make_error(ErrorKind::not_found,
                          "user " + account.name + " has no enrollment in the shared store");
    }
    return {};
}

std::optional<std::string> PostgresStorage::enrollment_location(const UserAccount& /*account*/) {
    return std::string("the shared store (store_url)");
}

Result<std::optional<UserState>> PostgresStorage::select_state(const std::string& user_name) {
    auto row = run(state_query(StateRead::plain), {user_name});
    if (!row) {
        return row.error();
    }
    if (row->rows() == 0) {
        return std::optional<UserState>();
    }
    auto state = state_from_row(*row, 0, user_name);
    if (!state) {
        return state.error();
    }
    return std::optional<UserState>(std::move(*state));
}

Result<std::unique_ptr<UserTransaction>> PostgresStorage::begin(const std::string& user_name) {
    auto account = lookup_user(user_name);
    return begin(user_name, account ? std::optional<uid_t>(account->uid) : std::nullopt);
}

Result<UserState> PostgresStorage::begin_and_lock(const std::string& user_name) {
    const std::string select = state_query(StateRead::locked);
    auto locked = run_all({{"BEGIN", {}}, {select, {user_name}}});
    if (locked && locked->back().rows() == 0) {
        // The first transaction of the user anywhere: make the row, then
        // lock it (another host may have made it meanwhile).
        locked = run_all({{"INSERT INTO otpgate.user_states (user_name, updated_by) "
                           "VALUES ($1, $2) ON CONFLICT (user_name) DO NOTHING",
                           {user_name, m_host_name}},
                          {select, {user_name}}});
    }
    if (!locked) {
        return locked.error();
    }
    const PgResult& row = locked->back();
    if (row.rows() != 1) {
        return make_error(ErrorKind::io,
                          "the shared store's state of user " + user_name + " could not be made");
    }
    return state_from_row(row, 0, user_name);
}

Result<std::unique_ptr<UserTransaction>> PostgresStorage::begin(const std::string& user_name,
                                                                std::optional<uid_t> account_uid) {
    auto state = begin_and_lock(user_name);
    if (!state) {
        if (offline()) {
            return begin_offline(user_name, account_uid, state.error());
        }
        (void)run("ROLLBACK", {});
        return state.error();
    }
    UserState locked = std::move(*state);
    // Rows are keyed by name across hosts; the record belongs to whoever
    // holds the name here.
    locked.uid = account_uid;
    return std::unique_ptr<UserTransaction>(
        std::make_unique<PostgresUserTransaction>(*this, user_name, std::move(locked)));
}

void PostgresStorage::remember_state_read(const std::string& user_name, const PgResult& row) {
    m_read_with_enrollment.erase(user_name);
    if (row.rows() != 1 || row.columns() != user_state_column_count + 1) {
        return;  // no row yet: the locked transaction makes it
    }
    auto state = state_from_columns(state_columns(row, 0), user_name);
    const auto version = row.value(0, user_state_column_count);
    if (state && version) {
        // A damaged row is left to the locked transaction to report.
        m_read_with_enrollment.insert_or_assign(
            user_name, ReadState{std::move(*state), std::string(*version)});
    }
}

Result<std::unique_ptr<UserTransaction>> PostgresStorage::begin_check(
    const std::string& user_name, std::optional<uid_t> known_uid) {
    auto read = m_read_with_enrollment.extract(user_name);  // one check each
    if (read.empty() || m_failure) {
        return Storage::begin_check(user_name, known_uid);  // locked
    }
    UserState state = std::move(read.mapped().state);
    if (known_uid) {
        state.uid = known_uid;
    } else {
        const auto account = lookup_user(user_name);
        state.uid = account ? std::optional<uid_t>(account->uid) : std::nullopt;
    }
    return std::unique_ptr<UserTransaction>(std::make_unique<PostgresUserTransaction>(
        *this, user_name, std::move(state), std::move(read.mapped().version)));
}

Result<std::optional<UserState>> PostgresStorage::read_state(const std::string& user_name) {
    auto state = select_state(user_name);
    if (state && *state) {
        if (auto account = lookup_user(user_name)) {
            (*state)->uid = account->uid;
        }
    }
    return state;
}

Result<void> PostgresStorage::remove_state(const std::string& user_name) {
    auto removed = run("DELETE FROM otpgate.user_states WHERE user_name = $1", {user_name});
    if (!removed) {
        return removed.error();
    }
    if (removed->affected_rows() == 0) {
        return make_error(ErrorKind::not_found,
                          "user " + user_name + " has no state in the shared store");
    }
    return {};
}

Result<std::vector<std::string>> PostgresStorage::users_with_state() {
    auto names =
        run("SELECT user_name FROM otpgate.user_states UNION "
            "SELECT user_name FROM otpgate.enrollments ORDER BY 1",
            {});
    if (!names) {
        return names.error();
    }
    std::vector<std::string> users;
    for (int row = 0; row < names->rows(); ++row) {
        users.push_back(text_or_empty(names->value(row, 0)));
    }
    return users;
}

void PostgresStorage::expect_login(const AuditEvent& login) {
    m_expected_login = AuditEvent{audit_field(login.service), audit_field(login.user_name),
                                  audit_field(login.remote_host), "login", ""};
    m_login_success_recorded = false;
}

const AuditEvent* PostgresStorage::expected_login(const std::string& user_name) const noexcept {
    return m_expected_login && m_expected_login->user_name == user_name ? &*m_expected_login
                                                                        : nullptr;
}

Result<void> PostgresStorage::record_event(const AuditEvent& event) {
    if (m_expected_login && event.event == "login" &&
        audit_field(event.user_name) == m_expected_login->user_name) {
        const bool recorded = m_login_success_recorded && event.outcome == "success";
        m_expected_login.reset();
        if (recorded) {
            return {};  // in the log already, with the code it spent
        }
    }
    if (offline()) {
        // The system log is the only record while the store is unreachable.
        m_logger.notice(
            "not in the audit log (the shared store is unreachable): " + event.event + " of user " +
            audit_field(event.user_name) + " by " + audit_field(event.service) +
            (event.remote_host.empty() ? "" : " from " + audit_field(event.remote_host)) + ": " +
            event.outcome);
        return {};
    }
    auto recorded =
        run("INSERT INTO otpgate.audit_log "
            "(host_name, service, user_name, remote_host, event, outcome) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            {m_host_name, audit_field(event.service), audit_field(event.user_name),
             audit_field(event.remote_host), audit_field(event.event), audit_field(event.outcome)});
    if (!recorded) {
        return recorded.error();
    }
    return {};
}

Result<std::vector<AuditRecord>> PostgresStorage::audit_log(const AuditQuery& query) {
    const std::string since = query.since ? std::to_string(*query.since) : std::string();
    const std::string limit = std::to_string(query.limit);
    auto rows =
        run("SELECT extract(epoch FROM at)::bigint, host_name, service, user_name, remote_host, "
            "event, outcome FROM otpgate.audit_log "
            "WHERE ($1::text IS NULL OR user_name = $1) AND ($2::text IS NULL OR host_name = $2) "
            "AND ($3::bigint IS NULL OR at >= to_timestamp($3)) ORDER BY id DESC LIMIT $4",
            {query.user_name ? PgParam(*query.user_name) : std::nullopt,
             query.host_name ? PgParam(*query.host_name) : std::nullopt,
             query.since ? PgParam(since) : std::nullopt, limit});
    if (!rows) {
        return rows.error();
    }
    std::vector<AuditRecord> records;
    for (int row = rows->rows() - 1; row >= 0; --row) {
        AuditRecord record;
        record.at = parse_seconds(rows->value(row, 0)).value_or(0);
        record.host_name = text_or_empty(rows->value(row, 1));
        record.event.service = text_or_empty(rows->value(row, 2));
        record.event.user_name = text_or_empty(rows->value(row, 3));
        record.event.remote_host = text_or_empty(rows->value(row, 4));
        record.event.event = text_or_empty(rows->value(row, 5));
        record.event.outcome = text_or_empty(rows->value(row, 6));
        records.push_back(std::move(record));
    }
    return records;
}

Result<SecretBytes> PostgresStorage::remembered_host_key(RandomSource& random) {
    auto key = sealing_key();
    if (!key) {
        return key.error();
    }
    const std::string binding = fleet_secret_binding(remembered_host_key_name);
    const char* const select =
        "SELECT encode(sealed, 'hex') FROM otpgate.fleet_secrets WHERE name = $1";
    auto found = run(select, {remembered_host_key_name});
    if (found && found->rows() == 0) {
        // The first host to need it makes it; a host racing it keeps the
        // one that won.
        const SecretBytes fresh = random_bytes(random, host_key_size);
        const auto box = seal(**key, fresh, binding, random);
        if (auto made = run(
                "INSERT INTO otpgate.fleet_secrets (name, sealed) VALUES ($1, decode($2, 'hex')) "
                "ON CONFLICT (name) DO NOTHING",
                {remembered_host_key_name, hex_of(box)});
            !made) {
            return made.error();
        }
        found = run(select, {remembered_host_key_name});
    }
    if (!found) {
        return found.error();
    }
    const auto box =
        found->rows() == 1 ? hex_decode(text_or_empty(found->value(0, 0))) : std::nullopt;
    if (!box) {
        return make_error(ErrorKind::corrupt, "the shared store's remembered-host key is missing");
    }
    auto opened = open_sealed(**key, *box, binding);
    if (!opened || opened->size() != host_key_size) {
        return make_error(ErrorKind::corrupt,
                          "the shared store's remembered-host key does not open with store_key");
    }
    return std::move(*opened);
}

}  // namespace otpgate::core
