// [service NAME] sections through real libpam: the module passes
// PAM_SERVICE to the core, so one file configures sudo apart from the rest.
#include <security/pam_appl.h>

#include "policy_fixture.hpp"

namespace otpgate::pam_tests {
namespace {

using ServiceSectionTest = PolicyTest;

TEST_F(ServiceSectionTest, ASectionAppliesOnlyToItsService) {
    write_groups({"admins:x:3000:bob"});
    sandbox().write_config(
        "max_attempts = 2\n"
        "[service policy-sudo other-service]\n"
        "enforce = groups\n"
        "groups = admins\n"
        "max_attempts = 1\n");
    // alice is no admin and not enrolled: sudo lets her through (PAM_IGNORE)...
    const auto sudo = login("alice", {}, "policy-sudo");
    EXPECT_TRUE(sudo.prompts.empty()) << sudo.describe();
    EXPECT_TRUE(sudo.logged("result for user alice: not applicable")) << sudo.describe();
    // ...while every other service asks her, with the global max_attempts.
    const auto other = login("alice", {"1", "2"}, "policy");
    EXPECT_EQ(other.auth_rc, PAM_AUTH_ERR) << other.describe();
    EXPECT_EQ(other.prompt_count(), 2U) << other.describe();
    // And bob, an admin, gets the section's max_attempts under sudo.
    const auto bob = login("bob", {"1"}, "policy-sudo");
    EXPECT_EQ(bob.auth_rc, PAM_AUTH_ERR) << bob.describe();
    EXPECT_EQ(bob.prompt_count(), 1U) << bob.describe();
}

TEST_F(ServiceSectionTest, AMistakeInAnotherServicesSectionStillFailsClosed) {
    sandbox().write_config("[service elsewhere]\nmax_attempts = lots\n");
    const auto result = login("alice", {}, "policy");
    EXPECT_EQ(result.auth_rc, PAM_SERVICE_ERR) << result.describe();
    EXPECT_TRUE(result.logged(":7: bad value for max_attempts")) << result.describe();
}

TEST_F(ServiceSectionTest, WhereStateLivesCannotChangePerService) {
    sandbox().write_config("[service policy]\nstate_dir = /tmp/elsewhere\n");
    const auto result = login("alice", {}, "policy");
    EXPECT_EQ(result.auth_rc, PAM_SERVICE_ERR) << result.describe();
    EXPECT_TRUE(result.logged("state_dir cannot be set for a service")) << result.describe();
}

}  // namespace
}  // namespace otpgate::pam_tests
