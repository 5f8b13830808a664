// exempt_networks through real libpam, with PAM_RHOST set as sshd sets it.
// The stack starts with pam_permit (the key of an sshd login), so a skipped
// second factor (PAM_IGNORE) lets the login through and a refused one not.
#include <security/pam_appl.h>

#include "policy_fixture.hpp"

namespace otpgate::pam_tests {
namespace {

class ExemptNetworkTest : public PolicyTest {
protected:
    void SetUp() override {
        PolicyTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        m_alice = enroll("alice");
    }

    void expect_skipped(const std::string& rhost) {
        const auto result = login_from("alice", {}, rhost);
        EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << rhost << "\n" << result.describe();
        EXPECT_TRUE(result.prompts.empty()) << rhost << "\n" << result.describe();
        EXPECT_TRUE(
            result.logged("second factor skipped for user alice: the remote host is in "
                          "exempt_networks"))
            << result.describe();
        EXPECT_TRUE(result.logged("result for user alice: not applicable")) << result.describe();
    }

    void expect_asked(const std::string& rhost) {
        const auto result = login_from(
            "alice", {wrong_code(m_alice), wrong_code(m_alice), wrong_code(m_alice)}, rhost);
        EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << rhost << "\n" << result.describe();
        EXPECT_EQ(result.prompt_count(), 3U) << result.describe();
    }

    KnownEnrollment m_alice;
};

TEST_F(ExemptNetworkTest, IPv4NetworkSkipsTheSecondFactor) {
    sandbox().write_config("exempt_networks = 10.0.0.0/8 192.168.1.0/24\nlockout_failures = 0");
    expect_skipped("10.20.30.40");
    expect_skipped("192.168.1.254");
    expect_asked("192.168.2.1");
    expect_asked("11.0.0.1");
}

TEST_F(ExemptNetworkTest, IPv6NetworkAndIPv4MappedAddresses) {
    sandbox().write_config(
        "exempt_networks = 2001:db8:1::/48, 10.0.0.0/8 fe80::/10\nlockout_failures = 0");
    expect_skipped("2001:db8:1:ffff::7");
    expect_skipped("::ffff:10.1.2.3");  // a dual-stack sshd's view of 10.1.2.3
    expect_skipped("fe80::1%eth0");     // the zone names the link, not the host
}

TEST_F(ExemptNetworkTest, LinkLocalNeedsItsOwnNetwork) {
    sandbox().write_config("exempt_networks = 2001:db8:1::/48\nlockout_failures = 0");
    expect_asked("2001:db8:2::1");
    expect_asked("fe80::1%eth0");
}

TEST_F(ExemptNetworkTest, LocalLoginsAreNeverExempt) {
    sandbox().write_config("exempt_networks = 0.0.0.0/0 ::/0\nlockout_failures = 0");
    expect_asked("");
    expect_skipped("203.0.113.9");
}

TEST_F(ExemptNetworkTest, HostNamesAreNotResolvedUnlessConfigured) {
    // The names come from the hosts file in NSS_WRAPPER_HOSTS (CMakeLists.txt).
    sandbox().write_config("exempt_networks = 10.0.0.0/8\nlockout_failures = 0");
    expect_asked("build.example.test");

    sandbox().write_config(
        "exempt_networks = 10.0.0.0/8\nexempt_networks_resolve = yes\nlockout_failures = 0");
    expect_skipped("build.example.test");
    // A name with any address outside the networks is not exempt.
    expect_asked("split.example.test");
    expect_asked("unknown.example.test");
}

TEST_F(ExemptNetworkTest, UnenrolledUsersAreSkippedToo) {
    sandbox().write_config("exempt_networks = 10.0.0.0/8");
    const auto result = login_from("bob", {}, "10.0.0.1", "policy");
    EXPECT_NE(result.auth_rc, PAM_SUCCESS) << result.describe();  // the module alone: no verdict
    EXPECT_TRUE(result.prompts.empty()) << result.describe();
    EXPECT_TRUE(result.logged("result for user bob: not applicable")) << result.describe();
}

TEST_F(ExemptNetworkTest, BadNetworkFailsClosed) {
    sandbox().write_config("exempt_networks = 10.0.0.1/8");
    const auto result = login_from("alice", {}, "10.0.0.1");
    EXPECT_EQ(result.auth_rc, PAM_SERVICE_ERR) << result.describe();
    EXPECT_TRUE(result.logged("did you mean 10.0.0.0/8?")) << result.describe();
}

}  // namespace
}  // namespace otpgate::pam_tests
