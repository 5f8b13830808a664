// One connection to PostgreSQL through the loaded libpq, in non-blocking
// mode: every wait (connect, TLS and SCRAM handshakes, a statement, a row
// lock) ends at a deadline the caller gives, measured on the steady clock.
// At the deadline the connection is closed (the server rolls back whatever
// was open) and the call returns `unavailable`; a closed or lost connection
// is broken() and sends nothing more. libpq's notices are never written to
// stderr (the module's stderr is sshd's).
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "otpgate/core/database/connection_settings.hpp"
#include "otpgate/core/database/libpq_library.hpp"
#include "otpgate/core/primitives/result.hpp"

namespace otpgate::core {

using Deadline = std::chrono::steady_clock::time_point;

// A statement's result rows, in text format. Owns its PGresult.
class PgResult {
public:
    PgResult(const LibpqLibrary& libpq, PGresult* result) noexcept;
    ~PgResult();
    PgResult(PgResult&& other) noexcept;
    PgResult& operator=(PgResult&& other) noexcept;
    PgResult(const PgResult&) = delete;
    PgResult& operator=(const PgResult&) = delete;

    [[nodiscard]] int rows() const noexcept;
    [[nodiscard]] int columns() const noexcept;
    // nullopt for SQL NULL. Valid while this result lives.
    [[nodiscard]] std::optional<std::string_view> value(int row, int column) const noexcept;
    // Rows changed by INSERT, UPDATE or DELETE.
    [[nodiscard]] std::uint64_t affected_rows() const noexcept;

private:
    friend class PgConnection;  // reads the raw result of a pipeline
    const LibpqLibrary* m_libpq;
    PGresult* m_result;
};

// What `otpgate store check` reports of an open connection.
struct ConnectionFacts {
    std::string host;
    std::string address;  // the address connected to ("" over a Unix socket)
    std::string port;
    int server_version = 0;  // e.g. 150020
    bool tls = false;
    std::string tls_protocol;  // "TLSv1.3"
    std::string tls_cipher;
};

// A text parameter of a statement; nullopt is SQL NULL. Binary values
// (bytea) are passed in PostgreSQL's hex form ("\\x0a1b...").
using PgParam = std::optional<std::string_view>;

// One statement of a pipeline: its text and its text parameters ($1..$n).
struct PgStatement {
    std::string_view sql;
    std::vector<PgParam> params;
};

class PgConnection {
public:
    // Connects (trying each host of the settings in turn, as libpq does)
    // and finishes the TLS and authentication handshakes before
    // `deadline`; host names are looked up first, within it too
    // (host_name_lookup.hpp). `unavailable` with libpq's reason ("cannot
    // connect to the store (host=... ): connection refused"), or "the
    // store did not answer within N ms" at the deadline.
    static Result<PgConnection> open(const LibpqLibrary& libpq, const ConnectionSettings& settings,
                                     Deadline deadline);

    ~PgConnection();
    PgConnection(PgConnection&& other) noexcept;
    PgConnection& operator=(PgConnection&& other) noexcept;
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    // Runs one statement (extended protocol, text parameters $1..$n) and
    // waits for its result until `deadline`. Errors:
    // - `unavailable`: timed out, connection lost or closed (broken() after);
    // - `io`: the server refused the statement; last_sqlstate() says why
    //   ("40001" serialization failure, "55P03" lock not available,
    //   "42P01" undefined table, ...), and the message has the server's text.
    Result<PgResult> exec(std::string_view sql, std::initializer_list<PgParam> params,
                          Deadline deadline);

    // Runs `statements` in order in one round trip (libpq's pipeline mode,
    // one Sync after the last) and waits for all their results until
    // `deadline`; one result per statement. Outside a transaction block
    // they form one implicit transaction. The first statement the server
    // refuses ends the pipeline: the server skips those after it, and a
    // transaction block is left failed (the caller rolls it back).
    // Errors as exec(); failed_statement() says which statement failed.
    Result<std::vector<PgResult>> exec_pipeline(std::span<const PgStatement> statements,
                                                Deadline deadline);
    // The index of the statement the server refused in the last
    // exec_pipeline(); the number of statements when it refused none (a
    // success, a timeout, a lost connection).
    [[nodiscard]] std::size_t failed_statement() const noexcept { return m_failed_statement; }

    [[nodiscard]] bool broken() const noexcept;
    // SQLSTATE of the last failed statement, "" after a success or when
    // the failure was not the server's.
    [[nodiscard]] const std::string& last_sqlstate() const noexcept;
    // PQTRANS_IDLE, PQTRANS_INTRANS, ...; PQTRANS_UNKNOWN when broken.
    [[nodiscard]] PGTransactionStatusType transaction_status() const noexcept;
    [[nodiscard]] ConnectionFacts facts() const;

private:
    // open() once no host name is left to look up.
    static Result<PgConnection> connect(const LibpqLibrary& libpq,
                                        const ConnectionSettings& settings, Deadline deadline);
    PgConnection(const LibpqLibrary& libpq, PGconn* connection) noexcept;
    void close() noexcept;

    const LibpqLibrary* m_libpq = nullptr;
    PGconn* m_connection = nullptr;
    std::string m_last_sqlstate;
    std::size_t m_failed_statement = 0;
};

// The milliseconds from now to `deadline` (0 when passed): for messages.
std::chrono::milliseconds time_left(Deadline deadline);

}  // namespace otpgate::core
