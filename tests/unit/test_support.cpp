#include "test_support.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace otpgate::test {

std::filesystem::path data_path(std::string_view name) {
    return std::filesystem::path(OTPGATE_TEST_DATA_DIR) / name;
}

std::vector<std::vector<std::string>> read_table(std::string_view name) {
    std::ifstream in(data_path(name));
    if (!in) {
        throw std::runtime_error("cannot read test data " + data_path(name).string());
    }
    std::vector<std::vector<std::string>> rows;
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::size_t i = 0;
        while (i < line.size()) {
            if (line[i] == ' ' || line[i] == '\t') {
                ++i;
            } else if (line[i] == '\'') {
                const auto close = line.find('\'', i + 1);
                if (close == std::string::npos) {
                    throw std::runtime_error("unterminated quote in " + std::string(name));
                }
                fields.push_back(line.substr(i + 1, close - i - 1));
                i = close + 1;
            } else {
                const auto end = line.find_first_of(" \t", i);
                fields.push_back(
                    line.substr(i, end == std::string::npos ? std::string::npos : end - i));
                i = end == std::string::npos ? line.size() : end;
            }
        }
        if (!fields.empty() && fields.front().front() != '#') {
            rows.push_back(std::move(fields));
        }
    }
    return rows;
}

std::vector<std::string> list_directory(const std::filesystem::path& path) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

mode_t file_mode(const std::filesystem::path& path) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
        throw std::runtime_error("cannot stat " + path.string());
    }
    return info.st_mode & 07777;
}

uid_t file_owner(const std::filesystem::path& path) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
        throw std::runtime_error("cannot stat " + path.string());
    }
    return info.st_uid;
}

core::SecretBytes bytes_of(std::string_view text) {
    return core::SecretBytes(text.begin(), text.end());
}

std::string text_of(const core::SecretString& secret) {
    return std::string(secret.view());
}

std::vector<std::uint8_t> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) {
        throw std::invalid_argument("odd hex length");
    }
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        out.push_back(
            static_cast<std::uint8_t>(std::stoul(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

bool running_as_root() {
    return ::geteuid() == 0;
}

core::UserAccount running_account() {
    auto found = core::lookup_user(::geteuid());
    if (!found) {
        throw std::runtime_error(found.error().message);
    }
    return *found;
}

core::Config login_config_in(const TempDir& dir) {
    core::Config config;
    config.enrollment_path = (dir.path() / "%u.enrollment").string();
    config.state_dir = dir / "state";
    config.backup_code_iterations = fast_backup_iterations;
    return config;
}

CommandResult run_command(const std::vector<std::string>& argv) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    std::vector<char*> args;
    for (const auto& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        ::dup2(pipe_fds[1], STDOUT_FILENO);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(pipe_fds[1]);
    CommandResult result;
    char buffer[4096];
    while (true) {
        const ssize_t got = ::read(pipe_fds[0], buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        result.output.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(pipe_fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

void ScriptedRandom::fill(std::uint8_t* out, std::size_t size) {
    ++m_fills;
    while (size > 0) {
        if (m_values.empty()) {
            ADD_FAILURE() << "ScriptedRandom ran out of values";
            throw std::runtime_error("scripted random source drained");
        }
        const std::uint64_t value = m_values.front();
        m_values.pop_front();
        const std::size_t n = std::min(size, sizeof value);
        std::memcpy(out, &value, n);
        out += n;
        size -= n;
    }
}

std::optional<core::SecretString> ScriptedConversation::ask_hidden(std::string_view prompt) {
    m_prompts.emplace_back(prompt);
    if (m_answers.empty()) {
        return std::nullopt;
    }
    auto answer = std::move(m_answers.front());
    m_answers.pop_front();
    if (!answer) {
        return std::nullopt;
    }
    return core::SecretString(*answer);
}

}  // namespace otpgate::test
