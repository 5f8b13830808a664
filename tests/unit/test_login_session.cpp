// run_login without PAM: a scripted conversation, a fake clock, real files
// in a temporary directory, and the account running the tests (root in CI,
// so no identity switch happens).
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "otpgate/core/enrollment/enrollment_store.hpp"
#include "otpgate/core/login/login_session.hpp"
#include "otpgate/core/primitives/base32.hpp"
#include "otpgate/core/primitives/hex.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "otpgate/core/system/user_account.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

using namespace std::chrono_literals;

// RFC 6238 Appendix B: SHA256, 32-byte seed, 8 digits, at T = 1234567890.
constexpr std::int64_t login_time = 1234567890;
const std::string seed = "12345678901234567890123456789012";

std::string rfc6238_code(std::int64_t time, std::string_view algorithm) {
    for (const auto& row : test::read_table("rfc6238_totp.txt")) {
        if (std::stoll(row[0]) == time && row[2] == algorithm) {
            return row[3];
        }
    }
    ADD_FAILURE() << "no RFC 6238 vector for " << time << " " << algorithm;
    return {};
}

class RunLogin : public ::testing::Test {
protected:
    test::TempDir dir;
    UserAccount account;
    Config config;
    CapturingLogger logger;
    test::FakeClock clock{login_time};
    Enrollment enrollment;
    std::string code;                  // valid at login_time
    std::vector<std::string> backups;  // plain backup codes
    std::vector<std::string> typed;    // every answer given, for the log check

    void SetUp() override {
        account = test::running_account();
        config = test::login_config_in(dir);
        config.max_attempts = 3;
        config.fail_delay_ms = 1500;
        config.debug = true;
        logger.set_debug(true);  // the most the module would ever log

        code = rfc6238_code(login_time, "SHA256");
        enrollment.id = "0123456789abcdef0123456789abcdef";
        enrollment.created = login_time - 1000;
        enrollment.totp_secret = test::bytes_of(seed);
        enrollment.totp = TotpParameters{HashAlgorithm::sha256, 8, 30};
        OpenSslRandom random;
        auto made = make_backup_codes(random, 2, 10, config.backup_code_iterations);
        enrollment.backup = made.stored;
        for (const auto& c : made.codes) {
            backups.push_back(test::text_of(c));
        }
    }

    void TearDown() override { expect_no_secrets_logged(); }

    void enroll() {
        ASSERT_TRUE(EnrollmentStore(config.enrollment_path).save(account, enrollment).ok());
    }
    std::filesystem::path enrollment_file() const { return dir / (account.name + ".enrollment"); }

    LoginOutcome login(test::ScriptedConversation& conversation, const std::string& user = {}) {
        return run_login(user.empty() ? account.name : user, config, conversation, logger, clock);
    }
    test::ScriptedConversation answers(std::vector<std::optional<std::string>> list) {
        for (const auto& answer : list) {
            if (answer) {
                typed.push_back(*answer);
            }
        }
        return test::ScriptedConversation(std::move(list));
    }

    // Codes, typed answers and the secret in any spelling must never reach a log.
    void expect_no_secrets_logged() const {
        std::vector<std::string> secrets = {
            code, seed, test::text_of(base32_encode(enrollment.totp_secret)),
            hex_encode(enrollment.totp_secret.data(), enrollment.totp_secret.size())};
        for (const auto& backup : backups) {
            secrets.push_back(backup);
            secrets.push_back(format_backup_code(backup));
        }
        for (const auto& answer : typed) {
            if (answer.size() >= 4) {
                secrets.push_back(answer);
            }
        }
        for (const auto& line : logger.lines()) {
            for (const auto& secret : secrets) {
                EXPECT_EQ(line.message.find(secret), std::string::npos)
                    << "log line reveals '" << secret << "': " << line.message;
            }
        }
    }
    std::size_t sleeps_of(std::chrono::milliseconds each, std::size_t count) const {
        EXPECT_EQ(clock.sleeps().size(), count);
        for (const auto sleep : clock.sleeps()) {
            EXPECT_EQ(sleep, each);
        }
        return clock.sleeps().size();
    }
    std::optional<std::int64_t> recorded_step() const {
        auto locked = StateStore(config.state_dir).lock(account.name);
        EXPECT_TRUE(locked.ok());
        return locked.ok() ? locked->state().last_totp_step : std::nullopt;
    }
};

TEST_F(RunLogin, CorrectCodeSucceeds) {
    enroll();
    auto conversation = answers({code.substr(0, 4) + " " + code.substr(4)});
    EXPECT_EQ(login(conversation), LoginOutcome::success);
    EXPECT_EQ(conversation.prompts(), std::vector<std::string>{config.prompt});
    sleeps_of(1500ms, 0);
    EXPECT_EQ(recorded_step(), std::optional<std::int64_t>(login_time / 30));
    EXPECT_TRUE(logger.contains("authenticated with a TOTP code"));
}

TEST_F(RunLogin, WrongCodesAreDeniedWithDelaysBetweenAttempts) {
    enroll();
    auto conversation = answers({"31415926", "27182818", "16180339"});
    EXPECT_EQ(login(conversation), LoginOutcome::denied);
    EXPECT_EQ(conversation.prompts().size(), 3u);
    sleeps_of(1500ms, 2);
    EXPECT_TRUE(logger.contains("wrong code"));
    EXPECT_TRUE(logger.contains("after 3 attempts"));
    EXPECT_FALSE(recorded_step().has_value());
}

// The same words as the SMS and email dialogue: each refused answer says
// so in the next prompt, the last try carries the help line, and the help
// line follows the last refusal. An unknown user hears exactly the same.
TEST_F(RunLogin, WrongCodesSayWhyAndTheLastTryCarriesTheHelpLine) {
    config.help_text = "No code? Call the service desk.";
    const std::vector<std::string> expected = {
        config.prompt, "Wrong code. " + config.prompt,
        "Wrong code. Last try. " + config.help_text + " " + config.prompt};
    enroll();
    for (const std::string& user : {account.name, std::string("nosuchuser")}) {
        test::ScriptedConversation conversation({"31415926", "27182818", "16180339"});
        EXPECT_EQ(run_login(user, config, conversation, logger, clock), LoginOutcome::denied);
        EXPECT_EQ(conversation.prompts(), expected) << user;
        EXPECT_EQ(conversation.errors(), std::vector<std::string>{config.help_text}) << user;
    }
}

TEST_F(RunLogin, AReplayedCodeReadsLikeAWrongOne) {
    enroll();
    auto first = answers({code});
    ASSERT_EQ(login(first), LoginOutcome::success);
    auto again = answers({code, "31415926", "27182818"});
    EXPECT_EQ(login(again), LoginOutcome::denied);
    ASSERT_GE(again.prompts().size(), 2u);
    EXPECT_EQ(again.prompts()[1], "Wrong code. " + config.prompt);
}

TEST_F(RunLogin, WrongThenRight) {
    enroll();
    auto conversation = answers({"31415926", code});
    EXPECT_EQ(login(conversation), LoginOutcome::success);
    EXPECT_EQ(conversation.prompts().size(), 2u);
    sleeps_of(1500ms, 1);
}

TEST_F(RunLogin, ReplayedCodeIsDenied) {
    enroll();
    auto first = answers({code});
    ASSERT_EQ(login(first), LoginOutcome::success);
    clock.set(login_time + 20);  // later, still within the window
    auto second = answers({code, code, code});
    EXPECT_EQ(login(second), LoginOutcome::denied);
    EXPECT_TRUE(logger.contains("replayed"));
    sleeps_of(1500ms, 2);
}

TEST_F(RunLogin, BackupCodeWorksOnce) {
    enroll();
    auto first = answers({format_backup_code(backups[1])});
    EXPECT_EQ(login(first), LoginOutcome::success);
    EXPECT_TRUE(logger.contains("backup code (1 left)"));
    auto second = answers({backups[1], std::nullopt});
    EXPECT_EQ(login(second), LoginOutcome::conversation_failed);
    EXPECT_TRUE(logger.contains("replayed"));
}

TEST_F(RunLogin, NotEnrolledIsPromptedAndDenied) {
    auto conversation = answers({code, code, code});
    EXPECT_EQ(login(conversation), LoginOutcome::denied);
    EXPECT_EQ(conversation.prompts().size(), 3u);
    sleeps_of(1500ms, 2);
    EXPECT_TRUE(logger.contains("not enrolled"));
}

TEST_F(RunLogin, NotEnrolledWithNullokIsNotApplicable) {
    config.nullok = true;
    auto conversation = answers({code});
    EXPECT_EQ(login(conversation), LoginOutcome::not_applicable);
    EXPECT_TRUE(conversation.prompts().empty());
    sleeps_of(1500ms, 0);
}

TEST_F(RunLogin, NullokDoesNotExemptEnrolledUsers) {
    config.nullok = true;
    enroll();
    auto conversation = answers({"31415926", "27182818", "16180339"});
    EXPECT_EQ(login(conversation), LoginOutcome::denied);
}

TEST_F(RunLogin, UnknownUserIsLikeNotEnrolled) {
    auto conversation = answers({code, code, code});
    EXPECT_EQ(login(conversation, "otpgate-no-such-user"), LoginOutcome::denied);
    EXPECT_EQ(conversation.prompts().size(), 3u);
    config.nullok = true;
    auto with_nullok = answers({code});
    EXPECT_EQ(login(with_nullok, "otpgate-no-such-user"), LoginOutcome::not_applicable);
}

TEST_F(RunLogin, InvalidUserNameIsPromptedAndDenied) {
    config.nullok = true;  // must not let a bad name through
    auto conversation = answers({code, code, code});
    EXPECT_EQ(login(conversation, "../" + account.name), LoginOutcome::denied);
    EXPECT_EQ(conversation.prompts().size(), 3u);
    EXPECT_TRUE(logger.contains("refusing user name"));
}

TEST_F(RunLogin, ConversationFailure) {
    enroll();
    auto at_once = answers({std::nullopt});
    EXPECT_EQ(login(at_once), LoginOutcome::conversation_failed);
    sleeps_of(1500ms, 0);
    auto after_a_wrong_code = answers({"31415926", std::nullopt});
    EXPECT_EQ(login(after_a_wrong_code), LoginOutcome::conversation_failed);
    EXPECT_EQ(after_a_wrong_code.prompts().size(), 2u);
}

TEST_F(RunLogin, UnusableAnswersCountAsAttempts) {
    enroll();
    auto conversation = answers({"hello", "", code});
    EXPECT_EQ(login(conversation), LoginOutcome::success);
    EXPECT_TRUE(logger.contains("unusable answer"));
    sleeps_of(1500ms, 2);
}

TEST_F(RunLogin, CorruptEnrollmentIsDeniedAndTheReasonLogged) {
    test::write_file(enrollment_file(), "version = 1\nid = nonsense\n", 0600);
    auto conversation = answers({code, code, code});
    EXPECT_EQ(login(conversation), LoginOutcome::denied);
    EXPECT_EQ(conversation.prompts().size(), 3u);
    EXPECT_TRUE(logger.contains("refusing enrollment"));
    EXPECT_TRUE(logger.contains("missing"));
    config.nullok = true;  // a broken file is not "not enrolled"
    auto with_nullok = answers({code, code, code});
    EXPECT_EQ(login(with_nullok), LoginOutcome::denied);
}

TEST_F(RunLogin, UnsafeEnrollmentIsDeniedAndTheReasonLogged) {
    enroll();
    ASSERT_EQ(::chmod(enrollment_file().c_str(), 0644), 0);
    auto conversation = answers({code, code, code});
    EXPECT_EQ(login(conversation), LoginOutcome::denied);
    EXPECT_TRUE(logger.contains("unsafe permissions"));
}

TEST_F(RunLogin, UnusableStateIsUnavailable) {
    enroll();
    std::filesystem::create_directory(config.state_dir);
    ASSERT_EQ(::chmod(config.state_dir.c_str(), 0777), 0);
    auto conversation = answers({code});
    EXPECT_EQ(login(conversation), LoginOutcome::unavailable);
    EXPECT_TRUE(logger.contains("cannot check the code"));
}

TEST_F(RunLogin, OutcomeNames) {
    EXPECT_EQ(to_string(LoginOutcome::success), "success");
    EXPECT_EQ(to_string(LoginOutcome::denied), "denied");
}

}  // namespace
}  // namespace otpgate::core
