// One connection to a real PostgreSQL 15 (database/pg_connection.hpp),
// on a throwaway server of the test's own (tests/servers/
// postgres_server.py): TLS verified by default, parameters and results in
// text, the server's errors with their SQLSTATE, and every wait ending at
// its deadline: a frozen server, a long statement, a server that is gone.
// ctest runs each test in a process, and so on a server, of its own.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include "forked_child.hpp"
#include "otpgate/core/database/connection_settings.hpp"
#include "otpgate/core/database/libpq_library.hpp"
#include "otpgate/core/database/pg_connection.hpp"
#include "postgres_fixture.hpp"
#include "test_files.hpp"

namespace otpgate::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

Deadline after(milliseconds wait) {
    return steady_clock::now() + wait;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class PgConnectionTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (geteuid() != 0) {
            return;  // skipped in SetUp
        }
        // An exception here would only skip the tests: each fails instead.
        try {
            server = std::make_unique<test::PostgresFixture>(OTPGATE_TEST_PYTHON,
                                                             OTPGATE_TEST_POSTGRES_SERVER);
        } catch (const std::exception& failure) {
            server_failure = failure.what();
        }
    }
    static void TearDownTestSuite() { server.reset(); }

    void SetUp() override {
        if (geteuid() != 0) {
            GTEST_SKIP() << "needs root to run PostgreSQL";
        }
        ASSERT_TRUE(server) << "no PostgreSQL server: " << server_failure;
        const auto loaded = libpq_library();
        ASSERT_TRUE(loaded.ok()) << loaded.error().message;
        libpq = loaded.value();
    }

    // The login role over TCP on 127.0.0.1; `extra` is appended to store_url.
    static std::string login_url(const std::string& extra = "") {
        return "host=127.0.0.1 port=" + std::to_string(server->port()) +
               " dbname=otpgate user=otpgate_login " + extra;
    }
    static std::string test_ca() { return "sslrootcert=" + server->ca_file().string(); }

    ConnectionSettings settings(const std::string& url, const std::string& password) const {
        const SecretString secret(password);
        StoreConnectionOptions options;
        options.url = url;
        options.password = &secret;
        auto made = ConnectionSettings::make(*libpq, options);
        if (!made) {
            throw std::runtime_error(made.error().message);
        }
        return std::move(made).value();
    }

    // The schema's owner, who may create tables.
    Result<PgConnection> open_owner() const {
        const auto owner = settings("host=127.0.0.1 port=" + std::to_string(server->port()) +
                                        " dbname=otpgate user=otpgate_owner " + test_ca(),
                                    server->owner_password());
        return PgConnection::open(*libpq, owner, after(milliseconds(10000)));
    }

    Result<PgConnection> open_login(milliseconds wait = milliseconds(10000)) const {
        const auto login = settings(login_url(test_ca()), server->login_password());
        return PgConnection::open(*libpq, login, after(wait));
    }

    static inline std::unique_ptr<test::PostgresFixture> server;
    static inline std::string server_failure;
    const LibpqLibrary* libpq = nullptr;
};

TEST_F(PgConnectionTest, ConnectsWithTlsVerifiedAgainstTheTestCa) {
    auto connection = open_login();
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    const ConnectionFacts facts = connection.value().facts();
    EXPECT_TRUE(facts.tls);
    EXPECT_EQ(facts.tls_protocol, "TLSv1.3");
    EXPECT_FALSE(facts.tls_cipher.empty());
    EXPECT_EQ(facts.host, "127.0.0.1");
    EXPECT_EQ(facts.port, std::to_string(server->port()));
    EXPECT_GE(facts.server_version, 150000);
    EXPECT_LT(facts.server_version, 160000);
    EXPECT_FALSE(connection.value().broken());
    EXPECT_EQ(connection.value().transaction_status(), PQTRANS_IDLE);

    // The server agrees: this backend is on TLS, as the login role.
    const auto seen = connection.value().exec(
        "SELECT ssl, current_user FROM pg_stat_ssl WHERE pid = pg_backend_pid()", {},
        after(milliseconds(10000)));
    ASSERT_TRUE(seen.ok()) << seen.error().message;
    EXPECT_EQ(seen.value().value(0, 0), "t");
    EXPECT_EQ(seen.value().value(0, 1), "otpgate_login");
}

TEST_F(PgConnectionTest, ParametersAndResultsRoundTripAsText) {
    auto connection = open_login();
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    const auto result = connection.value().exec(
        "SELECT $1::text IS NULL, $2::text, $3::bytea, length($3::bytea), NULL::text",
        {std::nullopt, "h\xc3\xa9llo 'quoted' \\ back", "\\x00ff10"}, after(milliseconds(10000)));
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_EQ(result.value().rows(), 1);
    ASSERT_EQ(result.value().columns(), 5);
    EXPECT_EQ(result.value().value(0, 0), "t");
    EXPECT_EQ(result.value().value(0, 1), "h\xc3\xa9llo 'quoted' \\ back");
    EXPECT_EQ(result.value().value(0, 2), "\\x00ff10");
    EXPECT_EQ(result.value().value(0, 3), "3");
    EXPECT_EQ(result.value().value(0, 4), std::nullopt);
    EXPECT_EQ(result.value().value(1, 0), std::nullopt);  // no such row
    EXPECT_EQ(connection.value().last_sqlstate(), "");
}

TEST_F(PgConnectionTest, TheNextHostIsTriedWhenOneRefuses) {
    // Port 1 refuses; libpq moves to the second host on a new socket.
    const auto two = settings(
        "postgresql://otpgate_login@127.0.0.1:1,127.0.0.1:" + std::to_string(server->port()) +
            "/otpgate?target_session_attrs=read-write&sslrootcert=" + server->ca_file().string(),
        server->login_password());
    auto connection = PgConnection::open(*libpq, two, after(milliseconds(10000)));
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    EXPECT_EQ(connection.value().facts().port, std::to_string(server->port()));
    EXPECT_TRUE(connection.value().facts().tls);
}

TEST_F(PgConnectionTest, AUnixSocketConnectsWithoutTlsUnderTheDefaults) {
    // sslmode stays verify-full (the default) and sslrootcert the system
    // bundle: libpq uses no TLS on a Unix socket and refuses nothing.
    const auto socket =
        settings("host=" + server->socket_dir().string() +
                     " port=" + std::to_string(server->port()) + " user=postgres dbname=postgres",
                 "unused");
    EXPECT_EQ(socket.value_of("sslmode"), "verify-full");
    EXPECT_FALSE(socket.weak_tls().has_value());
    const passwd* const postgres = getpwnam("postgres");
    ASSERT_NE(postgres, nullptr);
    // Peer authentication: the connecting process must be `postgres`.
    const int code = test::run_in_child([&] {
        if (setgid(postgres->pw_gid) != 0 || setuid(postgres->pw_uid) != 0) {
            return 10;
        }
        auto connection = PgConnection::open(*libpq, socket, after(milliseconds(10000)));
        if (!connection.ok()) {
            std::fprintf(stderr, "%s\n", connection.error().message.c_str());
            return 11;
        }
        const auto who =
            connection.value().exec("SELECT current_user", {}, after(milliseconds(10000)));
        if (!who.ok() || who.value().value(0, 0) != "postgres") {
            return 12;
        }
        return connection.value().facts().tls ? 13 : 0;
    });
    EXPECT_EQ(code, 0) << "10: setuid, 11: open failed, 12: wrong user, 13: TLS in use";
}

TEST_F(PgConnectionTest, AffectedRowsAreCounted) {
    auto connection = open_owner();
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    PgConnection& db = connection.value();
    ASSERT_TRUE(
        db.exec("CREATE TABLE otpgate.counted (n integer)", {}, after(milliseconds(10000))));
    const auto inserted = db.exec("INSERT INTO otpgate.counted SELECT generate_series(1, $1::int)",
                                  {"3"}, after(milliseconds(10000)));
    ASSERT_TRUE(inserted.ok()) << inserted.error().message;
    EXPECT_EQ(inserted.value().affected_rows(), 3U);
    const auto updated =
        db.exec("UPDATE otpgate.counted SET n = n + 1 WHERE n > 1", {}, after(milliseconds(10000)));
    ASSERT_TRUE(updated.ok()) << updated.error().message;
    EXPECT_EQ(updated.value().affected_rows(), 2U);
}

TEST_F(PgConnectionTest, AServerErrorKeepsItsSqlstateAndTheConnection) {
    auto connection = open_login();
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    PgConnection& db = connection.value();
    const auto failed =
        db.exec("SELECT * FROM otpgate.no_such_table", {}, after(milliseconds(10000)));
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().kind, ErrorKind::io);
    EXPECT_EQ(db.last_sqlstate(), "42P01");
    EXPECT_EQ(failed.error().message,
              "the store refused a statement: relation \"otpgate.no_such_table\" does not exist "
              "(SQLSTATE 42P01)");
    EXPECT_FALSE(db.broken());

    // Inside a transaction: the error aborts it, the connection still works.
    ASSERT_TRUE(db.exec("BEGIN", {}, after(milliseconds(10000))));
    EXPECT_EQ(db.transaction_status(), PQTRANS_INTRANS);
    EXPECT_FALSE(db.exec("SELECT 1/0", {}, after(milliseconds(10000))));
    EXPECT_EQ(db.last_sqlstate(), "22012");
    EXPECT_EQ(db.transaction_status(), PQTRANS_INERROR);
    ASSERT_TRUE(db.exec("ROLLBACK", {}, after(milliseconds(10000))));
    const auto again = db.exec("SELECT 1", {}, after(milliseconds(10000)));
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again.value().value(0, 0), "1");
    EXPECT_EQ(db.last_sqlstate(), "");
}

TEST_F(PgConnectionTest, NoticesAreNotWrittenToStderr) {
    auto connection = open_login();
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    test::TempDir folder;
    const auto captured = folder / "stderr";
    std::fflush(stderr);
    const int saved = dup(STDERR_FILENO);
    const int file = ::open(captured.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(file, 0);
    dup2(file, STDERR_FILENO);
    const auto raised = connection.value().exec(
        "DO $$BEGIN RAISE NOTICE 'otpgate-notice'; RAISE WARNING 'otpgate-warning'; END$$", {},
        after(milliseconds(10000)));
    dup2(saved, STDERR_FILENO);
    ::close(saved);
    ::close(file);
    ASSERT_TRUE(raised.ok()) << raised.error().message;
    EXPECT_EQ(test::read_file(captured), "");
}

TEST_F(PgConnectionTest, AWrongPasswordIsRefusedWithTheServersReason) {
    const auto wrong = settings(login_url(test_ca()), "not-the-password");
    const auto connection = PgConnection::open(*libpq, wrong, after(milliseconds(10000)));
    ASSERT_FALSE(connection.ok());
    EXPECT_EQ(connection.error().kind, ErrorKind::unavailable);
    EXPECT_TRUE(contains(connection.error().message, "cannot connect to the store (host=127.0.0.1"))
        << connection.error().message;
    EXPECT_TRUE(contains(connection.error().message,
                         "password authentication failed for user \"otpgate_login\""))
        << connection.error().message;
    EXPECT_FALSE(contains(connection.error().message, "not-the-password"));
}

TEST_F(PgConnectionTest, TheSystemBundleDoesNotTrustTheTestCa) {
    // No sslrootcert in store_url: verify-full against the system's CAs,
    // which never signed the test server's certificate.
    const auto system = settings(login_url(), server->login_password());
    EXPECT_EQ(system.value_of("sslrootcert"), system_ca_bundle);
    const auto connection = PgConnection::open(*libpq, system, after(milliseconds(10000)));
    ASSERT_FALSE(connection.ok());
    EXPECT_EQ(connection.error().kind, ErrorKind::unavailable);
    EXPECT_TRUE(contains(connection.error().message, "certificate verify failed"))
        << connection.error().message;
}

TEST_F(PgConnectionTest, AFrozenServerTimesOutAConnect) {
    server->freeze();
    const auto started = steady_clock::now();
    const auto connection = open_login(milliseconds(300));
    const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - started);
    server->thaw();
    std::printf("open() against a frozen server, 300 ms allowed, returned after %lld ms\n",
                static_cast<long long>(took.count()));
    ASSERT_FALSE(connection.ok());
    EXPECT_EQ(connection.error().kind, ErrorKind::unavailable);
    // N is the time left when the call began: 300, or a little less.
    EXPECT_TRUE(contains(connection.error().message, "the store did not answer within "))
        << connection.error().message;
}

TEST_F(PgConnectionTest, AFrozenServerTimesOutAStatement) {
    auto connection = open_login();
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    PgConnection& db = connection.value();
    ASSERT_TRUE(db.exec("BEGIN", {}, after(milliseconds(10000))));
    server->freeze();
    const auto started = steady_clock::now();
    const auto result = db.exec("SELECT 1", {}, after(milliseconds(300)));
    const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - started);
    server->thaw();
    std::printf("exec() against a frozen server, 300 ms allowed, returned after %lld ms\n",
                static_cast<long long>(took.count()));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::unavailable);
    // N is the time left when the call began: 300, or a little less.
    EXPECT_TRUE(contains(result.error().message, "the store did not answer within "))
        << result.error().message;
    EXPECT_TRUE(db.broken());
    EXPECT_EQ(db.transaction_status(), PQTRANS_UNKNOWN);
    EXPECT_EQ(db.facts().host, "");
    // A broken connection sends nothing more.
    const auto later = db.exec("SELECT 1", {}, after(milliseconds(10000)));
    ASSERT_FALSE(later.ok());
    EXPECT_EQ(later.error().kind, ErrorKind::unavailable);
}

TEST_F(PgConnectionTest, ALongStatementTimesOut) {
    auto connection = open_login();
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    PgConnection& db = connection.value();
    const auto started = steady_clock::now();
    const auto result = db.exec("SELECT pg_sleep(5)", {}, after(milliseconds(200)));
    const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - started);
    std::printf("pg_sleep(5), 200 ms allowed, returned after %lld ms\n",
                static_cast<long long>(took.count()));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::unavailable);
    // N is the time left when the call began: 200, or a little less.
    EXPECT_TRUE(contains(result.error().message, "the store did not answer within "))
        << result.error().message;
    EXPECT_TRUE(db.broken());
    EXPECT_EQ(db.last_sqlstate(), "");
}

TEST_F(PgConnectionTest, TheServerEndingTheSessionBreaksTheConnection) {
    auto connection = open_login();
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    PgConnection& db = connection.value();
    const auto pid = db.exec("SELECT pg_backend_pid()", {}, after(milliseconds(10000)));
    ASSERT_TRUE(pid.ok()) << pid.error().message;
    // Another session of the same role ends this one (FATAL 57P01), and
    // waits until it is gone.
    auto other = open_login();
    ASSERT_TRUE(other.ok()) << other.error().message;
    const auto ended = other.value().exec("SELECT pg_terminate_backend($1::int, 10000)",
                                          {pid.value().value(0, 0)}, after(milliseconds(15000)));
    ASSERT_TRUE(ended.ok()) << ended.error().message;
    ASSERT_EQ(ended.value().value(0, 0), "t");
    const auto result = db.exec("SELECT 1", {}, after(milliseconds(10000)));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::unavailable);
    EXPECT_TRUE(contains(result.error().message, "lost the connection to the store"))
        << result.error().message;
    EXPECT_TRUE(db.broken());
}

TEST_F(PgConnectionTest, APipelineAnswersEachStatementInOrder) {
    auto connection = open_login();
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    const std::vector<PgStatement> statements{
        {"SELECT $1::int + 1", {"41"}},
        {"SELECT $1::text, $2::text IS NULL", {"second", std::nullopt}},
        {"SELECT current_user", {}}};
    const auto results = connection.value().exec_pipeline(statements, after(milliseconds(10000)));
    ASSERT_TRUE(results.ok()) << results.error().message;
    ASSERT_EQ(results.value().size(), 3U);
    EXPECT_EQ(results.value()[0].value(0, 0), "42");
    EXPECT_EQ(results.value()[1].value(0, 0), "second");
    EXPECT_EQ(results.value()[1].value(0, 1), "t");
    EXPECT_EQ(results.value()[2].value(0, 0), "otpgate_login");
    EXPECT_EQ(connection.value().failed_statement(), 3U);
    EXPECT_EQ(connection.value().transaction_status(), PQTRANS_IDLE);
    // Out of pipeline mode again: a single statement works as before.
    const auto single = connection.value().exec("SELECT 7", {}, after(milliseconds(10000)));
    ASSERT_TRUE(single.ok()) << single.error().message;
    EXPECT_EQ(single.value().value(0, 0), "7");
}

TEST_F(PgConnectionTest, ARefusedStatementStopsThePipelineAndUndoesItsImplicitTransaction) {
    auto connection = open_owner();
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    PgConnection& db = connection.value();
    ASSERT_TRUE(db.exec("CREATE TABLE otpgate.piped (n integer)", {}, after(milliseconds(10000))));
    const auto count = [&] {
        const auto counted =
            db.exec("SELECT count(*) FROM otpgate.piped", {}, after(milliseconds(10000)));
        return counted ? std::string(counted.value().value(0, 0).value_or("?")) : "error";
    };

    // Outside a transaction block: one implicit transaction, all or nothing.
    const std::vector<PgStatement> failing{{"INSERT INTO otpgate.piped VALUES (1)", {}},
                                           {"SELECT 1/0", {}},
                                           {"INSERT INTO otpgate.piped VALUES (2)", {}}};
    const auto refused = db.exec_pipeline(failing, after(milliseconds(10000)));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::io);
    EXPECT_EQ(refused.error().message,
              "the store refused a statement: division by zero (SQLSTATE 22012)");
    EXPECT_EQ(db.last_sqlstate(), "22012");
    EXPECT_EQ(db.failed_statement(), 1U);
    EXPECT_FALSE(db.broken());
    EXPECT_EQ(db.transaction_status(), PQTRANS_IDLE);
    EXPECT_EQ(count(), "0");

    // Inside one: the block is failed until the caller rolls it back.
    ASSERT_TRUE(db.exec("BEGIN", {}, after(milliseconds(10000))));
    const std::vector<PgStatement> in_block{{"INSERT INTO otpgate.piped VALUES (3)", {}},
                                            {"SELECT 1/0", {}}};
    EXPECT_FALSE(db.exec_pipeline(in_block, after(milliseconds(10000))));
    EXPECT_EQ(db.failed_statement(), 1U);
    EXPECT_EQ(db.transaction_status(), PQTRANS_INERROR);
    ASSERT_TRUE(db.exec("ROLLBACK", {}, after(milliseconds(10000))));
    EXPECT_EQ(count(), "0");

    // A whole transaction in one round trip commits.
    const std::vector<PgStatement> whole{
        {"BEGIN", {}}, {"INSERT INTO otpgate.piped VALUES ($1::int)", {"4"}}, {"COMMIT", {}}};
    const auto committed = db.exec_pipeline(whole, after(milliseconds(10000)));
    ASSERT_TRUE(committed.ok()) << committed.error().message;
    EXPECT_EQ(committed.value()[1].affected_rows(), 1U);
    EXPECT_EQ(db.transaction_status(), PQTRANS_IDLE);
    EXPECT_EQ(count(), "1");
}

TEST_F(PgConnectionTest, AFrozenServerTimesOutAPipeline) {
    auto connection = open_login();
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    PgConnection& db = connection.value();
    server->freeze();
    const std::vector<PgStatement> statements{{"BEGIN", {}}, {"SELECT 1", {}}};
    const auto result = db.exec_pipeline(statements, after(milliseconds(300)));
    server->thaw();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::unavailable);
    EXPECT_TRUE(contains(result.error().message, "the store did not answer within "))
        << result.error().message;
    EXPECT_TRUE(db.broken());
    EXPECT_EQ(db.failed_statement(), 2U);
}

// Last in the file: the server stays down (each test has its own under ctest).
TEST_F(PgConnectionTest, AStoppedServerRefusesAtOnce) {
    server->kill();
    const auto connection = open_login(milliseconds(10000));
    ASSERT_FALSE(connection.ok());
    EXPECT_EQ(connection.error().kind, ErrorKind::unavailable);
    EXPECT_TRUE(contains(connection.error().message, "Connection refused"))
        << connection.error().message;
}

}  // namespace
}  // namespace otpgate::core
