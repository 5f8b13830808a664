// Programs run by the sendmail and command backends: input, exit status,
// environment, inherited descriptors, timeouts that kill the whole group.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "delivery_test_support.hpp"
#include "otpgate/core/system/child_process.hpp"

namespace otpgate::core {
namespace {

using std::chrono::milliseconds;
using Kind = ChildOutcome::Kind;

class ChildProcess : public ::testing::Test {
protected:
    std::string script(const std::string& name, const std::string& body) {
        const auto path = dir / name;
        test::write_script(path, body);
        return path.string();
    }
    test::TempDir dir;
};

// Whether a process is gone (or a zombie waiting for its reaper).
bool process_ended(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) {
        return true;
    }
    const auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() &&
           (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

TEST_F(ChildProcess, PassesInputAndReportsTheExitStatus) {
    const auto out = dir / "stdin";
    const std::string input = "line one\nl\xC3\xAFne two \x01\n";
    const auto outcome = run_with_input(
        {script("cat.sh", "cat > '" + out.string() + "'\nexit 3\n")}, input, milliseconds(5000));
    EXPECT_EQ(outcome.kind, Kind::exited);
    EXPECT_EQ(outcome.exit_status, 3);
    EXPECT_EQ(test::read_file(out), input);
    EXPECT_EQ(describe_child_outcome(outcome, milliseconds(5000)), "exited with status 3");
}

TEST_F(ChildProcess, ArgumentsArePassedWithoutAShell) {
    const auto out = dir / "argv";
    const auto outcome =
        run_with_input({script("args.sh", "for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done > '" +
                                              out.string() + "'\n"),
                        "two words", "$(touch /tmp/otpgate-pwned)", "*", "-i"},
                       "", milliseconds(5000));
    ASSERT_EQ(outcome.kind, Kind::exited);
    EXPECT_EQ(test::read_file(out), "[two words]\n[$(touch /tmp/otpgate-pwned)]\n[*]\n[-i]\n");
}

TEST_F(ChildProcess, GetsOnlyAFixedEnvironment) {
    setenv("OTPGATE_CANARY", "leaked", 1);
    const auto out = dir / "env";
    const auto outcome =
        run_with_input({"/usr/bin/env"}, "", milliseconds(5000));  // stdout is /dev/null
    EXPECT_EQ(outcome.kind, Kind::exited);
    const auto recorded = run_with_input({script("env.sh", "env > '" + out.string() + "'\n")}, "",
                                         milliseconds(5000));
    ASSERT_EQ(recorded.kind, Kind::exited);
    const std::string env = test::read_file(out);
    EXPECT_NE(env.find("PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"), std::string::npos) << env;
    EXPECT_EQ(env.find("OTPGATE_CANARY"), std::string::npos) << env;
    EXPECT_EQ(env.find("HOME="), std::string::npos) << env;
    unsetenv("OTPGATE_CANARY");
}

TEST_F(ChildProcess, InheritsNoDescriptorsBeyondTheStandardOnes) {
    const int leaky = open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
    ASSERT_GE(leaky, 3);
    const auto out = dir / "fds";
    const std::string program =
        "import os, sys\n"
        "fd = int(sys.argv[1])\n"
        "try:\n"
        "    os.fstat(fd)\n"
        "    state = 'open'\n"
        "except OSError:\n"
        "    state = 'closed'\n"
        "std = [os.path.exists('/proc/self/fd/%d' % n) for n in (0, 1, 2)]\n"
        "null = os.readlink('/proc/self/fd/1')\n"
        "open(sys.argv[2], 'w').write('%s %s %s' % (state, std, null))\n";
    const auto outcome =
        run_with_input({OTPGATE_TEST_PYTHON, "-c", program, std::to_string(leaky), out.string()},
                       "", milliseconds(10000));
    close(leaky);
    ASSERT_EQ(outcome.kind, Kind::exited) << outcome.failure;
    EXPECT_EQ(test::read_file(out), "closed [True, True, True] /dev/null");
}

TEST_F(ChildProcess, IsKilledWithEverythingItStartedAtTheDeadline) {
    const auto pid_file = dir / "grandchild";
    const auto start = std::chrono::steady_clock::now();
    const auto outcome = run_with_input(
        {script("hang.sh", "sleep 30 &\necho $! > '" + pid_file.string() + "'\nwait\n")}, "",
        milliseconds(500));
    const auto elapsed = test::elapsed_since(start);
    EXPECT_EQ(outcome.kind, Kind::timed_out);
    EXPECT_GE(elapsed, milliseconds(450));
    EXPECT_LT(elapsed, milliseconds(1500));
    EXPECT_EQ(describe_child_outcome(outcome, milliseconds(500)),
              "did not finish within 500 ms and was killed");
    const pid_t grandchild = static_cast<pid_t>(std::stol(test::read_file(pid_file)));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!process_ended(grandchild) && std::chrono::steady_clock::now() < deadline) {
        usleep(10000);
    }
    EXPECT_TRUE(process_ended(grandchild)) << "the background sleep survived";
}

TEST_F(ChildProcess, AProgramThatNeverReadsCannotBlockUsPastTheDeadline) {
    const std::string big(4 * 1024 * 1024, 'x');
    const auto start = std::chrono::steady_clock::now();
    const auto outcome =
        run_with_input({script("sleep.sh", "exec sleep 30\n")}, big, milliseconds(500));
    EXPECT_EQ(outcome.kind, Kind::timed_out);
    EXPECT_LT(test::elapsed_since(start), milliseconds(1500));
}

TEST_F(ChildProcess, AProgramThatExitsWithoutReadingRaisesNoSigpipe) {
    // SIGPIPE would end this test program; the outcome is just the status.
    const std::string big(4 * 1024 * 1024, 'x');
    const auto outcome = run_with_input({"/bin/true"}, big, milliseconds(5000));
    EXPECT_EQ(outcome.kind, Kind::exited);
    EXPECT_EQ(outcome.exit_status, 0);
}

TEST_F(ChildProcess, OutputIsReadUpToItsLimitAndTheRestDropped) {
    std::string output = "left over";
    const auto outcome = run_reading_output(
        {script("say.sh",
                "printf 'one\\ntwo\\n'\nhead -c 200000 /dev/zero | tr '\\0' x\nexit 4\n")},
        milliseconds(5000), output, 10);
    EXPECT_EQ(outcome.kind, Kind::exited) << outcome.failure;
    EXPECT_EQ(outcome.exit_status, 4) << "the writer was never blocked by a full socket";
    EXPECT_EQ(output, "one\ntwo\nxx");
}

TEST_F(ChildProcess, OutputReadingEndsAtTheDeadlineWithWhatCameSoFar) {
    std::string output;
    const auto start = std::chrono::steady_clock::now();
    const auto outcome = run_reading_output({script("slow.sh", "echo early\nexec sleep 30\n")},
                                            milliseconds(500), output, 4096);
    EXPECT_EQ(outcome.kind, Kind::timed_out);
    EXPECT_LT(test::elapsed_since(start), milliseconds(1500));
    EXPECT_EQ(output, "early\n");
}

TEST_F(ChildProcess, SignalsAndSpawnFailuresAreReported) {
    const auto killed =
        run_with_input({script("term.sh", "kill -TERM $$\nsleep 5\n")}, "", milliseconds(5000));
    EXPECT_EQ(killed.kind, Kind::signaled);
    EXPECT_EQ(killed.signal, SIGTERM);
    EXPECT_EQ(describe_child_outcome(killed, milliseconds(5000)), "was killed by signal 15");

    const auto missing = run_with_input({"/nonexistent/sendmail", "-i"}, "x", milliseconds(5000));
    EXPECT_EQ(missing.kind, Kind::spawn_failed);
    EXPECT_EQ(missing.failure, "cannot run /nonexistent/sendmail: No such file or directory");

    const auto not_executable = dir / "plain";
    test::write_file(not_executable, "#!/bin/sh\n", 0644);
    const auto denied = run_with_input({not_executable.string()}, "", milliseconds(5000));
    EXPECT_EQ(denied.kind, Kind::spawn_failed);
    EXPECT_NE(denied.failure.find("Permission denied"), std::string::npos) << denied.failure;

    const auto relative = run_with_input({"sendmail"}, "", milliseconds(5000));
    EXPECT_EQ(relative.kind, Kind::spawn_failed);
    EXPECT_EQ(run_with_input({}, "", milliseconds(5000)).kind, Kind::spawn_failed);
}

}  // namespace
}  // namespace otpgate::core
