// Many logins at once, each a process of its own with its own pam_start,
// released together through a pipe: one code opens one login.
#include <security/pam_appl.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "otpgate/core/state/state_store.hpp"
#include "pam_fixture.hpp"

namespace otpgate::pam_tests {
namespace {

constexpr std::size_t racers = 40;
constexpr int trials = 20;

class ConcurrencyTest : public PamTest {
protected:
    void SetUp() override {
        PamTest::SetUp();
        if (!HasFatalFailure()) {
            // One attempt each: a loser must not get a second try at the
            // prompt. Without the lockout, which 39 replays would start, every
            // loser is seen refused as a replay (lockout_test.cpp covers lockouts).
            sandbox().write_config("max_attempts = 1\nlockout_failures = 0");
        }
    }

    static std::vector<LoginRequest> same_code(const std::string& user, const std::string& code,
                                               std::size_t count) {
        LoginRequest request;
        request.user = user;
        request.answers = {code};
        return std::vector<LoginRequest>(count, request);
    }

    [[nodiscard]] std::optional<std::int64_t> last_step(const std::string& user) {
        auto locked = core::StateStore(sandbox().state_dir()).lock(user);
        if (!locked) {
            return std::nullopt;
        }
        return locked->state().last_totp_step;
    }
};

// Checks one race of `results` for one user's code: one winner, and every
// loser refused as a replay (not as a wrong code or a broken state file).
void expect_one_winner(const std::vector<LoginResult>& results, const std::string& user,
                       const std::string& winner_line, const std::string& context) {
    std::size_t successes = 0;
    std::size_t replays = 0;
    for (const auto& result : results) {
        EXPECT_EQ(result.prompt_count(), 1U) << context << "\n" << result.describe();
        if (result.auth_rc == PAM_SUCCESS) {
            ++successes;
            EXPECT_TRUE(result.logged(winner_line)) << context << "\n" << result.describe();
        } else {
            EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << context << "\n" << result.describe();
            if (result.logged("replayed code for user " + user + " refused")) {
                ++replays;
            } else {
                ADD_FAILURE() << context << ": a loser was not refused as a replay\n"
                              << result.describe();
            }
        }
    }
    EXPECT_EQ(successes, 1U) << context;
    EXPECT_EQ(replays, results.size() - 1) << context;
}

TEST_F(ConcurrencyTest, FortyLoginsWithOneTotpCodeSucceedOnce) {
    const auto alice = enroll("alice");
    int clean_trials = 0;
    for (int trial = 1; trial <= trials; ++trial) {
        // A new step each trial; in the first, the state file does not exist
        // yet and all racers try to create it.
        advance_steps(1);
        const std::string context = "trial " + std::to_string(trial);
        const auto results = login_together(same_code("alice", code_at(alice), racers));
        const auto before = ::testing::Test::HasFailure();
        expect_one_winner(results, "alice", "user alice authenticated with a TOTP code", context);
        EXPECT_EQ(last_step("alice"), sandbox().time() / 30) << context;
        if (!before && !::testing::Test::HasFailure()) {
            ++clean_trials;
        }
    }
    std::cout << clean_trials << " of " << trials << " trials of " << racers
              << " concurrent logins had exactly one success\n";
    EXPECT_EQ(clean_trials, trials);
}

TEST_F(ConcurrencyTest, FortyFirstLoginsCreateTheStateFileTogether) {
    // Every trial starts without a state file, so that all racers also race
    // to create it: none may find it half made.
    const auto alice = enroll("alice");
    for (int trial = 1; trial <= 10; ++trial) {
        std::filesystem::remove(sandbox().state_file("alice"));
        advance_steps(1);
        const auto results = login_together(same_code("alice", code_at(alice), racers));
        expect_one_winner(results, "alice", "user alice authenticated with a TOTP code",
                          "creation trial " + std::to_string(trial));
    }
}

TEST_F(ConcurrencyTest, FortyLoginsWithOneBackupCodeSucceedOnce) {
    const auto alice = enroll("alice");
    for (int trial = 0; trial < 3; ++trial) {
        const std::string& code = alice.backup_codes.at(static_cast<std::size_t>(trial));
        const auto results = login_together(same_code("alice", code, racers));
        expect_one_winner(results, "alice", "user alice authenticated with a backup code",
                          "backup trial " + std::to_string(trial));
    }
}

TEST_F(ConcurrencyTest, DifferentUsersAtOnceAllSucceed) {
    std::vector<KnownEnrollment> enrolled;
    for (const auto& user : sandbox().users()) {
        enrolled.push_back(enroll(user.name));
    }
    for (int trial = 1; trial <= 5; ++trial) {
        advance_steps(1);
        std::vector<LoginRequest> requests;
        for (const auto& known : enrolled) {
            LoginRequest request;
            request.user = known.user;
            request.answers = {code_at(known)};
            requests.push_back(request);
        }
        const auto results = login_together(requests);
        for (std::size_t i = 0; i < results.size(); ++i) {
            EXPECT_EQ(results[i].auth_rc, PAM_SUCCESS)
                << "trial " << trial << ", " << requests[i].user << "\n"
                << results[i].describe();
            EXPECT_TRUE(
                results[i].logged("user " + requests[i].user + " authenticated with a TOTP code"))
                << results[i].describe();
        }
    }
}

TEST_F(ConcurrencyTest, EachOfEightUsersWinsExactlyOnce) {
    std::vector<KnownEnrollment> enrolled;
    for (const auto& user : sandbox().users()) {
        enrolled.push_back(enroll(user.name));
    }
    const std::size_t per_user = racers / enrolled.size();
    for (int trial = 1; trial <= 3; ++trial) {
        advance_steps(1);
        // Interleaved, so that the users' processes start mixed together.
        std::vector<LoginRequest> requests;
        std::vector<std::string> codes;
        for (const auto& known : enrolled) {
            codes.push_back(code_at(known));
        }
        for (std::size_t round = 0; round < per_user; ++round) {
            for (std::size_t u = 0; u < enrolled.size(); ++u) {
                LoginRequest request;
                request.user = enrolled[u].user;
                request.answers = {codes[u]};
                requests.push_back(request);
            }
        }
        const auto results = login_together(requests);
        std::map<std::string, std::vector<LoginResult>> by_user;
        for (std::size_t i = 0; i < results.size(); ++i) {
            by_user[requests[i].user].push_back(results[i]);
        }
        for (const auto& [user, user_results] : by_user) {
            expect_one_winner(user_results, user,
                              "user " + user + " authenticated with a TOTP code",
                              "trial " + std::to_string(trial) + ", " + user);
        }
    }
}

}  // namespace
}  // namespace otpgate::pam_tests
