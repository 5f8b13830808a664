#include "otpgate/core/system/child_process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "otpgate/core/system/descriptor_io.hpp"
#include "otpgate/core/system/unique_fd.hpp"

namespace otpgate::core {
namespace {

using Clock = std::chrono::steady_clock;

int milliseconds_until(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

// Runs in the forked child: only async-signal-safe calls from here on,
// because the parent may have other threads (whose locks we inherited).
[[noreturn]] void exec_child(int input_fd, int output_fd, int null_fd, int report_fd, rlim_t max_fd,
                             char* const* argv, char* const* envp) {
    sigset_t nothing;
    sigemptyset(&nothing);
    sigprocmask(SIG_SETMASK, &nothing, nullptr);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
        sigaction(signal_number, &default_action, nullptr);  // SIGKILL, SIGSTOP: harmless EINVAL
    }
    setpgid(0, 0);  // so a timeout can kill whatever it started, too

    // Lift the descriptors above 2 first, so that dup2 onto 0..2 can never
    // overwrite one we still need (the caller may have closed its own 0..2).
    const int input = fcntl(input_fd, F_DUPFD_CLOEXEC, 3);
    const int output = fcntl(output_fd, F_DUPFD_CLOEXEC, 3);
    const int null_device = fcntl(null_fd, F_DUPFD_CLOEXEC, 3);
    const int report = fcntl(report_fd, F_DUPFD_CLOEXEC, 3);
    if (input >= 0 && output >= 0 && null_device >= 0 && report >= 0 && dup2(input, 0) == 0 &&
        dup2(output, 1) == 1 && dup2(null_device, 2) == 2) {
        // Everything from 3 up closes at exec; `report` stays usable until then.
        long marked = -1;
#ifdef SYS_close_range
        marked = syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC, Linux 5.11 */);
#endif
        if (marked != 0) {
            for (rlim_t fd = 3; fd < max_fd; ++fd) {
                fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
            }
        }
        execve(argv[0], argv, envp);
    }
    const int error_number = errno;
    if (report >= 0) {
        const ssize_t ignored = write(report, &error_number, sizeof error_number);
        static_cast<void>(ignored);
    }
    _exit(127);
}

ChildOutcome spawn_failure(std::string why) {
    ChildOutcome outcome;
    outcome.kind = ChildOutcome::Kind::spawn_failed;
    outcome.failure = std::move(why);
    return outcome;
}

int wait_blocking(pid_t pid, int& status) {
    int rc = 0;
    do {
        rc = waitpid(pid, &status, 0);
    } while (rc < 0 && errno == EINTR);
    return rc;
}

// Waits for the child until the deadline: true when it was reaped.
bool wait_until(pid_t pid, Clock::time_point deadline, int& status, bool& lost) {
#ifdef SYS_pidfd_open
    const UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));  // Linux 5.3
#else
    const UniqueFd pidfd;
#endif
    while (true) {
        const pid_t rc = waitpid(pid, &status, WNOHANG);
        if (rc == pid) {
            return true;
        }
        if (rc < 0 && errno != EINTR) {
            lost = true;  // reaped by someone else (SIGCHLD ignored by the host)
            return true;
        }
        const int left = milliseconds_until(deadline);
        if (left == 0) {
            return false;
        }
        if (pidfd.valid()) {
            pollfd ready{pidfd.get(), POLLIN, 0};
            poll(&ready, 1, left);
        } else {
            // Kernels before 5.3: poll the exit every few milliseconds.
            const timespec pause{0, 2'000'000};
            nanosleep(&pause, nullptr);
        }
    }
}

// Writes all of `input`; false at the deadline. A reader that stops early
// (EPIPE) is not an error here: its exit status tells.
bool feed_input(int fd, std::string_view input, Clock::time_point deadline) {
    while (!input.empty()) {
        const DescriptorWait ready = wait_for_descriptor(fd, POLLOUT, deadline);
        if (ready != DescriptorWait::ready) {
            return ready == DescriptorWait::failed;
        }
        const ssize_t sent = send(fd, input.data(), input.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return true;
        }
        input.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
}

// Reads what the child writes until it closes its end or `deadline`
// passes: false at the deadline. Beyond `limit` bytes the rest is read and
// dropped, so that a chatty program cannot block on a full socket.
bool collect_output(int fd, std::string& output, std::size_t limit, Clock::time_point deadline) {
    char buffer[4096];
    while (true) {
        const DescriptorWait ready = wait_for_descriptor(fd, POLLIN, deadline);
        if (ready != DescriptorWait::ready) {
            return ready == DescriptorWait::failed;
        }
        const ssize_t got = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return true;
        }
        if (got == 0) {
            return true;
        }
        const auto room = limit - std::min(limit, output.size());
        output.append(buffer, std::min(room, static_cast<std::size_t>(got)));
    }
}

// run_with_input, and with `output` (when not null) given the program's
// standard output: the same socket as its input, read after the input.
ChildOutcome run_child(const std::vector<std::string>& argv, std::string_view input,
                       std::chrono::milliseconds timeout, std::string* output,
                       std::size_t output_limit) {
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    if (argv.empty() || argv.front().empty() || argv.front().front() != '/') {
        return spawn_failure("the program must be given by an absolute path");
    }
    // Everything the child needs is prepared before fork.
    std::vector<char*> args;
    for (const auto& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    char* envp[] = {const_cast<char*>(child_environment_path), nullptr};

    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
        return spawn_failure("cannot create a socket: " + errno_text(errno));
    }
    UniqueFd parent_end(sockets[0]);
    UniqueFd child_end(sockets[1]);
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        return spawn_failure("cannot create a pipe: " + errno_text(errno));
    }
    UniqueFd report_read(pipe_fds[0]);
    UniqueFd report_write(pipe_fds[1]);
    const UniqueFd null_device(open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null_device.valid()) {
        return spawn_failure("cannot open /dev/null: " + errno_text(errno));
    }
    rlimit files{};
    const rlim_t max_fd = getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY
                              ? files.rlim_cur
                              : 65536;

    const pid_t pid = fork();
    if (pid < 0) {
        return spawn_failure("cannot start " + argv.front() + ": " + errno_text(errno));
    }
    if (pid == 0) {
        exec_child(child_end.get(), output != nullptr ? child_end.get() : null_device.get(),
                   null_device.get(), report_write.get(), max_fd, args.data(), envp);
    }
    child_end.reset();
    report_write.reset();

    // EOF on the report pipe means execve succeeded (it closed the pipe).
    int child_errno = 0;
    ssize_t got = 0;
    do {
        got = read(report_read.get(), &child_errno, sizeof child_errno);
    } while (got < 0 && errno == EINTR);
    if (got == static_cast<ssize_t>(sizeof child_errno)) {
        int ignored = 0;
        wait_blocking(pid, ignored);
        return spawn_failure("cannot run " + argv.front() + ": " + errno_text(child_errno));
    }

    bool finished_in_time = feed_input(parent_end.get(), input, deadline);
    shutdown(parent_end.get(), SHUT_WR);
    if (output != nullptr && finished_in_time) {
        finished_in_time = collect_output(parent_end.get(), *output, output_limit, deadline);
    }
    parent_end.reset();

    int status = 0;
    bool lost = false;
    finished_in_time = finished_in_time && wait_until(pid, deadline, status, lost);
    ChildOutcome outcome;
    if (!finished_in_time) {
        kill(-pid, SIGKILL);  // its process group: anything it started
        kill(pid, SIGKILL);
        wait_blocking(pid, status);
        outcome.kind = ChildOutcome::Kind::timed_out;
    } else if (lost) {
        outcome.kind = ChildOutcome::Kind::spawn_failed;
        outcome.failure = "the exit status of " + argv.front() +
                          " was lost (the calling program reaps children itself)";
    } else if (WIFEXITED(status)) {
        outcome.kind = ChildOutcome::Kind::exited;
        outcome.exit_status = WEXITSTATUS(status);
    } else {
        outcome.kind = ChildOutcome::Kind::signaled;
        outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return outcome;
}

}  // namespace

ChildOutcome run_with_input(const std::vector<std::string>& argv, std::string_view input,
                            std::chrono::milliseconds timeout) {
    return run_child(argv, input, timeout, nullptr, 0);
}

ChildOutcome run_reading_output(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout, std::string& output,
                                std::size_t output_limit) {
    output.clear();
    return run_child(argv, {}, timeout, &output, output_limit);
}

std::string describe_child_outcome(const ChildOutcome& outcome, std::chrono::milliseconds timeout) {
    switch (outcome.kind) {
        case ChildOutcome::Kind::exited:
            return "exited with status " + std::to_string(outcome.exit_status);
        case ChildOutcome::Kind::signaled:
            return "was killed by signal " + std::to_string(outcome.signal);
        case ChildOutcome::Kind::timed_out:
            return "did not finish within " + std::to_string(timeout.count()) +
                   " ms and was killed";
        case ChildOutcome::Kind::spawn_failed: return outcome.failure;
    }
    return "unknown outcome";
}

}  // namespace otpgate::core
