#include "postgres_fixture.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace otpgate::test {
namespace {

// The value after "NAME: " on its own line of `text`.
std::string labelled(const std::string& text, const std::string& name) {
    const std::string label = name + ": ";
    const auto start = text.rfind("\n" + label) != std::string::npos
                           ? text.rfind("\n" + label) + 1
                           : (text.rfind(label, 0) == 0 ? 0 : std::string::npos);
    if (start == std::string::npos) {
        throw std::runtime_error("postgres_server.py printed no " + name + ": " + text);
    }
    const auto end = text.find('\n', start);
    return text.substr(start + label.size(),
                       end == std::string::npos ? end : end - start - label.size());
}

// The percent-decoded password of a postgresql://user:password@... URI.
std::string uri_password(const std::string& uri) {
    const auto colon = uri.find(':', uri.find("://") + 3);
    const auto at = uri.find('@', colon);
    std::string password;
    for (std::size_t i = colon + 1; i < at; ++i) {
        if (uri[i] == '%' && i + 2 < at) {
            password += static_cast<char>(std::stoi(uri.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            password += uri[i];
        }
    }
    return password;
}

unsigned uri_port(const std::string& uri) {
    const auto at = uri.find('@');
    const auto colon = uri.find(':', at);
    return static_cast<unsigned>(std::stoul(uri.substr(colon + 1)));
}

}  // namespace

PostgresFixture::PostgresFixture(const std::string& python, const std::filesystem::path& script)
    : m_python(python), m_script(script) {
    char pattern[] = "/tmp/otpgate-pg-fixture-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
        throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    }
    // The server runs as `postgres`, which must reach the folder the
    // script makes (empty, of its own) inside this one.
    if (chmod(pattern, 0711) != 0) {
        throw std::runtime_error(std::string("chmod: ") + std::strerror(errno));
    }
    m_root = std::filesystem::path(pattern) / "server";
    const std::string printed = run("start");
    m_owner_uri = labelled(printed, "owner");
    m_login_uri = labelled(printed, "login");
    m_owner_password = uri_password(m_owner_uri);
    m_login_password = uri_password(m_login_uri);
    m_port = uri_port(m_login_uri);
}

PostgresFixture::~PostgresFixture() {
    try {
        run("stop");
    } catch (const std::exception&) {
        // Nothing more to do in a destructor; the folder stays for a look.
    }
    std::error_code ignored;
    std::filesystem::remove(m_root.parent_path(), ignored);
}

void PostgresFixture::freeze() {
    run("freeze");
}

void PostgresFixture::thaw() {
    run("thaw");
}

void PostgresFixture::kill() {
    run("kill");
}

// `python script COMMAND ROOT` with a minimal environment (no LD_PRELOAD
// from a sanitizer build, no bytecode in the source tree); its stdout, or
// an exception with its stdout and stderr when it fails.
std::string PostgresFixture::run(const std::string& command) const {
    std::vector<std::string> argv = {m_python, m_script.string(), command, m_root.string()};
    std::vector<char*> args;
    for (auto& arg : argv) {
        args.push_back(arg.data());
    }
    args.push_back(nullptr);
    char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char bytecode_env[] = "PYTHONDONTWRITEBYTECODE=1";
    char* env[] = {path_env, bytecode_env, nullptr};
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(out[1], STDERR_FILENO);
        execve(args[0], args.data(), env);
        _exit(127);
    }
    close(out[1]);
    if (pid < 0) {
        close(out[0]);
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    // The script bounds its own waits (server start 30 s, stop 10 s).
    std::string output;
    char buffer[4096];
    ssize_t got = 0;
    while ((got = read(out[0], buffer, sizeof buffer)) != 0) {
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            break;
        }
        output.append(buffer, static_cast<std::size_t>(got));
    }
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error("postgres_server.py " + command + " failed: " + output);
    }
    return output;
}

}  // namespace otpgate::test
