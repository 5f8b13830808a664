// A throwaway PostgreSQL 15 server for C++ tests: tests/servers/
// postgres_server.py started in a private folder, its roles, CA and port
// read back, and stopped (folder removed) with the object. Needs root.
#pragma once

#include <filesystem>
#include <string>

namespace otpgate::test {

class PostgresFixture {
public:
    // Runs `python postgres_server.py start ROOT` in a new folder; throws
    // when the server does not come up (the script's error in the message).
    PostgresFixture(const std::string& python, const std::filesystem::path& script);
    // `stop ROOT`: thawed, stopped, folder removed.
    ~PostgresFixture();
    PostgresFixture(const PostgresFixture&) = delete;
    PostgresFixture& operator=(const PostgresFixture&) = delete;

    // libpq URIs (with the password, verify-full against ca_file()).
    [[nodiscard]] const std::string& login_uri() const noexcept { return m_login_uri; }
    [[nodiscard]] const std::string& owner_uri() const noexcept { return m_owner_uri; }
    [[nodiscard]] const std::string& login_password() const noexcept { return m_login_password; }
    [[nodiscard]] const std::string& owner_password() const noexcept { return m_owner_password; }
    [[nodiscard]] std::filesystem::path ca_file() const { return m_root / "pki" / "ca.pem"; }
    [[nodiscard]] unsigned port() const noexcept { return m_port; }
    // The server's Unix socket folder: only the `postgres` user gets in
    // there (peer authentication), as the superuser.
    [[nodiscard]] std::filesystem::path socket_dir() const { return m_root / "socket"; }

    // SIGSTOP / SIGCONT to every server process; SIGKILL as a crash (the
    // server stays down; the destructor still cleans up).
    void freeze();
    void thaw();
    void kill();

private:
    std::string run(const std::string& command) const;

    std::string m_python;
    std::filesystem::path m_script;
    std::filesystem::path m_root;
    std::string m_login_uri;
    std::string m_owner_uri;
    std::string m_login_password;
    std::string m_owner_password;
    unsigned m_port = 0;
};

}  // namespace otpgate::test
