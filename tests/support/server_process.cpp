#include "server_process.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace otpgate::test {
namespace {

int wait_for(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

// The first line the server prints (its port), waiting at most 10 s.
std::string first_line(int fd) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd readable{fd, POLLIN, 0};
        if (left.count() <= 0 || poll(&readable, 1, static_cast<int>(left.count())) <= 0) {
            break;
        }
        char buffer[64];
        const ssize_t got = read(fd, buffer, sizeof buffer);
        if (got <= 0) {
            break;
        }
        line.append(buffer, static_cast<std::size_t>(got));
    }
    return line;
}

}  // namespace

ServerProcess::ServerProcess(const std::string& python, const std::filesystem::path& script,
                             const std::vector<std::string>& arguments) {
    std::vector<std::string> argv = {python, script.string()};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    std::vector<char*> args;
    for (auto& arg : argv) {
        args.push_back(arg.data());
    }
    args.push_back(nullptr);
    char path_env[] = "PATH=/usr/bin:/bin";
    char bytecode_env[] = "PYTHONDONTWRITEBYTECODE=1";
    char* env[] = {path_env, bytecode_env, nullptr};
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
    m_pid = fork();
    if (m_pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        execve(args[0], args.data(), env);
        _exit(127);
    }
    close(out[1]);
    if (m_pid < 0) {
        close(out[0]);
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    const std::string line = first_line(out[0]);
    close(out[0]);
    char* end = nullptr;
    const unsigned long port = std::strtoul(line.c_str(), &end, 10);
    if (end == line.c_str() || port == 0 || port > 65535) {
        kill(m_pid, SIGKILL);
        wait_for(m_pid);
        m_pid = -1;
        throw std::runtime_error(script.filename().string() + " did not print its port");
    }
    m_port = static_cast<unsigned>(port);
}

ServerProcess::~ServerProcess() {
    if (m_pid <= 0) {
        return;
    }
    kill(m_pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    int status = 0;
    while (waitpid(m_pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() >= deadline) {
            kill(m_pid, SIGKILL);
            wait_for(m_pid);
            return;
        }
        usleep(5000);
    }
}

}  // namespace otpgate::test
