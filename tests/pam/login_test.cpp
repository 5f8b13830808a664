// The dialogue of one login through real libpam: codes from oathtool at the
// faked time, return codes as the application sees them, and log lines.
#include <security/pam_appl.h>
#include <sys/stat.h>

#include <ctime>

#include "otpgate/core/state/state_store.hpp"
#include "pam_fixture.hpp"

namespace otpgate::pam_tests {
namespace {

using LoginTest = PamTest;

TEST_F(LoginTest, WrappersAreActive) {
    EXPECT_TRUE(pam_wrapper_active());
    EXPECT_TRUE(nss_wrapper_active());
    sandbox().set_time(base_time + 3600);
    EXPECT_EQ(std::time(nullptr), base_time + 3600);
}

TEST_F(LoginTest, CorrectCodeSucceeds) {
    const auto alice = enroll("alice");
    const auto result = login("alice", {code_at(alice)});
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    ASSERT_EQ(result.prompts, std::vector<Prompt>{code_prompt}) << result.describe();
    EXPECT_TRUE(result.logged("user alice authenticated with a TOTP code")) << result.describe();
    EXPECT_FALSE(result.logged("wrong code")) << result.describe();

    // The state file the login created: root's, private, two slots.
    struct stat info {};
    ASSERT_EQ(lstat(sandbox().state_file("alice").c_str(), &info), 0);
    EXPECT_TRUE(S_ISREG(info.st_mode));
    EXPECT_EQ(info.st_uid, 0U);
    EXPECT_EQ(info.st_mode & 07777, 0600U);
    EXPECT_EQ(static_cast<std::size_t>(info.st_size), core::state_file_size);
}

TEST_F(LoginTest, WrongCodeIsDeniedAfterMaxAttemptsPrompts) {
    const auto alice = enroll("alice");
    const std::string wrong = wrong_code(alice);
    const auto result = login("alice", {wrong, wrong, wrong, wrong, wrong});
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    EXPECT_EQ(result.prompts, refused_code_prompts(3)) << result.describe();
    EXPECT_EQ(result.count_logged("wrong code for user alice (6 digits)"), 3U) << result.describe();
    EXPECT_TRUE(result.logged("second factor failed for user alice after 3 attempts"))
        << result.describe();
}

TEST_F(LoginTest, MaxAttemptsFromTheConfigFile) {
    sandbox().write_config("max_attempts = 5");
    const auto alice = enroll("alice");
    const std::string wrong = wrong_code(alice);
    const auto result = login("alice", std::vector<std::string>(7, wrong));
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    EXPECT_EQ(result.prompt_count(), 5U) << result.describe();
    EXPECT_EQ(result.count_logged("wrong code for user alice"), 5U) << result.describe();
}

TEST_F(LoginTest, ModuleArgumentsOverrideTheConfigFile) {
    sandbox().write_config("max_attempts = 5");
    const auto alice = enroll("alice");
    const std::string wrong = wrong_code(alice);
    // The otpgate-args service adds max_attempts=1.
    const auto result = login("alice", {wrong, wrong, wrong}, "otpgate-args");
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    EXPECT_EQ(result.prompt_count(), 1U) << result.describe();
}

TEST_F(LoginTest, SecondAttemptCanSucceed) {
    const auto alice = enroll("alice");
    const auto result = login("alice", {wrong_code(alice), code_at(alice)});
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    EXPECT_EQ(result.prompt_count(), 2U) << result.describe();
    EXPECT_TRUE(result.logged("wrong code for user alice")) << result.describe();
    EXPECT_TRUE(result.logged("user alice authenticated with a TOTP code")) << result.describe();
}

TEST_F(LoginTest, ReplayedCodeIsRefused) {
    // More wrong codes than the lockout allows; lockouts are tested in lockout_test.cpp.
    sandbox().write_config("lockout_failures = 0");
    const auto alice = enroll("alice");
    const std::string code = code_at(alice);
    ASSERT_EQ(login("alice", {code}).auth_rc, PAM_SUCCESS);

    const auto replay = login("alice", {code, code, code});
    EXPECT_EQ(replay.auth_rc, PAM_AUTH_ERR) << replay.describe();
    EXPECT_EQ(replay.prompt_count(), 3U) << replay.describe();
    EXPECT_EQ(replay.count_logged("replayed code for user alice refused"), 3U) << replay.describe();
    EXPECT_FALSE(replay.logged("authenticated")) << replay.describe();

    // A step later the old code is still inside the window, and still spent.
    advance_steps(1);
    const auto later = login("alice", {code, code, code});
    EXPECT_EQ(later.auth_rc, PAM_AUTH_ERR) << later.describe();
    EXPECT_TRUE(later.logged("replayed code for user alice refused")) << later.describe();
    const auto fresh = login("alice", {code_at(alice)});
    EXPECT_EQ(fresh.auth_rc, PAM_SUCCESS) << fresh.describe();
}

TEST_F(LoginTest, PreviousAndNextStepAreAccepted) {
    const auto alice = enroll("alice");
    const auto previous = login("alice", {code_at(alice, -1)});
    EXPECT_EQ(previous.auth_rc, PAM_SUCCESS) << previous.describe();
    const auto next = login("alice", {code_at(alice, +1)});
    EXPECT_EQ(next.auth_rc, PAM_SUCCESS) << next.describe();
    // The current step now lies before the last used one.
    const std::string now = code_at(alice);
    const auto current = login("alice", {now, now, now});
    EXPECT_EQ(current.auth_rc, PAM_AUTH_ERR) << current.describe();
    EXPECT_TRUE(current.logged("replayed code for user alice refused")) << current.describe();
}

TEST_F(LoginTest, TwoStepsAwayAreRefused) {
    // More wrong codes than the lockout allows; lockouts are tested in lockout_test.cpp.
    sandbox().write_config("lockout_failures = 0");
    const auto alice = enroll("alice");
    for (const std::int64_t steps : {-2, +2}) {
        const std::string code = code_at(alice, steps);
        const auto result = login("alice", {code, code, code});
        EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << steps << " steps\n" << result.describe();
        EXPECT_EQ(result.count_logged("wrong code for user alice (6 digits)"), 3U)
            << result.describe();
    }
    // Refused codes spend nothing: the current one still works.
    EXPECT_EQ(login("alice", {code_at(alice)}).auth_rc, PAM_SUCCESS);
}

TEST_F(LoginTest, WiderWindowFromConfig) {
    sandbox().write_config("totp_window = 2");
    const auto alice = enroll("alice");
    const auto result = login("alice", {code_at(alice, -2)});
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
}

TEST_F(LoginTest, Sha256EightDigitSixtySecondEnrollment) {
    const auto alice = enroll("alice", {core::HashAlgorithm::sha256, 8, 60});
    const std::string wrong = wrong_code(alice);
    const auto denied = login("alice", {wrong, wrong, wrong});
    EXPECT_EQ(denied.auth_rc, PAM_AUTH_ERR) << denied.describe();
    EXPECT_EQ(denied.count_logged("wrong code for user alice (8 digits)"), 3U) << denied.describe();
    const auto result = login("alice", {code_at(alice)});
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
}

TEST_F(LoginTest, BackupCodeWorksOnce) {
    const auto alice = enroll("alice");
    const std::string backup = alice.backup_codes.at(0);
    const auto first = login("alice", {backup});
    EXPECT_EQ(first.auth_rc, PAM_SUCCESS) << first.describe();
    EXPECT_TRUE(first.logged("user alice authenticated with a backup code (9 left)"))
        << first.describe();

    const auto second = login("alice", {backup, backup, backup});
    EXPECT_EQ(second.auth_rc, PAM_AUTH_ERR) << second.describe();
    EXPECT_EQ(second.count_logged("replayed code for user alice refused"), 3U) << second.describe();
}

TEST_F(LoginTest, BackupCodeWithDashWorksOnce) {
    // More wrong codes than the lockout allows; lockouts are tested in lockout_test.cpp.
    sandbox().write_config("lockout_failures = 0");
    const auto alice = enroll("alice");
    const std::string plain = alice.backup_codes.at(3);
    const std::string dashed = plain.substr(0, 5) + "-" + plain.substr(5);
    const auto first = login("alice", {dashed});
    EXPECT_EQ(first.auth_rc, PAM_SUCCESS) << first.describe();
    EXPECT_TRUE(first.logged("user alice authenticated with a backup code (9 left)"))
        << first.describe();

    for (const auto& typed : {dashed, plain}) {
        const auto again = login("alice", {typed, typed, typed});
        EXPECT_EQ(again.auth_rc, PAM_AUTH_ERR) << again.describe();
        EXPECT_TRUE(again.logged("replayed code for user alice refused")) << again.describe();
    }
    // Other backup codes and TOTP codes are untouched.
    const auto other = login("alice", {alice.backup_codes.at(4)});
    EXPECT_EQ(other.auth_rc, PAM_SUCCESS) << other.describe();
    EXPECT_TRUE(other.logged("backup code (8 left)")) << other.describe();
    EXPECT_EQ(login("alice", {code_at(alice)}).auth_rc, PAM_SUCCESS);
}

TEST_F(LoginTest, AnotherUsersBackupCodeIsWrong) {
    const auto alice = enroll("alice");
    const auto bob = enroll("bob");
    const std::string code = bob.backup_codes.at(0);
    const auto result = login("alice", {code, code, code});
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    EXPECT_EQ(result.count_logged("wrong code for user alice (10 digits)"), 3U)
        << result.describe();
}

TEST_F(LoginTest, UnusableAnswerIsAnAttempt) {
    const auto alice = enroll("alice");
    const auto result = login("alice", {"abc", "12x456", code_at(alice)});
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    EXPECT_EQ(result.count_logged("unusable answer from user alice"), 2U) << result.describe();
}

TEST_F(LoginTest, UnenrolledUserIsPromptedAndDenied) {
    const auto alice = enroll("alice");
    const std::string code = code_at(alice);
    const auto result = login("bob", {code, code, code, code});
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    EXPECT_EQ(result.prompts, refused_code_prompts(3)) << result.describe();
    EXPECT_TRUE(result.logged("user bob is not enrolled")) << result.describe();
    EXPECT_TRUE(result.logged("second factor failed for user bob after 3 attempts (not enrolled"))
        << result.describe();
}

TEST_F(LoginTest, UnenrolledUserWithNullokIsIgnoredWithoutPrompt) {
    // A stack holding only our module: libpam reports a stack in which every
    // module returned PAM_IGNORE as PAM_PERM_DENIED, which our module never
    // returns itself.
    const auto alone = login("bob", {}, "otpgate-nullok");
    EXPECT_EQ(alone.auth_rc, PAM_PERM_DENIED) << alone.describe();
    EXPECT_TRUE(alone.prompts.empty()) << alone.describe();
    EXPECT_TRUE(alone.logged("user bob is not enrolled; nullok leaves the decision to the stack"))
        << alone.describe();
    EXPECT_TRUE(alone.logged("result for user bob: not applicable")) << alone.describe();

    // [ignore=ignore] then pam_permit: the rest of the stack decides.
    const auto stacked = login("bob", {}, "otpgate-nullok-stack");
    EXPECT_EQ(stacked.auth_rc, PAM_SUCCESS) << stacked.describe();
    EXPECT_TRUE(stacked.prompts.empty()) << stacked.describe();
}

TEST_F(LoginTest, NullokStillAsksEnrolledUsers) {
    const auto alice = enroll("alice");
    const std::string wrong = wrong_code(alice);
    const auto denied = login("alice", {wrong, wrong, wrong}, "otpgate-nullok-stack");
    EXPECT_EQ(denied.auth_rc, PAM_AUTH_ERR) << denied.describe();
    EXPECT_EQ(denied.prompt_count(), 3U) << denied.describe();
    const auto accepted = login("alice", {code_at(alice)}, "otpgate-nullok-stack");
    EXPECT_EQ(accepted.auth_rc, PAM_SUCCESS) << accepted.describe();
}

TEST_F(LoginTest, UnknownUserIsPromptedLikeAnEnrolledUser) {
    const auto alice = enroll("alice");
    const std::string wrong = wrong_code(alice);
    const auto enrolled = login("alice", {wrong, wrong, wrong});
    // Even alice's valid code does not let an unknown name in.
    const std::string code = code_at(alice);
    const auto unknown = login("mallory", {code, code, code});
    EXPECT_EQ(unknown.auth_rc, PAM_AUTH_ERR) << unknown.describe();
    EXPECT_EQ(unknown.prompts, enrolled.prompts) << unknown.describe();
    EXPECT_EQ(enrolled.auth_rc, unknown.auth_rc);
    EXPECT_TRUE(unknown.logged("user mallory does not exist")) << unknown.describe();
    EXPECT_TRUE(unknown.logged("second factor failed for user mallory after 3 attempts"))
        << unknown.describe();
}

TEST_F(LoginTest, UserNameThatCouldEscapeTheStateDirectoryIsRefused) {
    const auto result = login("../alice", {"123456", "123456", "123456"});
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    EXPECT_EQ(result.prompt_count(), 3U) << result.describe();
    EXPECT_TRUE(result.logged("refusing user name")) << result.describe();
}

// The user name and the remote host are the client's word. With `debug`
// (on in the sandbox), a name holding a line break and terminal codes still
// makes exactly one log line per message, the bytes shown as escapes: no
// forged "Accepted password" line, nothing a terminal would act on.
TEST_F(LoginTest, ClientTextCannotForgeLogLines) {
    LoginRequest request;
    request.user = "mallory\nsshd[1]: Accepted password for root\x1b[2J";
    request.rhost = "203.0.113.7\r\nsshd[1]: Accepted publickey for root\x9b";
    request.answers = {"123456", "123456", "123456"};
    const auto result = login(request);
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    const std::string name = "mallory\\nsshd[1]: Accepted password for root\\x1b[2J";
    const std::string rhost = "; rhost=203.0.113.7\\r\\nsshd[1]: Accepted publickey for root\\x9b";
    EXPECT_EQ(result.count_logged("refusing user name '" + name + "'"), 1U) << result.describe();
    EXPECT_EQ(result.count_logged("result for user " + name + ": denied" + rhost), 1U)
        << result.describe();
    const std::string printed = result.printed_text();
    EXPECT_EQ(printed.find_first_of("\x1b\r\x9b"), std::string::npos) << result.describe();
    std::size_t start = 0;
    while (start < printed.size()) {
        EXPECT_NE(printed.compare(start, 6, "sshd[1"), 0) << "a forged line:\n"
                                                          << result.describe();
        start = printed.find('\n', start) + 1;
        if (start == 0) {
            break;
        }
    }
}

TEST_F(LoginTest, FailingConversationIsConvErr) {
    enroll("alice");
    const auto result = login("alice", {});
    EXPECT_EQ(result.auth_rc, PAM_CONV_ERR) << result.describe();
    EXPECT_EQ(result.prompt_count(), 1U) << result.describe();
    EXPECT_TRUE(result.logged("the application could not ask user alice for a code"))
        << result.describe();
}

TEST_F(LoginTest, SetcredSucceeds) {
    const auto alice = enroll("alice");
    LoginRequest request;
    request.user = "alice";
    request.answers = {code_at(alice)};
    request.call_setcred = true;
    const auto accepted = login(request);
    EXPECT_EQ(accepted.auth_rc, PAM_SUCCESS) << accepted.describe();
    EXPECT_EQ(accepted.setcred_rc, PAM_SUCCESS) << accepted.describe();

    // On its own (after a failed pam_authenticate libpam would answer for
    // the whole stack instead): the module grants nothing, refuses nothing.
    request.call_authenticate = false;
    request.answers = {};
    const auto alone = login(request);
    EXPECT_EQ(alone.setcred_rc, PAM_SUCCESS) << alone.describe();
    EXPECT_TRUE(alone.prompts.empty()) << alone.describe();
}

}  // namespace
}  // namespace otpgate::pam_tests
