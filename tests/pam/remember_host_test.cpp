// remember_host through real libpam: after a code from a remote host, that
// user's logins from that host skip the second factor for the period, and
// not after; never for local logins. The acceptance: a remembered
// host skips the code within the period and not after.
#include <security/pam_appl.h>

#include <arpa/inet.h>

#include "otpgate/core/state/state_store.hpp"
#include "policy_fixture.hpp"

namespace otpgate::pam_tests {
namespace {

const std::string laptop = "198.51.100.7";

class RememberHostTest : public PolicyTest {
protected:
    void SetUp() override {
        PolicyTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        sandbox().write_config("remember_host = 3600");
        m_alice = enroll("alice");
    }

    void expect_skipped(const std::string& user, const std::string& rhost) {
        const auto result = login_from(user, {}, rhost);
        EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
        EXPECT_TRUE(result.prompts.empty()) << result.describe();
        EXPECT_TRUE(result.logged("second factor skipped for user " + user +
                                  ": passed from this host within remember_host (3600 s)"))
            << result.describe();
        EXPECT_TRUE(result.logged("result for user " + user + ": not applicable"))
            << result.describe();
    }

    void expect_asked(const std::string& rhost) {
        const auto result = login_from("alice", {wrong_code(m_alice)}, rhost);
        EXPECT_EQ(result.auth_rc, PAM_CONV_ERR) << rhost << "\n" << result.describe();
        EXPECT_EQ(result.prompt_count(), 2U) << result.describe();
    }

    LoginResult log_in(const std::string& rhost) {
        auto result = login_from("alice", {code_at(m_alice)}, rhost);
        EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
        EXPECT_EQ(result.prompt_count(), 1U) << result.describe();
        return result;
    }

    KnownEnrollment m_alice;
};

TEST_F(RememberHostTest, RememberedHostSkipsWithinThePeriodAndNotAfter) {
    log_in(laptop);
    advance_steps(2);
    expect_skipped("alice", laptop);
    advance_steps(3600 / 30 - 3);  // 30 s before the hour is up
    expect_skipped("alice", laptop);
    advance_steps(1);  // an hour after the code
    expect_asked(laptop);
}

TEST_F(RememberHostTest, SkippingDoesNotExtendThePeriod) {
    log_in(laptop);
    for (int i = 0; i < 3; ++i) {
        advance_steps(30);
        expect_skipped("alice", laptop);
    }
    advance_steps(30);
    expect_asked(laptop);
}

TEST_F(RememberHostTest, OnlyThatHostAndThatUser) {
    const auto bob = enroll("bob");
    log_in(laptop);
    advance_steps(1);
    expect_asked("198.51.100.8");
    const auto other_user = login_from("bob", {code_at(bob)}, laptop);
    EXPECT_EQ(other_user.prompt_count(), 1U) << other_user.describe();
    EXPECT_EQ(other_user.auth_rc, PAM_SUCCESS) << other_user.describe();
}

TEST_F(RememberHostTest, NeverForLocalLogins) {
    log_in("");
    advance_steps(1);
    expect_asked("");
    expect_asked(laptop);
}

TEST_F(RememberHostTest, AMappedAddressIsTheSameHost) {
    log_in("::ffff:" + laptop);
    advance_steps(1);
    expect_skipped("alice", laptop);
}

TEST_F(RememberHostTest, ANewEnrollmentRemembersNoHostOfTheOldOne) {
    // After a lost phone and a new enrollment, a host that passed with the
    // old factor (perhaps the thief's) must pass with the new one.
    log_in(laptop);
    advance_steps(1);
    expect_skipped("alice", laptop);
    m_alice = enroll("alice");
    advance_steps(1);
    expect_asked(laptop);
    log_in(laptop);
    advance_steps(1);
    expect_skipped("alice", laptop);
}

TEST_F(RememberHostTest, FailedLoginsRememberNothing) {
    expect_asked(laptop);
    expect_asked(laptop);
}

TEST_F(RememberHostTest, OffByDefault) {
    sandbox().write_config();
    log_in(laptop);
    advance_steps(1);
    expect_asked(laptop);
}

TEST_F(RememberHostTest, TurningItOffStopsSkipping) {
    log_in(laptop);
    sandbox().write_config("remember_host = 0");
    advance_steps(1);
    expect_asked(laptop);
}

TEST_F(RememberHostTest, TheStateHoldsATagNotTheAddress) {
    log_in(laptop);
    const std::string state = read_file(sandbox().state_file("alice"));
    EXPECT_EQ(state.find(laptop), std::string::npos);
    in_addr raw{};
    ASSERT_EQ(inet_pton(AF_INET, laptop.c_str(), &raw), 1);
    EXPECT_EQ(state.find(std::string(reinterpret_cast<const char*>(&raw), 4)), std::string::npos);
    auto locked = core::StateStore(sandbox().state_dir()).lock("alice");
    ASSERT_TRUE(locked.ok());
    ASSERT_EQ(locked.value().state().remembered_hosts.size(), 1U);
    EXPECT_EQ(locked.value().state().last_success, sandbox().time());
    // The key that makes tags unguessable is root's alone.
    struct stat key {};
    ASSERT_EQ(stat((sandbox().state_dir() / ".host-key").c_str(), &key), 0);
    EXPECT_EQ(key.st_mode & 0777, 0600U);
    EXPECT_EQ(key.st_uid, 0U);
}

TEST_F(RememberHostTest, ALockedUserOnARememberedHostStillGetsIn) {
    // The lock stops guessing codes; a remembered host asks for none.
    log_in(laptop);
    advance_steps(1);
    const std::string wrong = wrong_code(m_alice);
    EXPECT_EQ(login_from("alice", {wrong, wrong, wrong}, "203.0.113.66").auth_rc, PAM_AUTH_ERR);
    EXPECT_EQ(login_from("alice", {wrong, wrong, wrong}, "203.0.113.66").auth_rc, PAM_AUTH_ERR);
    expect_skipped("alice", laptop);
}

}  // namespace
}  // namespace otpgate::pam_tests
