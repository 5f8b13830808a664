#include "otpgate/core/database/connection_settings.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <utility>

#include <openssl/crypto.h>

#include "otpgate/core/database/host_name_lookup.hpp"

namespace otpgate::core {
namespace {

// libpq 15 takes a parameter from the environment only when it has no
// value, and an empty value counts as none: every default below is a real
// value. A path under /dev/null can never exist (ENOTDIR), so it names
// "no file" without libpq looking at the caller's home directory.
constexpr const char* no_file = "/dev/null/otpgate-none";

// libpq 15 hands OpenSSL its own passphrase callback only when sslpassword
// is not empty; otherwise OpenSSL's default one reads a passphrase from the
// terminal (/dev/tty), which would stop a login or `otpgate store check`
// at a prompt. With this value an encrypted key fails to load at once.
constexpr const char* no_key_passphrase = "otpgate-keys-have-no-passphrase";

// Every libpq 15 keyword with an environment variable (or a file in the
// caller's home directory), and what stands in for it when store_url
// gives nothing:
//   host (PGHOST)                  required in store_url
//   hostaddr (PGHOSTADDR)          numeric hosts are copied; see make()
//   port (PGPORT)                  5432
//   dbname (PGDATABASE)            the user, as libpq would
//   user (PGUSER)                  "otpgate"
//   password (PGPASSWORD)          store_password, or a placeholder the
//                                  server can only refuse; never in store_url
//   passfile (PGPASSFILE, ~/.pgpass)   no_file (and a password is always set)
//   service (PGSERVICE, PGSERVICEFILE, PGSYSCONFDIR)   refused in store_url.
//       PGSERVICE still makes libpq read a service file, but such a file
//       only fills parameters that have no value, and here all have one:
//       it can make the connection fail, never go elsewhere.
//   options (PGOPTIONS)            store_url's, the timeouts, and a
//                                  harmless custom setting so it is never empty
//   application_name (PGAPPNAME)   StoreConnectionOptions::application_name
//   client_encoding (PGCLIENTENCODING)  UTF8
//   connect_timeout (PGCONNECT_TIMEOUT) 0: libpq applies it only to
//                                  blocking connects; our deadline rules
//   sslmode (PGSSLMODE, PGREQUIRESSL)   verify-full
//   sslrootcert (PGSSLROOTCERT, ~/.postgresql/root.crt)  system_ca_bundle
//   sslcert, sslkey (PGSSLCERT, PGSSLKEY, ~/.postgresql/)  no_file; store_url
//       names a client certificate and its key for pg_hba's `cert` method
//   sslpassword (no variable)      refused in store_url (otpgate.conf is
//       world-readable: a key for the store is unencrypted and root's
//       0600); no_key_passphrase, so that an encrypted key fails
//       instead of prompting (see below)
//   sslcrl, sslcrldir (PGSSLCRL, PGSSLCRLDIR, ~/.postgresql/root.crl) no_file;
//       see crl_defaults()
//   sslsni (PGSSLSNI) 1; sslcompression (PGSSLCOMPRESSION) 0
//   ssl_min_protocol_version, ssl_max_protocol_version: TLSv1.2, TLSv1.3
//   gssencmode (PGGSSENCMODE) disable; krbsrvname (PGKRBSRVNAME) postgres;
//   gsslib (PGGSSLIB) gssapi
//   channel_binding (PGCHANNELBINDING) prefer
//   target_session_attrs (PGTARGETSESSIONATTRS) any
//   requirepeer (PGREQUIREPEER)    left to the environment: empty means no
//       check and cannot be written; a value only makes socket
//       connections whose server runs as someone else fail (denial of the
//       caller's own login, never a different server).
// Not keywords: libpq sends PGDATESTYLE, PGTZ and PGGEQO as session
// settings after `options`, so they cannot be overridden here; statements
// must not depend on the session's DateStyle or TimeZone (compare times
// in the server, pass and read them as numbers).
struct Default {
    const char* keyword;
    const char* value;
};
constexpr Default fixed_defaults[] = {
    {"port", "5432"},
    {"passfile", no_file},
    {"client_encoding", "UTF8"},
    {"connect_timeout", "0"},
    {"sslmode", "verify-full"},
    {"sslrootcert", system_ca_bundle},
    {"sslcert", no_file},
    {"sslkey", no_file},
    {"sslpassword", no_key_passphrase},
    {"sslsni", "1"},
    {"sslcompression", "0"},
    {"ssl_min_protocol_version", "TLSv1.2"},
    {"ssl_max_protocol_version", "TLSv1.3"},
    {"gssencmode", "disable"},
    {"krbsrvname", "postgres"},
    {"gsslib", "gssapi"},
    {"channel_binding", "prefer"},
    {"target_session_attrs", "any"},
};
constexpr const char* default_user = "otpgate";
// Sent when no store_password is configured; the server can only refuse it.
constexpr const char* no_password = "otpgate-no-store-password";

struct ConninfoDeleter {
    const LibpqLibrary* libpq;
    void operator()(PQconninfoOption* options) const noexcept { libpq->conninfo_free(options); }
};

std::string one_line(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    for (char& c : text) {
        if (c == '\n') {
            c = ' ';
        }
    }
    return text;
}

std::vector<std::string> split_commas(const std::string& list) {
    std::vector<std::string> parts;
    std::string::size_type start = 0;
    while (true) {
        const auto comma = list.find(',', start);
        parts.push_back(list.substr(start, comma - start));
        if (comma == std::string::npos) {
            return parts;
        }
        start = comma + 1;
    }
}

// libpq's rule: an absolute path, or '@' for the abstract namespace.
bool is_socket_host(const std::string& host) {
    return host.empty() || host.front() == '/' || host.front() == '@';
}

// PGHOSTADDR would send a connection to an address of the caller's choice
// while the certificate is checked against `host`. Each numeric host is its
// own hostaddr, and a list (one entry per host, empty for a name or a
// socket) is never empty unless there is a single host name or socket.
// nullopt: no value can be written.
std::optional<std::string> hostaddr_for(const std::string& hosts) {
    const auto parts = split_commas(hosts);
    std::string list;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) {
            list += ',';
        }
        if (is_numeric_address(parts[i])) {
            list += parts[i];
        }
    }
    if (list.empty()) {
        return std::nullopt;
    }
    return list;
}

std::optional<std::string> weak_tls_reason(const std::string& hosts, const std::string& sslmode) {
    bool any_tcp = false;
    for (const auto& host : split_commas(hosts)) {
        any_tcp = any_tcp || !is_socket_host(host);
    }
    // libpq never uses TLS on a Unix socket, whatever sslmode says; the
    // socket's permissions guard it.
    if (!any_tcp || sslmode == "verify-full") {
        return std::nullopt;
    }
    const std::string prefix = "store_url sets sslmode=" + sslmode + ": ";
    if (sslmode == "verify-ca") {
        return prefix + "the server's name is not checked against its certificate";
    }
    if (sslmode == "require") {
        return prefix + "the server's certificate is not verified";
    }
    if (sslmode == "disable") {
        return prefix + "the connection is not encrypted";
    }
    return prefix +
           "the connection may not be encrypted and the server's certificate is not verified";
}

}  // namespace

Result<ConnectionSettings> ConnectionSettings::make(const LibpqLibrary& libpq,
                                                    const StoreConnectionOptions& options) {
    char* parse_error = nullptr;
    std::unique_ptr<PQconninfoOption, ConninfoDeleter> parsed(
        libpq.conninfo_parse(options.url.c_str(), &parse_error), ConninfoDeleter{&libpq});
    if (!parsed) {
        std::string reason = parse_error == nullptr ? "out of memory" : one_line(parse_error);
        if (parse_error != nullptr) {
            libpq.freemem(parse_error);
        }
        return make_error(ErrorKind::invalid_input, "store_url: " + reason);
    }
    std::map<std::string, std::string> given;
    for (const PQconninfoOption* option = parsed.get(); option->keyword != nullptr; ++option) {
        if (option->val != nullptr && option->val[0] != '\0') {
            given.emplace(option->keyword, option->val);
        }
    }
    parsed.reset();  // it may hold a password
    if (given.count("password") != 0) {
        OPENSSL_cleanse(given["password"].data(), given["password"].size());
        return make_error(ErrorKind::invalid_input,
                          "store_url must not contain a password: put store_password in "
                          "otpgate.secrets");
    }
    if (given.count("sslpassword") != 0) {
        OPENSSL_cleanse(given["sslpassword"].data(), given["sslpassword"].size());
        return make_error(ErrorKind::invalid_input,
                          "store_url must not contain sslpassword: otpgate.conf is readable by "
                          "every user; give sslkey an unencrypted key readable only by root "
                          "(0600)");
    }
    if (given.count("service") != 0) {
        return make_error(ErrorKind::invalid_input,
                          "store_url must not name a service: write its parameters in store_url");
    }
    if (given.count("host") == 0) {
        return make_error(ErrorKind::invalid_input,
                          "store_url names no host (host=... or postgresql://HOST/...)");
    }

    std::map<std::string, std::string> chosen = given;
    for (const auto& fixed : fixed_defaults) {
        chosen.emplace(fixed.keyword, fixed.value);
    }
    chosen.emplace("user", default_user);
    chosen.emplace("dbname", chosen["user"]);
    if (!options.role.empty()) {
        chosen["user"] = options.role;
    }
    chosen["application_name"] =
        given.count("application_name") != 0 ? given["application_name"] : options.application_name;
    if (chosen["application_name"].empty()) {
        chosen["application_name"] = "otpgate";
    }
    // An empty crldir beside a CRL file would be taken from PGSSLCRLDIR; a
    // missing CRL file beside a crldir would make OpenSSL skip both. The
    // root certificates load as a "CRL file" without adding trust.
    if (given.count("sslcrldir") != 0 && given.count("sslcrl") == 0) {
        chosen["sslcrl"] = chosen["sslrootcert"];
    }
    chosen.emplace("sslcrl", no_file);
    chosen.emplace("sslcrldir", no_file);

    std::string session = given.count("options") != 0 ? given["options"] : "";
    if (options.statement_timeout.count() > 0) {
        const std::string ms = std::to_string(options.statement_timeout.count());
        for (const char* limit :
             {"statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"}) {
            session += (session.empty() ? "" : " ") + std::string("-c ") + limit + "=" + ms;
        }
    }
    if (session.empty()) {
        session = "-c otpgate.session=on";  // a custom setting the server only records
    }
    chosen["options"] = session;

    if (given.count("hostaddr") == 0) {
        if (auto hostaddr = hostaddr_for(chosen["host"])) {
            chosen["hostaddr"] = *hostaddr;
        } else if (const char* env = std::getenv("PGHOSTADDR"); env != nullptr && *env != '\0') {
            return make_error(ErrorKind::unsafe,
                              "the environment sets PGHOSTADDR, which libpq would connect to "
                              "instead of store_url's host: refusing (give hostaddr in "
                              "store_url, or unset PGHOSTADDR)");
        }
    }

    ConnectionSettings settings;
    settings.m_given_in_url = std::move(given);
    settings.m_weak_tls = weak_tls_reason(chosen["host"], chosen["sslmode"]);
    settings.m_description = "host=" + chosen["host"] + " port=" + chosen["port"] +
                             " dbname=" + chosen["dbname"] + " user=" + chosen["user"] +
                             " sslmode=" + chosen["sslmode"];
    for (auto& [keyword, value] : chosen) {
        settings.m_keywords.push_back(keyword);
        settings.m_values.push_back(std::move(value));
    }
    settings.m_keywords.emplace_back("password");
    if (options.password != nullptr && !options.password->empty()) {
        settings.m_values.emplace_back(options.password->view());
    } else {
        settings.m_values.emplace_back(no_password);
    }
    settings.point_at_strings();
    return settings;
}

void ConnectionSettings::point_at_strings() {
    m_keyword_pointers.clear();
    m_value_pointers.clear();
    for (std::size_t i = 0; i < m_keywords.size(); ++i) {
        m_keyword_pointers.push_back(m_keywords[i].c_str());
        m_value_pointers.push_back(m_values[i].c_str());
    }
    m_keyword_pointers.push_back(nullptr);
    m_value_pointers.push_back(nullptr);
}

// The password stays the last value (the destructor wipes it): a new
// keyword goes before it.
void ConnectionSettings::set_value(const std::string& keyword, std::string value) {
    const auto found = std::find(m_keywords.begin(), m_keywords.end(), keyword);
    if (found != m_keywords.end()) {
        m_values[static_cast<std::size_t>(found - m_keywords.begin())] = std::move(value);
        return;
    }
    m_keywords.insert(m_keywords.end() - 1, keyword);
    m_values.insert(m_values.end() - 1, std::move(value));
}

namespace {

// One host of a connection string with its port and hostaddr (libpq pairs
// the three lists by position; a single port is every host's).
struct HostEntry {
    std::string host;
    std::string port;
    std::string hostaddr;  // empty: none
};

Result<std::vector<HostEntry>> host_entries(const std::string& hosts, const std::string& ports,
                                            const std::optional<std::string>& hostaddrs) {
    const auto host_list = split_commas(hosts);
    const auto port_list = split_commas(ports);
    const auto address_list = hostaddrs ? split_commas(*hostaddrs) : std::vector<std::string>{};
    if (port_list.size() != 1 && port_list.size() != host_list.size()) {
        return make_error(ErrorKind::invalid_input,
                          "store_url gives " + std::to_string(host_list.size()) + " hosts and " +
                              std::to_string(port_list.size()) + " ports");
    }
    if (!address_list.empty() && address_list.size() != host_list.size()) {
        return make_error(ErrorKind::invalid_input,
                          "store_url gives " + std::to_string(host_list.size()) + " hosts and " +
                              std::to_string(address_list.size()) + " hostaddr values");
    }
    std::vector<HostEntry> entries;
    for (std::size_t i = 0; i < host_list.size(); ++i) {
        entries.push_back({host_list[i], port_list.size() == 1 ? port_list[0] : port_list[i],
                           address_list.empty() ? std::string() : address_list[i]});
    }
    return entries;
}

bool needs_lookup(const HostEntry& entry) {
    return entry.hostaddr.empty() && !is_socket_host(entry.host) && !is_numeric_address(entry.host);
}

std::string joined(const std::vector<HostEntry>& entries, std::string HostEntry::*field) {
    std::string list;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) {
            list += ',';
        }
        list += entries[i].*field;
    }
    return list;
}

}  // namespace

std::optional<std::string> ConnectionSettings::given_in_url(const std::string& keyword) const {
    const auto found = m_given_in_url.find(keyword);
    if (found == m_given_in_url.end()) {
        return std::nullopt;
    }
    return found->second;
}

std::vector<std::string> ConnectionSettings::host_names() const {
    std::vector<std::string> names;
    auto entries = host_entries(value_of("host").value_or(""), value_of("port").value_or(""),
                                value_of("hostaddr"));
    if (!entries) {
        return names;  // with_addresses says why
    }
    for (const auto& entry : *entries) {
        if (needs_lookup(entry) &&
            std::find(names.begin(), names.end(), entry.host) == names.end()) {
            names.push_back(entry.host);
        }
    }
    return names;
}

Result<ConnectionSettings> ConnectionSettings::with_addresses(
    const std::map<std::string, std::vector<std::string>>& addresses) const {
    auto entries = host_entries(value_of("host").value_or(""), value_of("port").value_or(""),
                                value_of("hostaddr"));
    if (!entries) {
        return entries.error();
    }
    std::vector<HostEntry> resolved;
    for (const auto& entry : *entries) {
        if (!needs_lookup(entry)) {
            resolved.push_back(entry);
            continue;
        }
        if (const auto found = addresses.find(entry.host); found != addresses.end()) {
            for (const auto& address : found->second) {
                resolved.push_back({entry.host, entry.port, address});
            }
        }
    }
    if (resolved.empty()) {
        return make_error(ErrorKind::not_found, "no host of store_url has an address");
    }
    ConnectionSettings settings;
    settings.m_keywords = m_keywords;
    settings.m_values = m_values;
    settings.m_weak_tls = m_weak_tls;
    settings.m_description = m_description;
    settings.m_given_in_url = m_given_in_url;
    settings.set_value("host", joined(resolved, &HostEntry::host));
    settings.set_value("port", joined(resolved, &HostEntry::port));
    settings.set_value("hostaddr", joined(resolved, &HostEntry::hostaddr));
    settings.point_at_strings();
    return settings;
}

const char* const* ConnectionSettings::keywords() const noexcept {
    return m_keyword_pointers.data();
}

const char* const* ConnectionSettings::values() const noexcept {
    return m_value_pointers.data();
}

const std::optional<std::string>& ConnectionSettings::weak_tls() const noexcept {
    return m_weak_tls;
}

const std::string& ConnectionSettings::description() const noexcept {
    return m_description;
}

std::optional<std::string> ConnectionSettings::value_of(const std::string& keyword) const {
    if (keyword == "password") {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < m_keywords.size(); ++i) {
        if (m_keywords[i] == keyword) {
            return m_values[i];
        }
    }
    return std::nullopt;
}

// The password is the last value (make()). Moving the vectors moves their
// buffers, so the pointers stay valid and only the owner wipes.
ConnectionSettings::~ConnectionSettings() {
    if (!m_values.empty()) {
        OPENSSL_cleanse(m_values.back().data(), m_values.back().size());
    }
}

ConnectionSettings::ConnectionSettings(ConnectionSettings&&) noexcept = default;

ConnectionSettings& ConnectionSettings::operator=(ConnectionSettings&& other) noexcept {
    if (this != &other) {
        if (!m_values.empty()) {
            OPENSSL_cleanse(m_values.back().data(), m_values.back().size());
        }
        m_keywords = std::move(other.m_keywords);
        m_values = std::move(other.m_values);
        m_keyword_pointers = std::move(other.m_keyword_pointers);
        m_value_pointers = std::move(other.m_value_pointers);
        m_weak_tls = std::move(other.m_weak_tls);
        m_description = std::move(other.m_description);
        m_given_in_url = std::move(other.m_given_in_url);
    }
    return *this;
}

}  // namespace otpgate::core
