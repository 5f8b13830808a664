// Logins with a conversation that misbehaves on request (the scripted
// conversation of tests/support, given hostile replies). Like
// tests/support/pam_login.cpp (whose logins answer well-formed strings),
// each login runs in a forked child, and pam_wrapper's pam_syslog lines on
// the child's stderr are the log the cases assert on.
#include <fcntl.h>
#include <poll.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "hostile_world.hpp"
#include "otpgate/core/system/unique_fd.hpp"
#include "scripted_conversation.hpp"

namespace otpgate::hostile_tests {
namespace {

using Clock = std::chrono::steady_clock;  // libfaketime leaves it alone
using pam_tests::parse_log;
using pam_tests::parse_report;
using pam_tests::remove_own_pam_wrapper_folder;
using pam_tests::write_all;

[[noreturn]] void child_main(const LoginAttempt& attempt, int result_fd, int stderr_fd,
                             const std::string& parent_folder) {
    dup2(stderr_fd, STDERR_FILENO);
    close(stderr_fd);
    test::ScriptedConversation script(attempt.replies);
    const pam_conv conversation = script.conv();
    pam_handle_t* pamh = nullptr;
    std::string report;
    const int start_rc =
        pam_start(attempt.service.c_str(), attempt.user ? attempt.user->c_str() : nullptr,
                  &conversation, &pamh);
    report += "start " + std::to_string(start_rc) + "\n";
    remove_own_pam_wrapper_folder(parent_folder);
    if (start_rc == PAM_SUCCESS) {
        if (attempt.free_descriptors) {
            // Descriptors below the lowest free one are all open (or the
            // limit would not bite); this is the same for the module.
            const int lowest_free = dup(STDIN_FILENO);
            close(lowest_free);
            const auto end = static_cast<rlim_t>(lowest_free + *attempt.free_descriptors);
            const rlimit limit{end, end};
            setrlimit(RLIMIT_NOFILE, &limit);
        }
        const int auth_rc = pam_authenticate(pamh, 0);
        report += "auth " + std::to_string(auth_rc) + "\n";
        pam_end(pamh, auth_rc);
    }
    report += script.transcript();
    write_all(result_fd, report);
    _exit(0);
}

}  // namespace

LoginResult run_attempt(const LoginAttempt& attempt, std::chrono::milliseconds deadline) {
    const char* folder = std::getenv("PAM_WRAPPER_RUNTIME_DIR");
    const std::string parent_folder = folder != nullptr ? folder : "";
    int result_pipe[2];
    int err_pipe[2];
    if (pipe2(result_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe");
    }
    std::fflush(nullptr);
    const auto started = Clock::now();
    const pid_t pid = fork();
    if (pid < 0) {
        throw std::runtime_error("fork");
    }
    if (pid == 0) {
        close(result_pipe[0]);
        close(err_pipe[0]);
        child_main(attempt, result_pipe[1], err_pipe[1], parent_folder);
    }
    close(result_pipe[1]);
    close(err_pipe[1]);
    core::UniqueFd result_fd(result_pipe[0]);
    core::UniqueFd err_fd(err_pipe[0]);
    LoginResult result;
    std::string report;
    const auto end_at = started + deadline;
    while (result_fd.valid() || err_fd.valid()) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(end_at - Clock::now());
        if (left.count() <= 0) {
            kill(pid, SIGKILL);
            result.failure +=
                "timed out after " + std::to_string(deadline.count()) + " ms (a hang); ";
            break;
        }
        std::vector<pollfd> fds;
        if (result_fd.valid()) {
            fds.push_back({result_fd.get(), POLLIN, 0});
        }
        if (err_fd.valid()) {
            fds.push_back({err_fd.get(), POLLIN, 0});
        }
        if (poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) {
            throw std::runtime_error("poll");
        }
        for (const auto& fd : fds) {
            if (fd.revents == 0) {
                continue;
            }
            char buffer[4096];
            const ssize_t got = ::read(fd.fd, buffer, sizeof buffer);
            std::string& into = fd.fd == result_fd.get() ? report : result.stderr_text;
            if (got > 0) {
                into.append(buffer, static_cast<std::size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                (fd.fd == result_fd.get() ? result_fd : err_fd).reset();
            }
        }
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (WIFSIGNALED(status)) {
        result.failure +=
            "the login process died of signal " + std::to_string(WTERMSIG(status)) + "; ";
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        result.failure += "the login process ended with status " + std::to_string(status) + "; ";
    }
    parse_report(report, result);
    parse_log(result);
    return result;
}

}  // namespace otpgate::hostile_tests
