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
#pragma once

#include <optional>
#include <string>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/database/pg_connection.hpp"
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
    [[nodiscard]] Result<std::optional<UserState>> read_state(
        const std::string& user_name) override;
    [[nodiscard]] Result<void> remove_state(const std::string& user_name) override;
    [[nodiscard]] Result<std::vector<std::string>> users_with_state() override;

    [[nodiscard]] Result<void> record_event(const AuditEvent& event) override;
    [[nodiscard]] Result<std::vector<AuditRecord>> audit_log(const AuditQuery& query) override;

    [[nodiscard]] Result<SecretBytes> remembered_host_key(RandomSource& random) override;

    // One statement within store_timeout_ms, on the connection opened at
    // first use. A lost connection or a timeout makes every later call
    // fail with the same error.
    Result<PgResult> run(std::string_view sql, std::initializer_list<PgParam> params);
    [[nodiscard]] const std::string& host_name() const noexcept { return m_host_name; }
    [[nodiscard]] Logger& logger() const noexcept { return m_logger; }
    [[nodiscard]] unsigned fleet_sms_cap() const noexcept {
        return m_config.fleet_max_sms_per_hour;
    }

private:
    Result<PgConnection*> connection();
    Result<void> connect();
    Result<const SecretBytes*> sealing_key();
    Result<std::optional<UserState>> select_state(const std::string& user_name, bool for_update);

    DatabaseStoreConfig m_config;
    std::filesystem::path m_credentials_file;
    std::string m_host_name;
    Logger& m_logger;
    std::optional<PgConnection> m_connection;
    std::optional<Error> m_failure;  // why the store is unreachable for this Storage's life
    SecretBytes m_key;               // store_key, once read
};

}  // namespace otpgate::core
