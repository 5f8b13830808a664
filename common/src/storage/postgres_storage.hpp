// The shared store (`store = postgresql`): enrollments and login state of
// every host of a fleet in one PostgreSQL database (the schema is
// common/sql/, described in docs/state-records.md).
//
// - One connection per Storage, opened at first use with libpq loaded
//   then (database/libpq_library.hpp); the password and store_key come
//   from the credentials file, read at the same moment, so a process that
//   never asks (an ordinary user's otpgate, which goes through the helper)
//   needs neither.
// - Every connect and statement ends at store_timeout_ms. A connection
//   that failed or timed out is not retried within this Storage's life
//   (one login): every later call fails at once, so a login never waits
//   much longer than one timeout for an unreachable store.
// - A UserTransaction is one database transaction holding the user's row
//   locked (SELECT ... FOR UPDATE) from begin() to commit(): of logins on
//   any number of hosts racing with one code, exactly one sees it unused.
//   A commit is as durable as the server's synchronous_commit makes it,
//   which the session sets to on (and off only for a wrong code not
//   counted, Durability::loss_harmless).
// - Enrollments are sealed with AES-256-GCM under store_key
//   (primitives/sealed_box.hpp), bound to the user and the enrollment id.
// - Rows are keyed by user name alone: in a fleet, one name is one person
//   on every host (uids may differ between hosts).
// - store_offline = cache: each success committed here leaves this host a
//   sealed copy of the user's enrollment and spent codes (offline_cache.hpp).
//   When the store cannot be reached at all (the connection fails or times
//   out; not a refused schema, key or row), a user whose copy is younger
//   than store_cache_ttl logs in against it, with the state kept on this
//   host (offline_state.hpp); everyone else, and everything else, fails
//   closed. The first connection that works writes the offline states back.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "offline_cache.hpp"
#include "otpgate/core/config/config.hpp"
#include "otpgate/core/database/pg_connection.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "otpgate/core/storage/storage.hpp"
#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

class PostgresStorage final : public Storage {
public:
    PostgresStorage(const Config& config, Logger& logger);

    [[nodiscard]] Result<Enrollment> load_enrollment(const UserAccount& account) override;
    [[nodiscard]] Result<void> save_enrollment(const UserAccount& account,
                                               const Enrollment& enrollment) override;
    [[nodiscard]] Result<void> remove_enrollment(const UserAccount& account) override;
    [[nodiscard]] std::optional<std::string> enrollment_location(
        const UserAccount& account) override;

    [[nodiscard]] Result<std::unique_ptr<UserTransaction>> begin(
        const std::string& user_name) override;
    [[nodiscard]] Result<std::unique_ptr<UserTransaction>> begin(
        const std::string& user_name, std::optional<uid_t> account_uid) override;
    // The record read with the enrollment, unlocked, when there was one.
    [[nodiscard]] Result<std::unique_ptr<UserTransaction>> begin_check(
        const std::string& user_name, std::optional<uid_t> known_uid) override;
    [[nodiscard]] Result<std::optional<UserState>> read_state(
        const std::string& user_name) override;
    [[nodiscard]] Result<void> remove_state(const std::string& user_name) override;
    [[nodiscard]] Result<std::vector<std::string>> users_with_state() override;

    [[nodiscard]] Result<void> record_event(const AuditEvent& event) override;
    void expect_login(const AuditEvent& login) override;
    [[nodiscard]] Result<std::vector<AuditRecord>> audit_log(const AuditQuery& query) override;

    [[nodiscard]] Result<SecretBytes> remembered_host_key(RandomSource& random) override;

    // One statement within store_timeout_ms, on the connection opened at
    // first use. A lost connection or a timeout makes every later call
    // fail with the same error.
    Result<PgResult> run(std::string_view sql, std::initializer_list<PgParam> params);
    // Several statements in one round trip (PgConnection::exec_pipeline),
    // as run() does one. On a new connection the schema check goes first
    // in the same round trip.
    Result<std::vector<PgResult>> run_all(std::vector<PgStatement> statements);
    // The index of the statement the last run_all() saw refused; the
    // number of statements when none was.
    [[nodiscard]] std::size_t failed_statement() const noexcept { return m_failed_statement; }
    [[nodiscard]] const std::string& host_name() const noexcept { return m_host_name; }
    [[nodiscard]] Logger& logger() const noexcept { return m_logger; }
    [[nodiscard]] unsigned fleet_sms_cap() const noexcept {
        return m_config.fleet_max_sms_per_hour;
    }

    // After a commit that recorded a success (a code spent): the offline
    // copy of the user is renewed (store_offline = cache only).
    void note_success(const std::string& user_name, const UserState& state);

    // The login of `user_name` under way (expect_login), its fields cut
    // as the audit log keeps them; null when there is none.
    [[nodiscard]] const AuditEvent* expected_login(const std::string& user_name) const noexcept;
    // That row was committed: record_event leaves the login's success out.
    void note_login_success_recorded() noexcept { m_login_success_recorded = true; }

private:
    Result<PgConnection*> connection();
    // Ends this Storage's use of the store: every later call fails with
    // `error`; with `unreachable` and store_offline = cache, it goes on
    // offline.
    void give_up(const Error& error, bool unreachable);
    // BEGIN, and the user's row, made if missing, locked in that
    // transaction: one round trip (two for the user's first row). On an
    // error the caller rolls back.
    Result<UserState> begin_and_lock(const std::string& user_name);

    // -- Offline (postgres_offline.cpp).
    // Whether this Storage's life is spent offline, against the cache.
    [[nodiscard]] bool offline() const noexcept { return m_offline_reason.has_value(); }
    // The user's cached login, when fresh enough to log in with offline;
    // otherwise an error saying why not.
    Result<CachedLogin> fresh_cached_login(const std::string& user_name);
    Result<Enrollment> load_cached_enrollment(const UserAccount& account);
    // `unreachable`: why the store's own transaction could not begin.
    Result<std::unique_ptr<UserTransaction>> begin_offline(const std::string& user_name,
                                                           std::optional<uid_t> account_uid,
                                                           const Error& unreachable);
    // Removes this host's copy of the user, if any.
    void forget_cached_login(const std::string& user_name);
    // Pushes what logins recorded here while the store was unreachable; an
    // error only when the connection was lost meanwhile.
    Result<void> write_back_offline_states();
    Result<void> write_back(const std::string& user_name, LockedState& offline);
    Result<void> connect();
    // Keeps `row` (versioned_state_query's answer) for begin_check.
    void remember_state_read(const std::string& user_name, const PgResult& row);
    Result<const SecretBytes*> sealing_key();
    Result<std::optional<UserState>> select_state(const std::string& user_name);

    DatabaseStoreConfig m_config;
    std::filesystem::path m_credentials_file;
    std::filesystem::path m_state_dir;
    std::chrono::milliseconds m_lock_timeout;
    std::string m_host_name;
    Logger& m_logger;
    std::optional<PgConnection> m_connection;
    std::optional<Error> m_failure;  // why the store is unreachable for this Storage's life
    SecretBytes m_key;               // store_key, once read
    // Set when the store could not be reached and store_offline = cache.
    std::optional<std::string> m_offline_reason;
    bool m_unreachable = false;  // the last connect() failed to reach the server
    // A new connection's schema is checked with its first statements.
    bool m_schema_unchecked = false;
    std::size_t m_failed_statement = 0;
    OfflineCache m_cache;
    StateStore m_offline_states;
    // The enrollments loaded from the store, for the offline copy.
    std::map<std::string, Enrollment> m_loaded;
    // The state rows read with them, and their versions (xmin), for one
    // unlocked check each (begin_check).
    struct ReadState {
        UserState state;
        std::string version;
    };
    std::map<std::string, ReadState> m_read_with_enrollment;
    // The login under way (expect_login), its fields cut as the audit log
    // keeps them, and whether its success went in with its code's commit.
    std::optional<AuditEvent> m_expected_login;
    bool m_login_success_recorded = false;
};

}  // namespace otpgate::core
