// Logins with a conversation that misbehaves on request. Like
// tests/pam/pam_login.cpp (which always answers well-formed strings), each
// login runs in a forked child, and pam_wrapper's pam_syslog lines on the
// child's stderr are the log the cases assert on.
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

namespace otpgate::hostile_tests {
namespace {

using Clock = std::chrono::steady_clock;  // libfaketime leaves it alone
using pam_tests::free_replies;
using pam_tests::one_line;
using pam_tests::remove_own_pam_wrapper_folder;
using pam_tests::write_all;

struct Dialogue {
    const std::vector<Reply>* replies = nullptr;
    std::size_t next = 0;
    std::string transcript;
};

int converse(int count, const pam_message** messages, pam_response** replies, void* data) noexcept {
    if (count <= 0 || replies == nullptr || data == nullptr) {
        return PAM_CONV_ERR;
    }
    auto& dialogue = *static_cast<Dialogue*>(data);
    auto* out = static_cast<pam_response*>(
        std::calloc(static_cast<std::size_t>(count), sizeof(pam_response)));
    if (out == nullptr) {
        return PAM_BUF_ERR;
    }
    for (int i = 0; i < count; ++i) {
        const pam_message& message = *messages[i];
        dialogue.transcript += "prompt " + std::to_string(message.msg_style) + " " +
                               one_line(message.msg != nullptr ? message.msg : "") + "\n";
        if (message.msg_style != PAM_PROMPT_ECHO_OFF && message.msg_style != PAM_PROMPT_ECHO_ON) {
            continue;
        }
        if (dialogue.next >= dialogue.replies->size()) {
            free_replies(out, count);
            return PAM_CONV_ERR;
        }
        const Reply& reply = (*dialogue.replies)[dialogue.next++];
        switch (reply.kind) {
            case Reply::Kind::text: {
                // Every byte, NULs included, as an application might send them.
                auto* copy = static_cast<char*>(std::malloc(reply.text.size() + 1));
                if (copy == nullptr) {
                    free_replies(out, count);
                    return PAM_BUF_ERR;
                }
                std::memcpy(copy, reply.text.data(), reply.text.size());
                copy[reply.text.size()] = '\0';
                out[i].resp = copy;
                break;
            }
            case Reply::Kind::null_response:
                break;
            case Reply::Kind::null_reply_array:
                free_replies(out, count);
                *replies = nullptr;
                return PAM_SUCCESS;
            case Reply::Kind::conversation_error:
                free_replies(out, count);
                return PAM_CONV_ERR;
        }
    }
    *replies = out;
    return PAM_SUCCESS;
}

[[noreturn]] void child_main(const LoginAttempt& attempt, int result_fd, int stderr_fd,
                             const std::string& parent_folder) {
    dup2(stderr_fd, STDERR_FILENO);
    close(stderr_fd);
    Dialogue dialogue;
    dialogue.replies = &attempt.replies;
    const pam_conv conversation{converse, &dialogue};
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
    report += dialogue.transcript;
    write_all(result_fd, report);
    _exit(0);
}

void parse_report(const std::string& report, LoginResult& result) {
    std::size_t start = 0;
    while (start < report.size()) {
        auto end = report.find('\n', start);
        end = end == std::string::npos ? report.size() : end;
        const std::string line = report.substr(start, end - start);
        start = end + 1;
        const auto space = line.find(' ');
        const std::string key = line.substr(0, space);
        const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
        if (key == "start") {
            result.start_rc = std::atoi(rest.c_str());
        } else if (key == "auth") {
            result.auth_rc = std::atoi(rest.c_str());
        } else if (key == "prompt") {
            const auto gap = rest.find(' ');
            result.prompts.push_back({std::atoi(rest.substr(0, gap).c_str()),
                                      gap == std::string::npos ? "" : rest.substr(gap + 1)});
        }
    }
}

// pam_wrapper prints "PWRAP_DEBUG[<prog> (pid)] - SYSLOG(5): message".
void parse_log(LoginResult& result) {
    std::size_t start = 0;
    const std::string& text = result.stderr_text;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        end = end == std::string::npos ? text.size() : end;
        const std::string_view line(text.data() + start, end - start);
        start = end + 1;
        const auto tag = line.find("SYSLOG(");
        const auto close_paren = tag == std::string_view::npos ? tag : line.find("): ", tag);
        if (close_paren == std::string_view::npos) {
            continue;
        }
        result.log.push_back(
            {std::atoi(std::string(line.substr(tag + 7, close_paren - tag - 7)).c_str()),
             std::string(line.substr(close_paren + 3))});
    }
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
