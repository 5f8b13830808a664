// A login process killed with SIGKILL at random moments, many times, while
// it logs in over and over (right codes, wrong codes, backup codes: every
// kind of state write). After every kill the state must still decode and
// hold every success the killed process saw; at the end a fresh code logs
// in and every spent code stays spent.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <set>
#include <sstream>

#include "hostile_world.hpp"
#include "otpgate/core/state/state_store.hpp"

namespace otpgate::hostile_tests {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int64_t period = 30;
std::int64_t time_of_step(std::int64_t step) {
    return step * period + 15;
}

int answer_one(int count, const pam_message** messages, pam_response** replies,
               void* data) noexcept {
    if (count != 1 || messages[0]->msg_style != PAM_PROMPT_ECHO_OFF) {
        return PAM_CONV_ERR;
    }
    auto* reply = static_cast<pam_response*>(std::calloc(1, sizeof(pam_response)));
    if (reply == nullptr) {
        return PAM_BUF_ERR;
    }
    reply->resp = strdup(static_cast<const char*>(data));
    *replies = reply;
    return PAM_SUCCESS;
}

int log_in(const std::string& code) {
    const pam_conv conversation{answer_one, const_cast<char*>(code.c_str())};
    pam_handle_t* pamh = nullptr;
    if (pam_start("hostile", "alice", &conversation, &pamh) != PAM_SUCCESS) {
        return -1;
    }
    const int rc = pam_authenticate(pamh, 0);
    pam_end(pamh, rc);
    return rc;
}

void report(int fd, const std::string& line) {
    const std::string text = line + "\n";
    if (::write(fd, text.data(), text.size()) < 0) {
        _exit(3);
    }
}

// The child: logs in forever, telling the parent about every success it
// saw returned. Stderr (pam_wrapper's log) goes nowhere: it would be cut.
[[noreturn]] void log_in_forever(World& world, int report_fd, std::int64_t step,
                                 std::size_t backup_index, unsigned first_kind) {
    const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    dup2(null_fd, STDERR_FILENO);
    const KnownEnrollment& alice = world.known("alice");
    for (unsigned i = first_kind;; ++i) {
        world.sandbox().set_time(time_of_step(step));
        std::string typed;
        std::string what;
        if (i % 3 == 0) {
            typed = std::string(
                core::totp(alice.enrollment.totp_secret, time_of_step(step), alice.enrollment.totp)
                    .view());
            what = "totp " + std::to_string(step);
            ++step;
        } else if (i % 3 == 1 || backup_index >= alice.backup_codes.size()) {
            typed = "000000";  // a wrong code: a failure is written too
            what = "wrong";
        } else {
            typed = alice.backup_codes[backup_index];
            what = "backup " + std::to_string(backup_index);
            ++backup_index;
        }
        const int rc = log_in(typed);
        report(report_fd, (rc == PAM_SUCCESS ? "ok " : "no ") + what);
    }
}

struct Round {
    std::vector<std::int64_t> totp_steps;
    std::vector<std::size_t> backup_indices;
};

// pam_wrapper made a /tmp/pam.? folder for the killed child, which cannot
// remove it; only 62 exist. Its "pid" file says whose it is.
void remove_pam_wrapper_folder_of(pid_t pid) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/tmp", error)) {
        const std::string name = entry.path().filename().string();
        if (name.size() != 5 || name.rfind("pam.", 0) != 0) {
            continue;
        }
        std::error_code ignored;
        if (!std::filesystem::exists(entry.path() / "pid", ignored)) {
            continue;
        }
        if (std::atoi(pam_tests::read_file(entry.path() / "pid").c_str()) == pid) {
            std::filesystem::remove_all(entry.path(), ignored);
        }
    }
}

Round parse_round(const std::string& text) {
    Round round;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("ok totp ", 0) == 0) {
            round.totp_steps.push_back(std::stoll(line.substr(8)));
        } else if (line.rfind("ok backup ", 0) == 0) {
            round.backup_indices.push_back(std::stoul(line.substr(10)));
        }
    }
    return round;
}

TEST(KillDuringStateWrite, EveryKillLeavesADecodableStateThatLosesNothing) {
    ASSERT_TRUE(pam_tests::pam_wrapper_active())
        << "pam_wrapper is not preloaded (run through ctest)";
    World world;
    ASSERT_TRUE(pam_tests::nss_wrapper_active()) << "nss_wrapper is not preloaded";
    world.config("lockout_failures = 0\n");
    world.enroll("alice");
    const core::StateStore states(world.sandbox().state_dir());
    const auto state_file = world.sandbox().state_file("alice");

    const unsigned seed = static_cast<unsigned>(getpid());  // printed below, to replay a failure
    std::mt19937 random(seed);
    // Kill times scaled to how long one login takes here (much longer under
    // a sanitizer): from a twentieth of a login to three logins.
    const auto calibration_start = Clock::now();
    world.log_in_once();
    const auto login_us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - calibration_start)
            .count();
    std::uniform_int_distribution<long> delay_us(std::max<long>(200, login_us / 20),
                                                 std::max<long>(1000, 3 * login_us));
    std::int64_t next_step = pam_tests::base_time / period + 1;
    std::size_t next_backup = 0;
    std::set<std::int64_t> accepted_steps = {pam_tests::base_time / period};
    std::set<std::size_t> spent_backups;
    unsigned kills = 0;
    const auto stop_at = Clock::now() + std::chrono::seconds(8);
    while (Clock::now() < stop_at && kills < 150) {
        int pipe_fds[2];
        ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
        std::fflush(nullptr);
        const pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            close(pipe_fds[0]);
            log_in_forever(world, pipe_fds[1], next_step, next_backup, kills % 3);
        }
        close(pipe_fds[1]);
        usleep(static_cast<useconds_t>(delay_us(random)));
        kill(pid, SIGKILL);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        ++kills;
        remove_pam_wrapper_folder_of(pid);
        std::string text;
        char buffer[4096];
        ssize_t got = 0;
        while ((got = read(pipe_fds[0], buffer, sizeof buffer)) > 0) {
            text.append(buffer, static_cast<std::size_t>(got));
        }
        close(pipe_fds[0]);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            << "the login loop ended by itself (status " << status << "):\n"
            << text;
        const Round round = parse_round(text);
        accepted_steps.insert(round.totp_steps.begin(), round.totp_steps.end());
        spent_backups.insert(round.backup_indices.begin(), round.backup_indices.end());

        // The state decodes, and holds every success the killed process saw.
        auto read = states.read_existing("alice");
        ASSERT_TRUE(read) << "after kill " << kills << ": " << read.error().message;
        if (!read->has_value()) {
            continue;  // killed before the very first login created the file
        }
        const core::UserState& state = **read;
        EXPECT_EQ(std::filesystem::file_size(state_file), core::state_file_size);
        if (!accepted_steps.empty()) {
            ASSERT_TRUE(state.last_totp_step.has_value()) << "after kill " << kills;
            EXPECT_GE(*state.last_totp_step, *accepted_steps.rbegin()) << "after kill " << kills;
        }
        for (const std::size_t index : spent_backups) {
            EXPECT_NE(state.backup_used_mask & (std::uint64_t{1} << index), 0u)
                << "backup code " << index << " was accepted, then forgotten (kill " << kills
                << ")";
        }
        // The next process goes on after whatever the state says was used.
        next_step = std::max(next_step, state.last_totp_step.value_or(0) + 1);
        next_backup = static_cast<std::size_t>(__builtin_popcountll(state.backup_used_mask));
    }
    std::fprintf(stderr, "seed %u: %u kills, %zu TOTP and %zu backup successes seen\n", seed, kills,
                 accepted_steps.size(), spent_backups.size());
    RecordProperty("kills", static_cast<int>(kills));
    RecordProperty("totp_successes", static_cast<int>(accepted_steps.size()));
    EXPECT_GE(kills, 20u);
    EXPECT_GE(accepted_steps.size(), 5u) << "the loop hardly ever logged in before being killed";

    // A fresh code logs in; the newest spent code and a spent backup code do not.
    const KnownEnrollment& alice = world.known("alice");
    world.sandbox().set_time(time_of_step(next_step));
    LoginAttempt fresh;
    fresh.replies = {{Reply::Kind::text, world.code("alice")}};
    const LoginResult fresh_result = run_attempt(fresh);
    EXPECT_EQ(fresh_result.auth_rc, PAM_SUCCESS) << fresh_result.describe();
    EXPECT_TRUE(fresh_result.logged("user alice authenticated with a TOTP code"))
        << fresh_result.describe();
    const LoginResult replay = run_attempt(fresh);
    EXPECT_EQ(replay.auth_rc, PAM_AUTH_ERR) << replay.describe();
    EXPECT_TRUE(replay.logged("replayed code for user alice refused")) << replay.describe();
    if (!accepted_steps.empty()) {
        const std::int64_t spent = *accepted_steps.rbegin();
        world.sandbox().set_time(time_of_step(spent));
        LoginAttempt old;
        old.replies = {{Reply::Kind::text, world.code("alice")}};
        const LoginResult old_result = run_attempt(old);
        EXPECT_EQ(old_result.auth_rc, PAM_AUTH_ERR) << old_result.describe();
        EXPECT_TRUE(old_result.logged("replayed code for user alice refused"))
            << old_result.describe();
    }
    if (!spent_backups.empty()) {
        LoginAttempt backup;
        backup.replies = {{Reply::Kind::text, alice.backup_codes[*spent_backups.begin()]}};
        const LoginResult backup_result = run_attempt(backup);
        EXPECT_EQ(backup_result.auth_rc, PAM_AUTH_ERR) << backup_result.describe();
        EXPECT_TRUE(backup_result.logged("replayed code for user alice refused"))
            << backup_result.describe();
    }
}

}  // namespace
}  // namespace otpgate::hostile_tests
