// Runs a program with some bytes on its standard input and a hard time
// limit, the way pam_exec would: no shell, a fixed minimal environment,
// every inherited descriptor closed, stdout (unless read) and stderr to
// /dev/null, its own process group, signal dispositions and mask reset. At
// the deadline the whole group is killed with SIGKILL and the child is
// reaped.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace otpgate::core {

struct ChildOutcome {
    enum class Kind {
        exited,        // exit_status is valid
        signaled,      // killed by `signal` (not by us)
        timed_out,     // still running at the deadline: killed and reaped
        spawn_failed,  // not started: `failure` says why
    };
    Kind kind = Kind::spawn_failed;
    int exit_status = 0;
    int signal = 0;
    std::string failure;
    std::chrono::milliseconds elapsed{0};
};

// The environment every program gets, nothing inherited.
inline constexpr const char* child_environment_path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";

// argv[0] must be an absolute path. Never throws for a failing program; only
// std::bad_alloc. Standard input is a socket (written with MSG_NOSIGNAL, so
// a program that exits early cannot raise SIGPIPE in the caller).
ChildOutcome run_with_input(const std::vector<std::string>& argv, std::string_view input,
                            std::chrono::milliseconds timeout);

// The same with no input, and with the program's standard output in
// `output` (its first `output_limit` bytes; the rest is read and dropped).
// A program killed at the deadline leaves what it wrote so far.
ChildOutcome run_reading_output(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout, std::string& output,
                                std::size_t output_limit);

// "exited with status 1", "was killed by signal 9", "did not finish within
// 1000 ms and was killed", "cannot run /x: No such file or directory".
std::string describe_child_outcome(const ChildOutcome& outcome, std::chrono::milliseconds timeout);

}  // namespace otpgate::core
