#include "otpgate/core/database/pg_connection.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <poll.h>

#include "otpgate/core/database/host_name_lookup.hpp"
#include "otpgate/core/system/descriptor_io.hpp"

namespace otpgate::core {
namespace {

// libpq calls this for every notice and warning; the default receiver
// writes to stderr, which in the module is sshd's or the caller's terminal.
void discard_notice(void* /*argument*/, const PGresult* /*notice*/) noexcept {}

// libpq's messages end in a newline and may hold one line per host tried.
std::string one_line(const char* text) {
    std::string line = text == nullptr ? "" : text;
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) {
        line.pop_back();
    }
    for (char& c : line) {
        if (c == '\n') {
            c = ' ';
        }
    }
    return line.empty() ? "unknown error" : line;
}

std::string did_not_answer(std::chrono::milliseconds allowed) {
    return "the store did not answer within " + std::to_string(allowed.count()) + " ms";
}

bool is_fatal(const LibpqLibrary& libpq, const PGresult* result) {
    const char* const severity = libpq.result_error_field(result, PG_DIAG_SEVERITY_NONLOCALIZED);
    return severity != nullptr &&
           (std::strcmp(severity, "FATAL") == 0 || std::strcmp(severity, "PANIC") == 0);
}

}  // namespace

std::chrono::milliseconds time_left(Deadline deadline) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

PgResult::PgResult(const LibpqLibrary& libpq, PGresult* result) noexcept
    : m_libpq(&libpq), m_result(result) {}

PgResult::~PgResult() {
    if (m_result != nullptr) {
        m_libpq->clear(m_result);
    }
}

PgResult::PgResult(PgResult&& other) noexcept
    : m_libpq(other.m_libpq), m_result(std::exchange(other.m_result, nullptr)) {}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
    if (this != &other) {
        if (m_result != nullptr) {
            m_libpq->clear(m_result);
        }
        m_libpq = other.m_libpq;
        m_result = std::exchange(other.m_result, nullptr);
    }
    return *this;
}

int PgResult::rows() const noexcept {
    return m_result == nullptr ? 0 : m_libpq->ntuples(m_result);
}

int PgResult::columns() const noexcept {
    return m_result == nullptr ? 0 : m_libpq->nfields(m_result);
}

std::optional<std::string_view> PgResult::value(int row, int column) const noexcept {
    if (row < 0 || row >= rows() || column < 0 || column >= columns() ||
        m_libpq->get_is_null(m_result, row, column) != 0) {
        return std::nullopt;
    }
    return std::string_view(m_libpq->get_value(m_result, row, column),
                            static_cast<std::size_t>(m_libpq->get_length(m_result, row, column)));
}

std::uint64_t PgResult::affected_rows() const noexcept {
    if (m_result == nullptr) {
        return 0;
    }
    const char* const count = m_libpq->cmd_tuples(m_result);
    return count == nullptr || *count == '\0' ? 0 : std::strtoull(count, nullptr, 10);
}

PgConnection::PgConnection(const LibpqLibrary& libpq, PGconn* connection) noexcept
    : m_libpq(&libpq), m_connection(connection) {}

PgConnection::~PgConnection() {
    close();
}

PgConnection::PgConnection(PgConnection&& other) noexcept
    : m_libpq(other.m_libpq),
      m_connection(std::exchange(other.m_connection, nullptr)),
      m_last_sqlstate(std::move(other.m_last_sqlstate)) {}

PgConnection& PgConnection::operator=(PgConnection&& other) noexcept {
    if (this != &other) {
        close();
        m_libpq = other.m_libpq;
        m_connection = std::exchange(other.m_connection, nullptr);
        m_last_sqlstate = std::move(other.m_last_sqlstate);
    }
    return *this;
}

void PgConnection::close() noexcept {
    if (m_connection != nullptr) {
        m_libpq->finish(m_connection);
        m_connection = nullptr;
    }
}

Result<PgConnection> PgConnection::open(const LibpqLibrary& libpq,
                                        const ConnectionSettings& settings, Deadline deadline) {
    const auto names = settings.host_names();
    if (names.empty()) {
        return connect(libpq, settings, deadline);
    }
    // libpq would look the names up blocking, past any deadline; here each
    // lookup has the deadline, and libpq gets addresses. A name that is
    // not known is left out (libpq would go on to the next host); one that
    // takes until the deadline leaves no time for the others.
    std::map<std::string, std::vector<std::string>> addresses;
    std::string not_known;
    for (const auto& name : names) {
        auto found = look_up_host_name(name, deadline);
        if (!found) {
            if (found.error().kind != ErrorKind::not_found) {
                return make_error(ErrorKind::unavailable, "cannot connect to the store (" +
                                                              settings.description() +
                                                              "): " + found.error().message);
            }
            not_known += (not_known.empty() ? "" : "; ") + found.error().message;
            continue;
        }
        addresses.emplace(name, std::move(*found));
    }
    auto resolved = settings.with_addresses(addresses);
    if (!resolved) {
        return make_error(ErrorKind::unavailable,
                          "cannot connect to the store (" + settings.description() +
                              "): " + (not_known.empty() ? resolved.error().message : not_known));
    }
    return connect(libpq, *resolved, deadline);
}

Result<PgConnection> PgConnection::connect(const LibpqLibrary& libpq,
                                           const ConnectionSettings& settings, Deadline deadline) {
    const auto allowed = time_left(deadline);
    PgConnection connection(libpq,
                            libpq.connect_start_params(settings.keywords(), settings.values(), 0));
    if (connection.m_connection == nullptr) {
        return make_error(ErrorKind::unavailable, "cannot connect to the store: out of memory");
    }
    PGconn* const raw = connection.m_connection;
    libpq.set_notice_receiver(raw, discard_notice, nullptr);
    const auto refused = [&] {
        return make_error(ErrorKind::unavailable, "cannot connect to the store (" +
                                                      settings.description() +
                                                      "): " + one_line(libpq.error_message(raw)));
    };
    if (libpq.status(raw) == CONNECTION_BAD) {
        return refused();
    }
    // As libpq's documentation prescribes: start as if PGRES_POLLING_WRITING,
    // and look up the socket again each round (it changes from host to host).
    PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
    while (polling != PGRES_POLLING_OK) {
        if (polling == PGRES_POLLING_FAILED) {
            return refused();
        }
        const short events = polling == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        const DescriptorWait waited = wait_for_descriptor(libpq.socket(raw), events, deadline);
        if (waited == DescriptorWait::timed_out) {
            return make_error(ErrorKind::unavailable, did_not_answer(allowed));
        }
        if (waited == DescriptorWait::failed) {
            return refused();
        }
        polling = libpq.connect_poll(raw);
    }
    if (libpq.set_nonblocking(raw, 1) != 0) {
        return refused();
    }
    return connection;
}

Result<PgResult> PgConnection::exec(std::string_view sql, std::initializer_list<PgParam> params,
                                    Deadline deadline) {
    const PgStatement statement{sql, std::vector<PgParam>(params)};
    auto results = exec_pipeline(std::span(&statement, 1), deadline);
    if (!results) {
        return results.error();
    }
    return std::move(results->front());
}

Result<std::vector<PgResult>> PgConnection::exec_pipeline(std::span<const PgStatement> statements,
                                                          Deadline deadline) {
    const auto allowed = time_left(deadline);
    m_last_sqlstate.clear();
    m_failed_statement = statements.size();
    if (broken()) {
        return make_error(ErrorKind::unavailable, "the connection to the store is closed");
    }
    const auto lost = [this] {
        Error error{ErrorKind::unavailable, "lost the connection to the store: " +
                                                one_line(m_libpq->error_message(m_connection))};
        close();
        return error;
    };
    const auto timed_out = [this, allowed] {
        close();  // the server rolls back what was open
        return make_error(ErrorKind::unavailable, did_not_answer(allowed));
    };
    const auto wait = [&](short events) {
        return wait_for_descriptor(m_libpq->socket(m_connection), events, deadline);
    };

    if (m_libpq->enter_pipeline_mode(m_connection) == 0) {
        return lost();
    }
    for (const PgStatement& statement : statements) {
        // Text parameters must end in NUL.
        const std::string sql(statement.sql);
        std::vector<std::string> texts;
        texts.reserve(statement.params.size());
        std::vector<const char*> values;
        for (const auto& param : statement.params) {
            if (param) {
                texts.emplace_back(*param);
                values.push_back(texts.back().c_str());
            } else {
                values.push_back(nullptr);
            }
        }
        if (m_libpq->send_query_params(m_connection, sql.c_str(), static_cast<int>(values.size()),
                                       nullptr, values.data(), nullptr, nullptr, 0) == 0) {
            return lost();
        }
    }
    if (m_libpq->pipeline_sync(m_connection) == 0) {
        return lost();
    }
    // A non-blocking send may leave data queued; read while waiting, as
    // the server may be writing to us too.
    for (int flushed = m_libpq->flush(m_connection); flushed != 0;
         flushed = m_libpq->flush(m_connection)) {
        if (flushed < 0) {
            return lost();
        }
        const DescriptorWait waited = wait(POLLIN | POLLOUT);
        if (waited == DescriptorWait::timed_out) {
            return timed_out();
        }
        if (waited == DescriptorWait::failed || m_libpq->consume_input(m_connection) == 0) {
            return lost();
        }
    }

    // The next result, or nullptr at the end of a statement's results;
    // `waited` says why there is none when the wait failed.
    DescriptorWait waited = DescriptorWait::ready;
    const auto next_result = [&]() -> PGresult* {
        while (m_libpq->is_busy(m_connection) != 0) {
            waited = wait(POLLIN);
            if (waited != DescriptorWait::ready) {
                return nullptr;
            }
            if (m_libpq->consume_input(m_connection) == 0) {
                waited = DescriptorWait::failed;
                return nullptr;
            }
        }
        return m_libpq->get_result(m_connection);
    };
    const auto ended = [&]() -> Error {
        return waited == DescriptorWait::timed_out ? timed_out() : lost();
    };

    std::vector<PgResult> results;
    results.reserve(statements.size());
    std::optional<Error> refused;
    for (std::size_t i = 0; i < statements.size(); ++i) {
        PgResult result(*m_libpq, next_result());
        if (result.m_result == nullptr) {
            return ended();
        }
        // Each statement's results end with a null one.
        for (PGresult* extra = next_result(); extra != nullptr; extra = next_result()) {
            m_libpq->clear(extra);
        }
        if (waited != DescriptorWait::ready) {
            return ended();
        }
        const ExecStatusType status = m_libpq->result_status(result.m_result);
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
            results.push_back(std::move(result));
            continue;
        }
        if (status == PGRES_PIPELINE_ABORTED && refused) {
            continue;  // skipped after the refusal
        }
        if (status == PGRES_FATAL_ERROR && !is_fatal(*m_libpq, result.m_result) &&
            m_libpq->status(m_connection) != CONNECTION_BAD) {
            const char* const sqlstate =
                m_libpq->result_error_field(result.m_result, PG_DIAG_SQLSTATE);
            const char* const primary =
                m_libpq->result_error_field(result.m_result, PG_DIAG_MESSAGE_PRIMARY);
            if (sqlstate != nullptr && *sqlstate != '\0' && !refused) {
                m_last_sqlstate = sqlstate;
                m_failed_statement = i;
                refused = make_error(ErrorKind::io,
                                     "the store refused a statement: " + one_line(primary) +
                                         " (SQLSTATE " + m_last_sqlstate + ")");
                continue;
            }
        }
        if (status == PGRES_FATAL_ERROR) {
            // The server ended the session (FATAL), or libpq lost it.
            Error error{ErrorKind::unavailable,
                        "lost the connection to the store: " +
                            one_line(m_libpq->result_error_message(result.m_result))};
            close();
            return error;
        }
        // COPY, an empty statement or a protocol surprise: nothing we send
        // asks for one, and the connection's state is no longer known.
        Error error{ErrorKind::unavailable, "the store answered a statement with result status " +
                                                std::to_string(static_cast<int>(status))};
        close();
        return error;
    }
    // The Sync's own result closes the pipeline.
    PgResult sync(*m_libpq, next_result());
    if (sync.m_result == nullptr) {
        return ended();
    }
    if (m_libpq->result_status(sync.m_result) != PGRES_PIPELINE_SYNC) {
        Error error{ErrorKind::unavailable, "the store answered out of order"};
        close();
        return error;
    }
    if (m_libpq->exit_pipeline_mode(m_connection) == 0) {
        return lost();
    }
    if (refused) {
        return *refused;
    }
    return results;
}

bool PgConnection::broken() const noexcept {
    return m_connection == nullptr || m_libpq->status(m_connection) == CONNECTION_BAD;
}

const std::string& PgConnection::last_sqlstate() const noexcept {
    return m_last_sqlstate;
}

PGTransactionStatusType PgConnection::transaction_status() const noexcept {
    return broken() ? PQTRANS_UNKNOWN : m_libpq->transaction_status(m_connection);
}

ConnectionFacts PgConnection::facts() const {
    ConnectionFacts facts;
    if (broken()) {
        return facts;
    }
    const auto text = [](const char* value) { return std::string(value == nullptr ? "" : value); };
    facts.host = text(m_libpq->host(m_connection));
    facts.address = text(m_libpq->hostaddr(m_connection));
    facts.port = text(m_libpq->port(m_connection));
    facts.server_version = m_libpq->server_version(m_connection);
    facts.tls = m_libpq->ssl_in_use(m_connection) != 0;
    if (facts.tls) {
        facts.tls_protocol = text(m_libpq->ssl_attribute(m_connection, "protocol"));
        facts.tls_cipher = text(m_libpq->ssl_attribute(m_connection, "cipher"));
    }
    return facts;
}

}  // namespace otpgate::core
