// enforce = all | groups | enrolled, through real libpam: users outside the
// policy pass with PAM_IGNORE (never PAM_SUCCESS) and no prompt; members
// and enrolled users are asked. The acceptance: a user outside the
// enforced group passes `auth required pam_unix.so` + `auth required
// pam_otpgate.so` without a code prompt, a member is prompted.
#include <security/pam_appl.h>

#include "policy_fixture.hpp"

namespace otpgate::pam_tests {
namespace {

const std::string password(test_password);

class EnforceTest : public PolicyTest {
protected:
    void SetUp() override {
        PolicyTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        // bob is an admin by a supplementary group, carol too but also a
        // contractor; dave's primary group is admins (GID 3000).
        write_groups({"admins:x:3000:bob,carol", "contractors:x:3001:carol,erin"});
        set_primary_group("dave", 3000);
    }

    static std::vector<Prompt> password_then_code() { return {password_prompt, code_prompt}; }
};

TEST_F(EnforceTest, OutsiderPassesPasswordAndModuleWithoutACodePrompt) {
    sandbox().write_config("enforce = groups\ngroups = admins");
    const auto result = login("alice", {password}, "policy-unix");
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    EXPECT_EQ(result.prompts, std::vector<Prompt>{password_prompt}) << result.describe();
    EXPECT_TRUE(result.logged("user alice is not enrolled and outside enforce"))
        << result.describe();
    EXPECT_TRUE(result.logged("result for user alice: not applicable")) << result.describe();
}

TEST_F(EnforceTest, OutsiderWithAWrongPasswordIsStillRefused) {
    sandbox().write_config("enforce = groups\ngroups = admins");
    const auto result = login("alice", {"wrong horse"}, "policy-unix");
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
}

TEST_F(EnforceTest, MemberIsPromptedForACodeAfterThePassword) {
    sandbox().write_config("enforce = groups\ngroups = admins");
    const auto bob = enroll("bob");
    const auto result = login("bob", {password, code_at(bob)}, "policy-unix");
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    EXPECT_EQ(result.prompts, password_then_code()) << result.describe();
}

TEST_F(EnforceTest, UnenrolledMemberIsPromptedAndRefused) {
    sandbox().write_config("enforce = groups\ngroups = admins");
    const auto result = login("bob", {password, "123456", "123456", "123456"}, "policy-unix");
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    EXPECT_EQ(result.prompt_count(), 4U) << result.describe();
}

TEST_F(EnforceTest, PrimaryGroupByNumberCounts) {
    sandbox().write_config("enforce = groups\ngroups = 3000");
    const auto result = login("dave", {password, "123456", "123456", "123456"}, "policy-unix");
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    EXPECT_EQ(result.prompt_count(), 4U) << result.describe();
}

TEST_F(EnforceTest, ExcludedGroupWinsOverAListedOne) {
    sandbox().write_config("enforce = groups\ngroups = admins !contractors");
    const auto carol = login("carol", {password}, "policy-unix");
    EXPECT_EQ(carol.auth_rc, PAM_SUCCESS) << carol.describe();
    EXPECT_EQ(carol.prompt_count(), 1U) << carol.describe();
    const auto bob = login("bob", {password, "123456", "123456", "123456"}, "policy-unix");
    EXPECT_EQ(bob.auth_rc, PAM_AUTH_ERR) << bob.describe();
}

TEST_F(EnforceTest, OnlyExclusionsEnforceEveryoneElse) {
    sandbox().write_config("enforce = groups\ngroups = !contractors");
    EXPECT_EQ(login("erin", {password}, "policy-unix").auth_rc, PAM_SUCCESS);
    EXPECT_EQ(login("frank", {password, "1", "1", "1"}, "policy-unix").auth_rc, PAM_AUTH_ERR);
}

TEST_F(EnforceTest, EnrolledOutsiderIsStillAsked) {
    sandbox().write_config("enforce = groups\ngroups = admins");
    const auto alice = enroll("alice");
    const auto wrong =
        login("alice", {password, wrong_code(alice), wrong_code(alice), wrong_code(alice)},
              "policy-unix");
    EXPECT_EQ(wrong.auth_rc, PAM_AUTH_ERR) << wrong.describe();
    const auto right = login("alice", {password, code_at(alice)}, "policy-unix");
    EXPECT_EQ(right.auth_rc, PAM_SUCCESS) << right.describe();
    EXPECT_EQ(right.prompts, password_then_code()) << right.describe();
}

TEST_F(EnforceTest, OutsideThePolicyIsIgnoreNeverSuccess) {
    // The module alone in the stack: its PAM_IGNORE leaves libpam without a
    // verdict, which is a failure, never a success.
    sandbox().write_config("enforce = groups\ngroups = admins");
    const auto result = login("alice", {}, "policy");
    EXPECT_NE(result.auth_rc, PAM_SUCCESS) << result.describe();
    EXPECT_TRUE(result.prompts.empty()) << result.describe();
    EXPECT_TRUE(result.logged("result for user alice: not applicable")) << result.describe();
}

TEST_F(EnforceTest, UnknownUserIsOutsideTheGroups) {
    sandbox().write_config("enforce = groups\ngroups = admins");
    const auto result = login("nobody-here", {}, "policy-key");
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();  // pam_permit decided
    EXPECT_TRUE(result.prompts.empty()) << result.describe();
}

TEST_F(EnforceTest, UnknownGroupMatchesNobodyAndIsLogged) {
    sandbox().write_config("enforce = groups\ngroups = no-such-group");
    const auto result = login("alice", {password}, "policy-unix");
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    EXPECT_TRUE(result.logged("there is no group 'no-such-group'")) << result.describe();
}

TEST_F(EnforceTest, EnforceEnrolledAsksOnlyEnrolledUsers) {
    sandbox().write_config("enforce = enrolled");
    const auto alice = enroll("alice");
    EXPECT_EQ(login("bob", {password}, "policy-unix").auth_rc, PAM_SUCCESS);
    const auto asked = login("alice", {password, code_at(alice)}, "policy-unix");
    EXPECT_EQ(asked.auth_rc, PAM_SUCCESS) << asked.describe();
    EXPECT_EQ(asked.prompts, password_then_code()) << asked.describe();
}

TEST_F(EnforceTest, EnforceAllAsksEveryoneAsBefore) {
    const auto result = login("bob", {password, "123456", "123456", "123456"}, "policy-unix");
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    EXPECT_EQ(result.prompt_count(), 4U) << result.describe();
}

TEST_F(EnforceTest, NullokLetsUnenrolledMembersPassToo) {
    sandbox().write_config("enforce = groups\ngroups = admins\nnullok = yes");
    const auto result = login("bob", {password}, "policy-unix");
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    EXPECT_EQ(result.prompt_count(), 1U) << result.describe();
}

}  // namespace
}  // namespace otpgate::pam_tests
