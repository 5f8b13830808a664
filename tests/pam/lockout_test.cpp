// Lockout through real libpam (defaults: 5 wrong codes within 300 s lock
// the second factor for 900 s), the clock stepped with libfaketime. The
// issue's acceptance: after the configured number of wrong codes a correct
// code is refused until the lock expires (here) or root unlocks
// (test_policy_commands.py).
#include <security/pam_appl.h>

#include "policy_fixture.hpp"

namespace otpgate::pam_tests {
namespace {

constexpr std::int64_t lock_steps = 900 / 30;

class LockoutTest : public PolicyTest {
protected:
    void SetUp() override {
        PolicyTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        m_alice = enroll("alice");
    }

    std::vector<std::string> wrong(std::size_t count) {
        return std::vector<std::string>(count, wrong_code(m_alice));
    }

    // Five wrong codes: three in one login, two in the next.
    void lock_alice(const std::string& rhost = {}) {
        EXPECT_EQ(login_from("alice", wrong(3), rhost, "policy").auth_rc, PAM_AUTH_ERR);
        const auto fifth = login_from("alice", wrong(2), rhost, "policy");
        EXPECT_EQ(fifth.auth_rc, PAM_CONV_ERR) << fifth.describe();  // no third answer
        EXPECT_TRUE(
            fifth.logged("second factor of user alice locked for 900 s after 5 wrong "
                         "codes within 300 s"))
            << fifth.describe();
    }

    void expect_refused_while_locked(const std::string& code) {
        const auto result = login("alice", {code, code, code}, "policy");
        EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
        // Asked like anyone else: the dialogue does not tell a lock apart.
        EXPECT_EQ(result.prompts, refused_code_prompts(3)) << result.describe();
        EXPECT_TRUE(result.logged("is locked for")) << result.describe();
        EXPECT_TRUE(result.logged("not checked: the second factor is locked")) << result.describe();
        EXPECT_FALSE(result.logged("authenticated")) << result.describe();
    }

    KnownEnrollment m_alice;
};

TEST_F(LockoutTest, AfterFiveWrongCodesACorrectCodeIsRefusedUntilTheLockExpires) {
    EXPECT_EQ(login("alice", wrong(3), "policy").auth_rc, PAM_AUTH_ERR);
    // The fifth wrong code locks; the right code typed next is refused.
    const auto locking =
        login("alice", {wrong_code(m_alice), wrong_code(m_alice), code_at(m_alice)}, "policy");
    EXPECT_EQ(locking.auth_rc, PAM_AUTH_ERR) << locking.describe();
    EXPECT_TRUE(locking.logged("locked for 900 s after 5 wrong codes")) << locking.describe();
    EXPECT_TRUE(locking.logged("code of user alice not checked: the second factor is locked"))
        << locking.describe();

    expect_refused_while_locked(code_at(m_alice));
    advance_steps(lock_steps - 1);  // 30 s before the end
    expect_refused_while_locked(code_at(m_alice));
    advance_steps(1);  // 900 s after the lock began
    const auto after = login("alice", {code_at(m_alice)}, "policy");
    EXPECT_EQ(after.auth_rc, PAM_SUCCESS) << after.describe();
}

TEST_F(LockoutTest, BackupCodesAreRefusedDuringALockToo) {
    lock_alice();
    expect_refused_while_locked(m_alice.backup_codes.at(0));
    advance_steps(lock_steps);
    EXPECT_EQ(login("alice", {m_alice.backup_codes.at(0)}, "policy").auth_rc, PAM_SUCCESS);
}

TEST_F(LockoutTest, AttemptsDuringALockNeitherCountNorExtendIt) {
    lock_alice();
    for (int round = 0; round < 5; ++round) {
        advance_steps(5);
        EXPECT_EQ(login("alice", wrong(3), "policy").auth_rc, PAM_AUTH_ERR);
    }
    advance_steps(lock_steps - 25);  // exactly when the lock ends
    // Fifteen wrong codes were typed during the lock: none was counted, so
    // the full five tries are back.
    const auto result =
        login("alice", {wrong_code(m_alice), wrong_code(m_alice), code_at(m_alice)}, "policy");
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
}

TEST_F(LockoutTest, FailuresOutsideTheWindowDoNotAddUp) {
    EXPECT_EQ(login("alice", wrong(3), "policy").auth_rc, PAM_AUTH_ERR);
    advance_steps(11);  // 330 s: the three leave the 300-second window
    EXPECT_EQ(login("alice", wrong(3), "policy").auth_rc, PAM_AUTH_ERR);
    const auto result = login("alice", {wrong_code(m_alice), code_at(m_alice)}, "policy");
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
}

TEST_F(LockoutTest, ASuccessStartsTheCountOver) {
    EXPECT_EQ(login("alice", wrong(3), "policy").auth_rc, PAM_AUTH_ERR);
    EXPECT_EQ(login("alice", {wrong_code(m_alice), code_at(m_alice)}, "policy").auth_rc,
              PAM_SUCCESS);
    advance_steps(1);
    EXPECT_EQ(login("alice", wrong(3), "policy").auth_rc, PAM_AUTH_ERR);
    const auto result = login("alice", {code_at(m_alice)}, "policy");
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
}

TEST_F(LockoutTest, TheLockIsLoggedWithTheRemoteHost) {
    lock_alice("203.0.113.5");
    const auto result = login_from("alice", {code_at(m_alice), code_at(m_alice), code_at(m_alice)},
                                   "203.0.113.5", "policy");
    EXPECT_TRUE(
        result.logged("code of user alice not checked: the second factor is locked for 900 "
                      "more s; rhost=203.0.113.5"))
        << result.describe();
}

TEST_F(LockoutTest, OtherUsersAreNotLocked) {
    const auto bob = enroll("bob");
    lock_alice();
    EXPECT_EQ(login("bob", {code_at(bob)}, "policy").auth_rc, PAM_SUCCESS);
}

TEST_F(LockoutTest, ThresholdAndDurationFromTheConfig) {
    sandbox().write_config("lockout_failures = 2\nlockout_duration = 60\nlockout_window = 30");
    const auto locking = login("alice", wrong(3), "policy");
    EXPECT_TRUE(locking.logged("locked for 60 s after 2 wrong codes within 30 s"))
        << locking.describe();
    expect_refused_while_locked(code_at(m_alice));
    advance_steps(2);
    EXPECT_EQ(login("alice", {code_at(m_alice)}, "policy").auth_rc, PAM_SUCCESS);
}

TEST_F(LockoutTest, ZeroFailuresTurnsTheLockoutOff) {
    sandbox().write_config("lockout_failures = 0");
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(login("alice", wrong(3), "policy").auth_rc, PAM_AUTH_ERR);
    }
    const auto result = login("alice", {code_at(m_alice)}, "policy");
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    EXPECT_FALSE(result.logged("locked")) << result.describe();
}

TEST_F(LockoutTest, ReplayedCodesCountAsWrongCodes) {
    const std::string code = code_at(m_alice);
    ASSERT_EQ(login("alice", {code}, "policy").auth_rc, PAM_SUCCESS);
    EXPECT_EQ(login("alice", {code, code, code}, "policy").auth_rc, PAM_AUTH_ERR);
    const auto result = login("alice", {code, code, code}, "policy");
    EXPECT_TRUE(result.logged("locked for 900 s after 5 wrong codes")) << result.describe();
}

}  // namespace
}  // namespace otpgate::pam_tests
