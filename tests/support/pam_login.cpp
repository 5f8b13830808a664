#include "pam_login.hpp"

#include <fcntl.h>
#include <poll.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "otpgate/core/system/unique_fd.hpp"
#include "scripted_conversation.hpp"

namespace otpgate::pam_tests {

void write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t written = ::write(fd, text.data(), text.size());
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            return;
        }
        text.remove_prefix(static_cast<std::size_t>(written));
    }
}

// pam_wrapper starts over in every forked child (a pthread_atfork handler):
// the first pam_start makes a new /tmp/pam.? folder with copies of the
// service files. Once pam_start has read them the child removes that
// folder, or each login would leave one behind (the child never runs
// pam_wrapper's destructor) and the 62 names would run out.
void remove_own_pam_wrapper_folder(const std::string& parent_folder) {
    const char* folder = std::getenv("PAM_WRAPPER_RUNTIME_DIR");
    if (folder == nullptr || parent_folder == folder ||
        std::string_view(folder).rfind("/tmp/pam.", 0) != 0) {
        return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
}

void parse_report(const std::string& report, LoginResult& result) {
    std::size_t start = 0;
    while (start < report.size()) {
        auto end = report.find('\n', start);
        if (end == std::string::npos) {
            end = report.size();
        }
        const std::string line = report.substr(start, end - start);
        start = end + 1;
        const auto space = line.find(' ');
        const std::string key = line.substr(0, space);
        const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
        if (key == "start") {
            result.start_rc = std::atoi(rest.c_str());
        } else if (key == "auth") {
            result.auth_rc = std::atoi(rest.c_str());
        } else if (key == "setcred") {
            result.setcred_rc = std::atoi(rest.c_str());
        } else if (key == "prompt") {
            const auto gap = rest.find(' ');
            result.prompts.push_back(
                {std::atoi(rest.substr(0, gap).c_str()),
                 gap == std::string::npos ? std::string() : rest.substr(gap + 1)});
        }
    }
}

// pam_wrapper prints "PWRAP_DEBUG[<prog> (pid)] - SYSLOG(5): message".
void parse_log(LoginResult& result) {
    std::size_t start = 0;
    const std::string& text = result.stderr_text;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        const std::string_view line(text.data() + start, end - start);
        start = end + 1;
        const auto tag = line.find("SYSLOG(");
        if (tag == std::string_view::npos) {
            continue;
        }
        const auto close_paren = line.find("): ", tag);
        if (close_paren == std::string_view::npos) {
            continue;
        }
        LogLine entry;
        entry.priority =
            std::atoi(std::string(line.substr(tag + 7, close_paren - tag - 7)).c_str());
        entry.message = std::string(line.substr(close_paren + 3));
        result.log.push_back(std::move(entry));
    }
}

namespace {

using core::UniqueFd;
using Clock = std::chrono::steady_clock;  // real time: libfaketime leaves it alone

// Long enough for 40 logins that each fsync on a slow disk, short enough
// that a login stuck on a FIFO fails the test instead of hanging it.
constexpr auto login_deadline = std::chrono::seconds(30);

struct Barrier {
    int ready_fd = -1;  // the child writes one byte once pam_start is done
    int go_fd = -1;     // the child waits here until the parent closes the other end
};

// libpam calls this instead of sleeping the delay a module asked for after
// a failure (pam_unix's 2 s; ours is fail_delay_ms=0 in every test stack):
// the tests assert what a login decides, never how long it waited.
extern "C" void skip_fail_delay(int /*status*/, unsigned /*microseconds*/, void* /*data*/) {}

// Runs in the forked child; never returns and never runs the parent's
// atexit handlers or destructors (pam_wrapper's would remove its folder).
[[noreturn]] void child_main(const LoginRequest& request, int result_fd, int stderr_fd,
                             Barrier barrier, const std::string& parent_folder) {
    dup2(stderr_fd, STDERR_FILENO);
    close(stderr_fd);
    test::ScriptedConversation script(request.answers);
    const pam_conv conversation = script.conv();
    pam_handle_t* pamh = nullptr;
    std::string report;
    const int start_rc =
        pam_start(request.service.c_str(), request.user.empty() ? nullptr : request.user.c_str(),
                  &conversation, &pamh);
    report += "start " + std::to_string(start_rc) + "\n";
    if (start_rc == PAM_SUCCESS && !request.rhost.empty()) {
        pam_set_item(pamh, PAM_RHOST, request.rhost.c_str());
    }
    if (start_rc == PAM_SUCCESS) {
        void (*const no_delay)(int, unsigned, void*) = skip_fail_delay;
        pam_set_item(pamh, PAM_FAIL_DELAY, reinterpret_cast<const void*>(no_delay));
    }
    remove_own_pam_wrapper_folder(parent_folder);
    if (barrier.ready_fd >= 0) {
        write_all(barrier.ready_fd, "r");
        close(barrier.ready_fd);
        char byte = 0;
        while (read(barrier.go_fd, &byte, 1) < 0 && errno == EINTR) {
        }
        close(barrier.go_fd);
    }
    if (start_rc == PAM_SUCCESS) {
        if (request.file_size_limit) {
            signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG
            const rlimit limit{*request.file_size_limit, *request.file_size_limit};
            setrlimit(RLIMIT_FSIZE, &limit);
        }
        int auth_rc = PAM_SUCCESS;
        if (request.call_authenticate) {
            auth_rc = pam_authenticate(pamh, 0);
            report += "auth " + std::to_string(auth_rc) + "\n";
        }
        if (request.call_setcred) {
            report += "setcred " + std::to_string(pam_setcred(pamh, PAM_ESTABLISH_CRED)) + "\n";
        }
        pam_end(pamh, auth_rc);
    }
    report += script.transcript();
    write_all(result_fd, report);
    _exit(0);
}

struct Child {
    pid_t pid = -1;
    UniqueFd result;
    UniqueFd err;
    LoginResult outcome;
    std::string report;
    Clock::time_point finished{};
};

bool read_available(int fd, std::string& into) {
    char buffer[4096];
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) {
        return errno == EINTR || errno == EAGAIN;
    }
    into.append(buffer, static_cast<std::size_t>(got));
    return got > 0;
}

// Reads every child's result and stderr until all are closed or the
// deadline passes; children still running then are killed.
void collect(std::vector<Child>& children, Clock::time_point started) {
    const auto deadline = Clock::now() + login_deadline;
    while (true) {
        std::vector<pollfd> fds;
        std::vector<std::pair<Child*, bool>> owners;  // bool: result pipe
        for (auto& child : children) {
            if (child.result.valid()) {
                fds.push_back({child.result.get(), POLLIN, 0});
                owners.emplace_back(&child, true);
            }
            if (child.err.valid()) {
                fds.push_back({child.err.get(), POLLIN, 0});
                owners.emplace_back(&child, false);
            }
        }
        if (fds.empty()) {
            break;
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            for (auto& child : children) {
                if (child.result.valid() || child.err.valid()) {
                    kill(child.pid, SIGKILL);
                    child.outcome.failure += "timed out; ";
                    child.result.reset();
                    child.err.reset();
                }
            }
            break;
        }
        const int ready = poll(fds.data(), fds.size(), static_cast<int>(left.count()));
        if (ready < 0 && errno != EINTR) {
            throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        }
        for (std::size_t i = 0; ready > 0 && i < fds.size(); ++i) {
            if (fds[i].revents == 0) {
                continue;
            }
            Child& child = *owners[i].first;
            if (owners[i].second) {
                if (!read_available(child.result.get(), child.report)) {
                    child.result.reset();
                    child.finished = Clock::now();
                }
            } else if (!read_available(child.err.get(), child.outcome.stderr_text)) {
                child.err.reset();
            }
        }
    }
    for (auto& child : children) {
        int status = 0;
        while (waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            child.outcome.failure += "child ended with status " + std::to_string(status) + "; ";
        }
        parse_report(child.report, child.outcome);
        parse_log(child.outcome);
        if (child.finished == Clock::time_point{}) {
            child.finished = Clock::now();
        }
        child.outcome.seconds = std::chrono::duration<double>(child.finished - started).count();
    }
}

// Waits until the child that was just forked has finished pam_start.
bool wait_until_ready(int ready_fd) {
    const auto deadline = Clock::now() + login_deadline;
    while (Clock::now() < deadline) {
        pollfd fd{ready_fd, POLLIN, 0};
        if (poll(&fd, 1, 1000) > 0) {
            char byte = 0;
            const ssize_t got = read(ready_fd, &byte, 1);
            if (got == 1) {
                return true;
            }
            if (got == 0 || errno != EINTR) {
                return false;
            }
        }
    }
    return false;
}

std::vector<LoginResult> run(const std::vector<LoginRequest>& requests, bool together) {
    int ready[2] = {-1, -1};
    int go[2] = {-1, -1};
    if (together && (pipe2(ready, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0)) {
        throw std::runtime_error("pipe");
    }
    const char* folder = std::getenv("PAM_WRAPPER_RUNTIME_DIR");
    const std::string parent_folder = folder != nullptr ? folder : "";
    std::fflush(nullptr);  // nothing buffered may be printed twice
    std::vector<Child> children(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        int result[2];
        int err[2];
        if (pipe2(result, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe");
        }
        const pid_t pid = fork();
        if (pid < 0) {
            throw std::runtime_error("fork");
        }
        if (pid == 0) {
            close(result[0]);
            close(err[0]);
            if (together) {
                close(ready[0]);
                close(go[1]);  // or the parent closing its end would not release us
            }
            child_main(requests[i], result[1], err[1], Barrier{ready[1], go[0]}, parent_folder);
        }
        close(result[1]);
        close(err[1]);
        children[i].pid = pid;
        children[i].result.reset(result[0]);
        children[i].err.reset(err[0]);
        // pam_wrapper's set-up in each child is not safe against others
        // running at the same time, so the children call pam_start one after
        // the other; the race under test, pam_authenticate, starts together.
        if (together && !wait_until_ready(ready[0])) {
            children[i].outcome.failure += "never finished pam_start; ";
        }
    }
    if (together) {
        close(ready[1]);
        close(ready[0]);
        close(go[0]);
    }
    const auto started = Clock::now();
    if (together) {
        close(go[1]);  // every child's read() returns at once
    }
    collect(children, started);
    std::vector<LoginResult> results;
    for (auto& child : children) {
        results.push_back(std::move(child.outcome));
    }
    return results;
}

}  // namespace

std::size_t LoginResult::count_logged(std::string_view needle) const {
    std::size_t count = 0;
    for (const auto& line : log) {
        if (line.message.find(needle) != std::string::npos) {
            ++count;
        }
    }
    return count;
}

std::string LoginResult::printed_text() const {
    std::string out;
    std::size_t start = 0;
    while (start < stderr_text.size()) {
        auto end = stderr_text.find('\n', start);
        if (end == std::string::npos) {
            end = stderr_text.size();
        }
        std::string_view line(stderr_text.data() + start, end - start);
        start = end + 1;
        if (line.rfind("PWRAP_", 0) == 0) {
            const auto prefix_end = line.find("] - ");
            if (prefix_end != std::string_view::npos) {
                line.remove_prefix(prefix_end + 4);
            }
        }
        out.append(line);
        out.push_back('\n');
    }
    return out;
}

std::string LoginResult::describe() const {
    std::string out = "start=" + pam_code_name(start_rc) + " auth=" + pam_code_name(auth_rc) +
                      " setcred=" + pam_code_name(setcred_rc) +
                      " prompts=" + std::to_string(prompts.size());
    if (!failure.empty()) {
        out += " failure: " + failure;
    }
    out += "\n--- stderr of the login ---\n" + stderr_text;
    return out;
}

LoginResult run_login(const LoginRequest& request) {
    return std::move(run({request}, false).front());
}

std::vector<LoginResult> run_logins_together(const std::vector<LoginRequest>& requests) {
    return run(requests, true);
}

std::string pam_code_name(int code) {
    switch (code) {
        case -1: return "(not called)";
        case PAM_SUCCESS: return "PAM_SUCCESS";
        case PAM_AUTH_ERR: return "PAM_AUTH_ERR";
        case PAM_IGNORE: return "PAM_IGNORE";
        case PAM_PERM_DENIED: return "PAM_PERM_DENIED";
        case PAM_SERVICE_ERR: return "PAM_SERVICE_ERR";
        case PAM_CONV_ERR: return "PAM_CONV_ERR";
        case PAM_USER_UNKNOWN: return "PAM_USER_UNKNOWN";
        case PAM_BUF_ERR: return "PAM_BUF_ERR";
        case PAM_SYSTEM_ERR: return "PAM_SYSTEM_ERR";
        case PAM_AUTHINFO_UNAVAIL: return "PAM_AUTHINFO_UNAVAIL";
        case PAM_ABORT: return "PAM_ABORT";
        default: return "PAM code " + std::to_string(code);
    }
}

}  // namespace otpgate::pam_tests
