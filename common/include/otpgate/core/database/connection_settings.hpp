// How otpgate connects to PostgreSQL: `store_url` (a libpq connection
// string or URI, several hosts allowed), `store_password` from the
// credentials file and `store_timeout_ms`, made into the keyword/value
// arrays of PQconnectStartParams.
//
// The module runs inside su and sudo, whose caller controls the
// environment, and libpq fills every parameter a connection string leaves
// out from PG* variables (PGHOST, PGSSLMODE, PGSERVICEFILE, PGPASSFILE,
// ...). So every parameter libpq would take from the environment is given
// here explicitly, from store_url or from a safe default; the environment
// never decides where otpgate connects or how:
// - sslmode verify-full (TLS with the server's certificate checked against
//   sslrootcert and its name against the host) unless store_url says
//   otherwise; anything weaker is reported by weak_tls() so that each
//   connection logs a warning;
// - sslrootcert the system's CA bundle (/etc/ssl/certs/ca-certificates.crt)
//   unless store_url names one; gssencmode disable; no password file, no
//   service file; connect_timeout left to our own deadline;
// - a client certificate (sslcert, sslkey; pg_hba method `cert`) only when
//   store_url names one, its key unencrypted: sslpassword is refused in
//   store_url, and libpq never prompts for a passphrase.
// Three variables are not connection parameters and still reach the server:
// libpq sends PGTZ, PGDATESTYLE and PGGEQO as session settings, after (so
// over) `options`. Statements must therefore not depend on the session's
// TimeZone or DateStyle: pass and read times as numbers (epoch seconds,
// to_timestamp($1), extract(epoch from ...)) and compare them in SQL.
// And while PGHOSTADDR is set, a store_url whose only host is a name or a
// socket is refused (`unsafe`): libpq would connect to that address.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "otpgate/core/database/libpq_library.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

inline constexpr const char* system_ca_bundle = "/etc/ssl/certs/ca-certificates.crt";

struct StoreConnectionOptions {
    std::string url;                           // store_url
    const SecretString* password = nullptr;    // store_password; nullptr: none
    std::string application_name = "otpgate";  // shown in pg_stat_activity
    // Server-side limits set on the session (`options`), so that a statement
    // or a row lock never outlasts the login's own deadline.
    std::chrono::milliseconds statement_timeout{0};  // 0: not set
    // Connect as this role instead of store_url's user (`otpgate store
    // init --owner`), to the same database: an unnamed dbname stays the
    // name of store_url's user. Empty: store_url's user.
    std::string role{};
};

class ConnectionSettings {
public:
    // invalid_input when store_url does not parse ("store_url: missing
    // \"=\" after ..." as libpq says it), names no host, or sets a password
    // (passwords belong in otpgate.secrets, never in the config) or an
    // sslpassword (a key for the store is unencrypted and root's).
    static Result<ConnectionSettings> make(const LibpqLibrary& libpq,
                                           const StoreConnectionOptions& options);

    // NULL-terminated arrays for PQconnectStartParams (expand_dbname 0).
    // Valid while this object lives; the password's copy is wiped on
    // destruction.
    [[nodiscard]] const char* const* keywords() const noexcept;
    [[nodiscard]] const char* const* values() const noexcept;

    // nullopt when the server's certificate and name are verified
    // (sslmode=verify-full); otherwise why not, for the warning logged at
    // each connection ("store_url sets sslmode=require: the server's
    // certificate is not verified").
    [[nodiscard]] const std::optional<std::string>& weak_tls() const noexcept;

    // For people and logs, never with the password:
    // "host=db1,db2 port=5432 dbname=otpgate user=otpgate_login sslmode=verify-full".
    [[nodiscard]] const std::string& description() const noexcept;

    // The value given for `keyword` (tests, `otpgate store check`); nullopt
    // when none. Never the password.
    [[nodiscard]] std::optional<std::string> value_of(const std::string& keyword) const;

    // The value store_url itself gives `keyword`, not a default (does it
    // name a user, a client certificate?); nullopt when it gives none.
    [[nodiscard]] std::optional<std::string> given_in_url(const std::string& keyword) const;

    // The host names libpq would look up itself, with no deadline of ours
    // (host_name_lookup.hpp): entries of `host` that are neither an address
    // nor a socket and have no hostaddr. Each once, in order.
    [[nodiscard]] std::vector<std::string> host_names() const;

    // These settings with each of those names replaced by its `addresses`:
    // one entry per address, with the name as `host` (the server's
    // certificate is checked against it), the address as `hostaddr` and the
    // name's port. A name with no addresses is left out, as libpq skips a
    // host it cannot look up; not_found when no host is left.
    [[nodiscard]] Result<ConnectionSettings> with_addresses(
        const std::map<std::string, std::vector<std::string>>& addresses) const;

    ~ConnectionSettings();
    ConnectionSettings(ConnectionSettings&&) noexcept;
    ConnectionSettings& operator=(ConnectionSettings&&) noexcept;

private:
    ConnectionSettings() = default;
    // Points the NULL-terminated arrays at the strings (after every change).
    void point_at_strings();
    void set_value(const std::string& keyword, std::string value);
    std::vector<std::string> m_keywords;
    std::vector<std::string> m_values;  // the password's slot is wiped on destruction
    std::vector<const char*> m_keyword_pointers;
    std::vector<const char*> m_value_pointers;
    std::optional<std::string> m_weak_tls;
    std::string m_description;
    std::map<std::string, std::string> m_given_in_url;  // never a password
};

}  // namespace otpgate::core
