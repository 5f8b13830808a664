// store_url made into libpq's connection parameters (database/
// connection_settings.hpp), checked against the real libpq: the
// parameters a connection actually gets (PQconninfo after
// PQconnectStartParams) are the same whatever PG* variables the caller
// sets, passwords never come from store_url, and anything short of a
// verified TLS connection is named.
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <dlfcn.h>
#include <gtest/gtest.h>

#include "otpgate/core/database/connection_settings.hpp"
#include "otpgate/core/database/libpq_library.hpp"
#include "test_files.hpp"

namespace otpgate::core {
namespace {

const LibpqLibrary& libpq() {
    const auto loaded = libpq_library();
    if (!loaded) {
        throw std::runtime_error(loaded.error().message);
    }
    return *loaded.value();
}

Result<ConnectionSettings> settings_for(const std::string& url,
                                        const SecretString* password = nullptr) {
    StoreConnectionOptions options;
    options.url = url;
    options.password = password;
    return ConnectionSettings::make(libpq(), options);
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// Sets environment variables for one test and restores them after.
class ScopedEnvironment {
public:
    void set(const std::string& name, const std::string& value) {
        const char* const old = std::getenv(name.c_str());
        m_saved.emplace_back(name, old == nullptr ? std::nullopt : std::optional<std::string>(old));
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    ~ScopedEnvironment() {
        for (auto it = m_saved.rbegin(); it != m_saved.rend(); ++it) {
            if (it->second) {
                ::setenv(it->first.c_str(), it->second->c_str(), 1);
            } else {
                ::unsetenv(it->first.c_str());
            }
        }
    }

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> m_saved;
};

// What libpq makes of the settings, environment and service file included:
// PQconninfo of a connection just started (to a port nothing listens on).
std::map<std::string, std::string> effective_parameters(const ConnectionSettings& settings) {
    void* const library = dlopen(libpq_soname, RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
        throw std::runtime_error("dlopen libpq");
    }
    using Conninfo = PQconninfoOption* (*)(PGconn*);
    const auto conninfo = reinterpret_cast<Conninfo>(dlsym(library, "PQconninfo"));
    const LibpqLibrary& pq = libpq();
    PGconn* const connection = pq.connect_start_params(settings.keywords(), settings.values(), 0);
    std::map<std::string, std::string> parameters;
    if (connection != nullptr && pq.status(connection) != CONNECTION_BAD) {
        PQconninfoOption* const options = conninfo(connection);
        for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
            parameters[option->keyword] = option->val == nullptr ? "(null)" : option->val;
        }
        pq.conninfo_free(options);
    } else if (connection != nullptr) {
        parameters["(failed)"] = pq.error_message(connection);
    }
    if (connection != nullptr) {
        pq.finish(connection);
    }
    dlclose(library);
    return parameters;
}

// Every connection keyword libpq 15 fills from a PG* variable.
const std::vector<std::string> environment_keywords = {"user",
                                                       "passfile",
                                                       "channel_binding",
                                                       "connect_timeout",
                                                       "dbname",
                                                       "host",
                                                       "hostaddr",
                                                       "port",
                                                       "client_encoding",
                                                       "options",
                                                       "application_name",
                                                       "sslmode",
                                                       "sslcompression",
                                                       "sslcert",
                                                       "sslkey",
                                                       "sslrootcert",
                                                       "sslcrl",
                                                       "sslcrldir",
                                                       "sslsni",
                                                       "ssl_min_protocol_version",
                                                       "ssl_max_protocol_version",
                                                       "gssencmode",
                                                       "krbsrvname",
                                                       "gsslib",
                                                       "target_session_attrs"};

void set_hostile_environment(ScopedEnvironment& environment, const otpgate::test::TempDir& folder) {
    // A service file that would move the connection elsewhere, unprotected.
    otpgate::test::write_file(
        folder / "services",
        "[evil]\nhost=evil.example\nhostaddr=192.0.2.66\nport=1\nsslmode=disable\n"
        "dbname=evil\nuser=evil\nsslrootcert=/tmp/evil.pem\noptions=-c role=evil\n");
    const std::map<std::string, std::string> hostile = {
        {"PGHOST", "evil.example"},
        {"PGPORT", "1"},
        {"PGDATABASE", "evil"},
        {"PGUSER", "evil"},
        {"PGPASSWORD", "evil-password"},
        {"PGPASSFILE", (folder / "pgpass").string()},
        {"PGSERVICE", "evil"},
        {"PGSERVICEFILE", (folder / "services").string()},
        {"PGSYSCONFDIR", folder.path().string()},
        {"PGOPTIONS", "-c search_path=evil"},
        {"PGAPPNAME", "evil"},
        {"PGSSLMODE", "disable"},
        {"PGREQUIRESSL", "0"},
        {"PGSSLCERT", (folder / "cert.pem").string()},
        {"PGSSLKEY", (folder / "key.pem").string()},
        {"PGSSLROOTCERT", (folder / "root.pem").string()},
        {"PGSSLCRL", (folder / "root.crl").string()},
        {"PGSSLCRLDIR", folder.path().string()},
        {"PGSSLSNI", "0"},
        {"PGSSLCOMPRESSION", "1"},
        {"PGSSLMINPROTOCOLVERSION", "TLSv1"},
        {"PGSSLMAXPROTOCOLVERSION", "TLSv1.1"},
        {"PGGSSENCMODE", "require"},
        {"PGKRBSRVNAME", "evil"},
        {"PGGSSLIB", "sspi"},
        {"PGCONNECT_TIMEOUT", "1"},
        {"PGCLIENTENCODING", "SQL_ASCII"},
        {"PGTARGETSESSIONATTRS", "read-only"},
        {"PGCHANNELBINDING", "disable"},
        {"HOME", folder.path().string()},
    };
    for (const auto& [name, value] : hostile) {
        environment.set(name, value);
    }
}

TEST(ConnectionSettings, TheEnvironmentChangesNoParameter) {
    // Port 1: the connection only starts; nothing needs to answer.
    const std::string url = "host=127.0.0.1 port=1 dbname=otpgate user=otpgate_login";
    const SecretString password("right-password");
    const auto clean = settings_for(url, &password);
    ASSERT_TRUE(clean.ok()) << clean.error().message;
    const auto before = effective_parameters(clean.value());
    ASSERT_EQ(before.count("(failed)"), 0U) << before.at("(failed)");
    EXPECT_EQ(before.at("password"), "right-password");

    otpgate::test::TempDir folder;
    ScopedEnvironment environment;
    set_hostile_environment(environment, folder);
    const auto hostile = settings_for(url, &password);
    ASSERT_TRUE(hostile.ok()) << hostile.error().message;
    for (const auto& keyword : environment_keywords) {
        EXPECT_EQ(hostile.value().value_of(keyword), clean.value().value_of(keyword)) << keyword;
        EXPECT_TRUE(hostile.value().value_of(keyword).has_value()) << keyword << " is left empty";
    }
    EXPECT_EQ(hostile.value().description(), clean.value().description());

    const auto after = effective_parameters(hostile.value());
    ASSERT_EQ(after.count("(failed)"), 0U) << after.at("(failed)");
    for (const auto& [keyword, value] : before) {
        EXPECT_EQ(after.at(keyword), value) << keyword << " came from the environment";
    }
    EXPECT_EQ(after.at("host"), "127.0.0.1");
    EXPECT_EQ(after.at("hostaddr"), "127.0.0.1");
    EXPECT_EQ(after.at("sslmode"), "verify-full");
    EXPECT_EQ(after.at("sslrootcert"), system_ca_bundle);
    EXPECT_EQ(after.at("gssencmode"), "disable");
    EXPECT_EQ(after.at("password"), "right-password");
}

TEST(ConnectionSettings, AHostNameIsRefusedWhilePGHOSTADDRIsSet) {
    // libpq would connect to PGHOSTADDR and check the certificate against
    // the name; a single name leaves no way to write "no hostaddr".
    ScopedEnvironment environment;
    environment.set("PGHOSTADDR", "192.0.2.66");
    const auto single = settings_for("host=localhost");
    ASSERT_FALSE(single.ok());
    EXPECT_EQ(single.error().kind, ErrorKind::unsafe);
    EXPECT_TRUE(contains(single.error().message, "PGHOSTADDR")) << single.error().message;

    // Two hosts: one empty entry per name or socket, which libpq resolves.
    const auto pair = settings_for("host=localhost,/run/postgresql");
    ASSERT_TRUE(pair.ok()) << pair.error().message;
    EXPECT_EQ(pair.value().value_of("hostaddr"), ",");
    const auto after = effective_parameters(pair.value());
    ASSERT_EQ(after.count("(failed)"), 0U) << after.at("(failed)");
    EXPECT_EQ(after.at("hostaddr"), ",");

    const auto numeric = settings_for("host=127.0.0.1,::1");
    ASSERT_TRUE(numeric.ok()) << numeric.error().message;
    EXPECT_EQ(numeric.value().value_of("hostaddr"), "127.0.0.1,::1");
}

TEST(ConnectionSettings, DefaultsAreSafe) {
    const auto settings = settings_for("host=db.example.com");
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    const ConnectionSettings& s = settings.value();
    EXPECT_EQ(s.value_of("sslmode"), "verify-full");
    EXPECT_EQ(s.value_of("sslrootcert"), "/etc/ssl/certs/ca-certificates.crt");
    EXPECT_EQ(s.value_of("gssencmode"), "disable");
    EXPECT_EQ(s.value_of("channel_binding"), "prefer");
    EXPECT_EQ(s.value_of("target_session_attrs"), "any");
    EXPECT_EQ(s.value_of("client_encoding"), "UTF8");
    EXPECT_EQ(s.value_of("application_name"), "otpgate");
    EXPECT_EQ(s.value_of("port"), "5432");
    EXPECT_EQ(s.value_of("user"), "otpgate");
    EXPECT_EQ(s.value_of("dbname"), "otpgate");
    EXPECT_FALSE(s.value_of("hostaddr").has_value());
    EXPECT_FALSE(s.weak_tls().has_value());
    EXPECT_EQ(s.value_of("password"), std::nullopt);  // never shown, though always set
    EXPECT_EQ(s.description(),
              "host=db.example.com port=5432 dbname=otpgate user=otpgate sslmode=verify-full");
}

TEST(ConnectionSettings, AUriWithTwoHosts) {
    const auto settings =
        settings_for("postgresql://otpgate_login@a:1,b:2/otpgate?target_session_attrs=read-write");
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    const ConnectionSettings& s = settings.value();
    EXPECT_EQ(s.value_of("host"), "a,b");
    EXPECT_EQ(s.value_of("port"), "1,2");
    EXPECT_EQ(s.value_of("hostaddr"), ",");
    EXPECT_EQ(s.value_of("user"), "otpgate_login");
    EXPECT_EQ(s.value_of("dbname"), "otpgate");
    EXPECT_EQ(s.value_of("target_session_attrs"), "read-write");
    EXPECT_EQ(s.description(),
              "host=a,b port=1,2 dbname=otpgate user=otpgate_login sslmode=verify-full");
}

TEST(ConnectionSettings, TimeoutsAndApplicationNameGoToTheSession) {
    StoreConnectionOptions options;
    options.url = "host=db options='-c search_path=otpgate'";
    options.application_name = "otpgate-verify";
    options.statement_timeout = std::chrono::milliseconds(1500);
    const auto settings = ConnectionSettings::make(libpq(), options);
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings.value().value_of("options"),
              "-c search_path=otpgate -c statement_timeout=1500 -c lock_timeout=1500 "
              "-c idle_in_transaction_session_timeout=1500");
    EXPECT_EQ(settings.value().value_of("application_name"), "otpgate-verify");
    // Never empty, or PGOPTIONS would fill it.
    const auto plain = settings_for("host=db");
    ASSERT_TRUE(plain.ok());
    EXPECT_FALSE(plain.value().value_of("options").value_or("").empty());
}

TEST(ConnectionSettings, WeakTlsIsNamed) {
    const std::map<std::string, std::string> expected = {
        {"disable", "the connection is not encrypted"},
        {"allow", "the connection may not be encrypted"},
        {"prefer", "the connection may not be encrypted"},
        {"require", "the server's certificate is not verified"},
        {"verify-ca", "the server's name is not checked"},
    };
    for (const auto& [mode, reason] : expected) {
        const auto settings = settings_for("host=db sslmode=" + mode);
        ASSERT_TRUE(settings.ok()) << settings.error().message;
        ASSERT_TRUE(settings.value().weak_tls().has_value()) << mode;
        EXPECT_TRUE(contains(*settings.value().weak_tls(), "store_url sets sslmode=" + mode))
            << *settings.value().weak_tls();
        EXPECT_TRUE(contains(*settings.value().weak_tls(), reason)) << *settings.value().weak_tls();
    }
    const auto verified = settings_for("host=db sslmode=verify-full");
    ASSERT_TRUE(verified.ok());
    EXPECT_FALSE(verified.value().weak_tls().has_value());
}

TEST(ConnectionSettings, AUnixSocketNeedsNoTls) {
    // libpq never uses TLS on a Unix socket (whatever sslmode says); its
    // permissions guard it.
    const auto socket = settings_for("host=/run/postgresql sslmode=disable");
    ASSERT_TRUE(socket.ok()) << socket.error().message;
    EXPECT_FALSE(socket.value().weak_tls().has_value());
    const auto mixed = settings_for("host=/run/postgresql,db sslmode=disable");
    ASSERT_TRUE(mixed.ok());
    EXPECT_TRUE(mixed.value().weak_tls().has_value());
}

TEST(ConnectionSettings, APasswordInStoreUrlIsRefused) {
    for (const std::string url :
         {"host=db password=hunter2", "postgresql://otpgate:hunter2@db/otpgate",
          "postgresql://db/otpgate?password=hunter2"}) {
        const auto settings = settings_for(url);
        ASSERT_FALSE(settings.ok()) << url;
        EXPECT_EQ(settings.error().kind, ErrorKind::invalid_input);
        EXPECT_EQ(settings.error().message,
                  "store_url must not contain a password: put store_password in otpgate.secrets");
    }
}

TEST(ConnectionSettings, AClientCertificateInStoreUrlIsUsedWhateverTheEnvironment) {
    // pg_hba's `cert` method: store_url names the certificate and its key;
    // PGSSLCERT, PGSSLKEY and ~/.postgresql/ name none.
    const std::string url =
        "host=127.0.0.1 port=1 user=otpgate_cert sslcert=/etc/otpgate/store-client.crt "
        "sslkey=/etc/otpgate/store-client.key";
    otpgate::test::TempDir folder;
    ScopedEnvironment environment;
    set_hostile_environment(environment, folder);
    const auto settings = settings_for(url);
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings.value().value_of("sslcert"), "/etc/otpgate/store-client.crt");
    EXPECT_EQ(settings.value().value_of("sslkey"), "/etc/otpgate/store-client.key");
    const auto effective = effective_parameters(settings.value());
    ASSERT_EQ(effective.count("(failed)"), 0U) << effective.at("(failed)");
    EXPECT_EQ(effective.at("sslcert"), "/etc/otpgate/store-client.crt");
    EXPECT_EQ(effective.at("sslkey"), "/etc/otpgate/store-client.key");

    const auto none = settings_for("host=127.0.0.1 port=1");
    ASSERT_TRUE(none.ok()) << none.error().message;
    const auto without = effective_parameters(none.value());
    ASSERT_EQ(without.count("(failed)"), 0U) << without.at("(failed)");
    EXPECT_EQ(without.at("sslcert"), "/dev/null/otpgate-none");
    EXPECT_EQ(without.at("sslkey"), "/dev/null/otpgate-none");
}

TEST(ConnectionSettings, AnSslpasswordInStoreUrlIsRefused) {
    for (const std::string url :
         {"host=db sslkey=/etc/k sslpassword=hunter2",
          "postgresql://db/otpgate?sslkey=%2Fetc%2Fk&sslpassword=hunter2"}) {
        const auto settings = settings_for(url);
        ASSERT_FALSE(settings.ok()) << url;
        EXPECT_EQ(settings.error().kind, ErrorKind::invalid_input);
        EXPECT_TRUE(contains(settings.error().message, "must not contain sslpassword"))
            << settings.error().message;
        EXPECT_TRUE(contains(settings.error().message, "unencrypted key")) << url;
        EXPECT_FALSE(contains(settings.error().message, "hunter2"));
    }
}

TEST(ConnectionSettings, AKeyPassphraseIsNeverAskedFor) {
    // libpq 15 lets OpenSSL prompt on the terminal for an encrypted key's
    // passphrase unless sslpassword has a value: it always has one here.
    const auto settings = settings_for("host=127.0.0.1 port=1 sslkey=/etc/otpgate/store.key");
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_FALSE(settings.value().value_of("sslpassword").value_or("").empty());
    const auto effective = effective_parameters(settings.value());
    ASSERT_EQ(effective.count("(failed)"), 0U) << effective.at("(failed)");
    ASSERT_EQ(effective.count("sslpassword"), 1U);
    EXPECT_NE(effective.at("sslpassword"), "");
    EXPECT_NE(effective.at("sslpassword"), "(null)");
}

TEST(ConnectionSettings, AServiceOrNoHostIsRefused) {
    for (const std::string url : {"dbname=otpgate", "postgresql:///otpgate", ""}) {
        const auto settings = settings_for(url);
        ASSERT_FALSE(settings.ok()) << url;
        EXPECT_EQ(settings.error().kind, ErrorKind::invalid_input);
        EXPECT_TRUE(contains(settings.error().message, "names no host"))
            << settings.error().message;
    }
    const auto service = settings_for("service=otpgate host=db");
    ASSERT_FALSE(service.ok());
    EXPECT_EQ(service.error().kind, ErrorKind::invalid_input);
}

TEST(ConnectionSettings, LibpqSaysWhatDoesNotParse) {
    const auto settings = settings_for("host=db sslmode");
    ASSERT_FALSE(settings.ok());
    EXPECT_EQ(settings.error().kind, ErrorKind::invalid_input);
    EXPECT_TRUE(contains(settings.error().message, "store_url: missing \"=\" after \"sslmode\""))
        << settings.error().message;
    const auto unknown = settings_for("host=db colour=blue");
    ASSERT_FALSE(unknown.ok());
    EXPECT_TRUE(contains(unknown.error().message, "colour")) << unknown.error().message;
}

// Names are looked up by otpgate within the login's deadline
// (host_name_lookup.hpp): the names libpq itself would have looked up.
TEST(ConnectionSettings, HostNamesAreTheHostsWithoutAnAddress) {
    const auto mixed = settings_for("host=db1,127.0.0.1,/run/postgresql,db2,db1,::1");
    ASSERT_TRUE(mixed.ok()) << mixed.error().message;
    EXPECT_EQ(mixed.value().host_names(), (std::vector<std::string>{"db1", "db2"}));

    const auto paired = settings_for("host=db1,db2 hostaddr=192.0.2.1,");
    ASSERT_TRUE(paired.ok()) << paired.error().message;
    EXPECT_EQ(paired.value().host_names(), std::vector<std::string>{"db2"});

    const auto numeric = settings_for("host=127.0.0.1,/run/postgresql");
    ASSERT_TRUE(numeric.ok()) << numeric.error().message;
    EXPECT_TRUE(numeric.value().host_names().empty());
}

TEST(ConnectionSettings, AddressesReplaceNamesWhileTheNamesStayForTheCertificate) {
    const SecretString password("store-password");
    const auto settings = settings_for(
        "host=db1,127.0.0.1,db2,db3 port=5432,5433,5434,5435 sslmode=verify-full", &password);
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    const auto resolved = settings.value().with_addresses(
        {{"db1", {"192.0.2.1", "2001:db8::1"}}, {"db2", {}}, {"db3", {"192.0.2.3"}}});
    ASSERT_TRUE(resolved.ok()) << resolved.error().message;
    EXPECT_TRUE(resolved.value().host_names().empty());

    // As libpq takes them: hosts, ports and addresses paired by position.
    auto parameters = effective_parameters(resolved.value());
    EXPECT_EQ(parameters["host"], "db1,db1,127.0.0.1,db3");
    EXPECT_EQ(parameters["hostaddr"], "192.0.2.1,2001:db8::1,127.0.0.1,192.0.2.3");
    EXPECT_EQ(parameters["port"], "5432,5432,5433,5435");
    EXPECT_EQ(parameters["sslmode"], "verify-full");
    EXPECT_EQ(parameters["password"], "store-password");
    EXPECT_EQ(resolved.value().description(), settings.value().description());

    // One port is every host's.
    const auto one_port = settings_for("host=db1,db2 port=6432");
    ASSERT_TRUE(one_port.ok()) << one_port.error().message;
    const auto spread =
        one_port.value().with_addresses({{"db1", {"192.0.2.1"}}, {"db2", {"192.0.2.2", "::1"}}});
    ASSERT_TRUE(spread.ok()) << spread.error().message;
    parameters = effective_parameters(spread.value());
    EXPECT_EQ(parameters["host"], "db1,db2,db2");
    EXPECT_EQ(parameters["port"], "6432,6432,6432");
    EXPECT_EQ(parameters["hostaddr"], "192.0.2.1,192.0.2.2,::1");
}

TEST(ConnectionSettings, NoAddressForAnyHostOrListsThatDoNotPairAreErrors) {
    const auto settings = settings_for("host=db1,db2");
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    const auto none = settings.value().with_addresses({{"db1", {}}});
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().kind, ErrorKind::not_found);

    const auto unpaired = settings_for("host=db1,db2,db3 port=1,2");
    ASSERT_TRUE(unpaired.ok()) << unpaired.error().message;
    EXPECT_TRUE(unpaired.value().host_names().empty());
    const auto refused = unpaired.value().with_addresses({{"db1", {"192.0.2.1"}}});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::invalid_input);
    EXPECT_EQ(refused.error().message, "store_url gives 3 hosts and 2 ports");
}

TEST(ConnectionSettings, WhatStoreUrlItselfGivesIsToldApartFromDefaults) {
    const auto settings = settings_for("host=db user=otpgate_login sslcert=/etc/otpgate/store.crt");
    ASSERT_TRUE(settings.ok()) << settings.error().message;
    EXPECT_EQ(settings.value().given_in_url("user"), "otpgate_login");
    EXPECT_EQ(settings.value().given_in_url("sslcert"), "/etc/otpgate/store.crt");
    EXPECT_EQ(settings.value().given_in_url("sslmode"), std::nullopt);
    EXPECT_EQ(settings.value().value_of("sslmode"), "verify-full");
    const auto unnamed = settings_for("host=db");
    ASSERT_TRUE(unnamed.ok()) << unnamed.error().message;
    EXPECT_EQ(unnamed.value().given_in_url("user"), std::nullopt);
}

TEST(ConnectionSettings, AnotherRoleReachesTheSameDatabase) {
    // `otpgate store init --owner`: the owner, in the database the login
    // role reaches (named, or by default the login role's name).
    for (const auto& [url, database] : std::vector<std::pair<std::string, std::string>>{
             {"host=127.0.0.1 port=1 user=otpgate_login", "otpgate_login"},
             {"postgresql://otpgate_login@127.0.0.1:1/fleet", "fleet"},
             {"host=127.0.0.1 port=1", "otpgate"}}) {
        StoreConnectionOptions options;
        options.url = url;
        options.role = "otpgate_owner";
        const auto settings = ConnectionSettings::make(libpq(), options);
        ASSERT_TRUE(settings.ok()) << settings.error().message;
        const auto parameters = effective_parameters(settings.value());
        ASSERT_EQ(parameters.count("(failed)"), 0U) << parameters.at("(failed)");
        EXPECT_EQ(parameters.at("user"), "otpgate_owner") << url;
        EXPECT_EQ(parameters.at("dbname"), database) << url;
    }
}

TEST(ConnectionSettings, TheDescriptionNeverHasThePassword) {
    const SecretString password("s3cret-store-password");
    const auto settings = settings_for("host=db user=otpgate_login", &password);
    ASSERT_TRUE(settings.ok());
    EXPECT_FALSE(contains(settings.value().description(), "s3cret"));
    EXPECT_EQ(settings.value().value_of("password"), std::nullopt);
    bool found = false;
    for (const char* const* k = settings.value().keywords(); *k != nullptr; ++k) {
        if (std::string(*k) == "password") {
            found = true;
            const auto index = static_cast<std::size_t>(k - settings.value().keywords());
            EXPECT_STREQ(settings.value().values()[index], "s3cret-store-password");
        }
    }
    EXPECT_TRUE(found);
}

TEST(LibpqLibrary, AMissingLibraryIsAClearError) {
    const auto loaded = load_libpq_library("libnothere.so.9");
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::unavailable);
    EXPECT_TRUE(contains(loaded.error().message,
                         "cannot load libnothere.so.9 (needed by store = postgresql): "))
        << loaded.error().message;
    EXPECT_TRUE(contains(loaded.error().message, "No such file")) << loaded.error().message;
    EXPECT_TRUE(contains(loaded.error().message, "libpq5")) << loaded.error().message;
}

TEST(LibpqLibrary, ALibraryWithoutLibpqFunctionsIsRefused) {
    const auto loaded = load_libpq_library("libc.so.6");
    ASSERT_FALSE(loaded.ok());
    EXPECT_TRUE(contains(loaded.error().message, "it has no PQconnectStartParams"))
        << loaded.error().message;
}

TEST(LibpqLibrary, RefusedWhilePGLOCALEDIRIsSet) {
    ScopedEnvironment environment;
    environment.set("PGLOCALEDIR", "/tmp/catalogues");
    const auto refused = libpq_library();
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::unavailable);
    EXPECT_TRUE(contains(refused.error().message, "PGLOCALEDIR")) << refused.error().message;
}

TEST(LibpqLibrary, LoadedOnceAndKept) {
    const auto first = libpq_library();
    const auto second = libpq_library();
    ASSERT_TRUE(first.ok() && second.ok()) << (first.ok() ? "" : first.error().message);
    EXPECT_EQ(first.value(), second.value());
    EXPECT_GE(first.value()->library_version(), 150000);
    EXPECT_TRUE(otpgate::test::process_maps("libpq.so.5"));
}

}  // namespace
}  // namespace otpgate::core
