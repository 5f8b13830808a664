// The SMS/email login dialogue without PAM: real files in a temporary
// directory, the real `file` delivery backend (its outbox is where the
// "phone" reads the code), a fake clock, and a conversation that reads the
// code from the outbox when asked, as a person would from their phone.
#include <deque>
#include <fstream>
#include <regex>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include "otpgate/core/enrollment/enrollment_store.hpp"
#include "otpgate/core/login/login_session.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "otpgate/core/system/user_account.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

constexpr std::int64_t t0 = 1700000000;
const std::string number = "+447700900123";
const std::string masked = "+44\u2022\u2022\u2022\u2022\u2022\u2022\u2022123";

// Reads the codes in an outbox written by the `file` backend.
std::vector<std::string> outbox_codes(const std::filesystem::path& outbox) {
    std::vector<std::string> codes;
    std::ifstream in(outbox);
    const std::regex code_field("\"code\":\"([0-9]*)\"");
    for (std::string line; std::getline(in, line);) {
        std::smatch match;
        if (std::regex_search(line, match, code_field)) {
            codes.push_back(match[1]);
        }
    }
    return codes;
}

// Each answer is a literal, or "<newest>" / "<first>" for a code from the
// outbox, read at the moment the prompt appears.
class PhoneConversation final : public Conversation {
public:
    PhoneConversation(std::filesystem::path outbox, std::vector<std::string> answers)
        : m_outbox(std::move(outbox)), m_answers(answers.begin(), answers.end()) {}
    std::optional<SecretString> ask_hidden(std::string_view prompt) override {
        m_prompts.emplace_back(prompt);
        if (m_answers.empty()) {
            return std::nullopt;
        }
        std::string answer = m_answers.front();
        m_answers.pop_front();
        const auto codes = outbox_codes(m_outbox);
        if (answer == "<newest>" || answer == "<first>") {
            if (codes.empty()) {
                ADD_FAILURE() << "no code in the outbox";
                return SecretString("");
            }
            answer = answer == "<newest>" ? codes.back() : codes.front();
        }
        m_typed.push_back(answer);
        return SecretString(answer);
    }
    void show_error(std::string_view message) override { m_errors.emplace_back(message); }

    std::vector<std::string> m_prompts;
    std::vector<std::string> m_errors;
    std::vector<std::string> m_typed;

private:
    std::filesystem::path m_outbox;
    std::deque<std::string> m_answers;
};

class DeliveredCodeLogin : public ::testing::Test {
protected:
    test::TempDir dir;
    UserAccount account;
    Config config;
    CapturingLogger logger;
    test::FakeClock clock{t0};
    Enrollment enrollment;
    std::vector<std::string> backups;

    void SetUp() override {
        account = test::running_account();
        config = test::login_config_in(dir);
        config.fail_delay_ms = 0;
        config.sms_allowed_countries = {"44"};
        config.help_text = "No code? Call the service desk.";
        write_delivery_config("sms_backend = file\nsms_outbox = " + outbox().string() + "\n");

        enrollment.id = "0123456789abcdef0123456789abcdef";
        enrollment.method = Method::sms;
        enrollment.destination = number;
        enrollment.created = t0 - 100;
        OpenSslRandom random;
        auto made = make_backup_codes(random, 2, 10, config.backup_code_iterations);
        enrollment.backup = made.stored;
        for (const auto& c : made.codes) {
            backups.push_back(test::text_of(c));
        }
        ASSERT_TRUE(EnrollmentStore(config.enrollment_path).save(account, enrollment).ok());
        mark_verified(number);
    }

    void write_delivery_config(const std::string& text) {
        ASSERT_TRUE(parse_config_text(config, text, "test.conf", logger)) << dump_log();
    }
    std::filesystem::path outbox() const { return dir / "outbox"; }
    void mark_verified(const std::string& destination) {
        auto locked = StateStore(config.state_dir).lock(account.name);
        ASSERT_TRUE(locked.ok());
        locked->state().verified_destination = destination_fingerprint(Channel::sms, destination);
        ASSERT_TRUE(locked->commit().ok());
    }
    LoginOutcome login(PhoneConversation& phone) {
        return run_login(account.name, config, phone, logger, clock);
    }
    PhoneConversation phone(std::vector<std::string> answers) {
        return PhoneConversation(outbox(), std::move(answers));
    }
    std::string dump_log() const {
        std::string out;
        for (const auto& line : logger.lines()) {
            out += line.message + "\n";
        }
        return out;
    }
    void expect_no_code_logged(const PhoneConversation& conversation) const {
        for (const auto& typed : conversation.m_typed) {
            if (typed.size() < 4) {
                continue;
            }
            for (const auto& line : logger.lines()) {
                EXPECT_EQ(line.message.find(typed), std::string::npos) << line.message;
            }
        }
    }
};

TEST_F(DeliveredCodeLogin, CodeArrivesAndLogsIn) {
    auto conversation = phone({"<newest>"});
    EXPECT_EQ(login(conversation), LoginOutcome::success) << dump_log();
    ASSERT_EQ(conversation.m_prompts.size(), 1u);
    EXPECT_EQ(conversation.m_prompts[0], "Code sent by SMS to " + masked + " (r = resend): ");
    EXPECT_EQ(outbox_codes(outbox()).size(), 1u);
    EXPECT_EQ(outbox_codes(outbox())[0].size(), config.code_digits);
    EXPECT_TRUE(logger.contains("sent a login code to user " + account.name));
    EXPECT_TRUE(logger.contains("authenticated with a code sent by SMS"));
    expect_no_code_logged(conversation);
}

// The same dialogue proving the current factor before a change (the
// otpgate command and otpgate-verify run it with proof_config) sends the
// change text, never the login text; a login still gets the login text.
TEST_F(DeliveredCodeLogin, AProofOfTheCurrentFactorSendsTheChangeText) {
    auto logging_in = phone({"<newest>"});
    ASSERT_EQ(login(logging_in), LoginOutcome::success) << dump_log();
    clock.set(t0 + 60);  // past the send cooldown
    auto proving = phone({"<newest>"});
    ASSERT_EQ(run_login(account.name, proof_config(config), proving, logger, clock),
              LoginOutcome::success)
        << dump_log();

    std::vector<std::string> lines;
    std::ifstream in(outbox());
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_NE(lines[0].find("\"kind\":\"login_code\""), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find(" login code."), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("\"kind\":\"change_code\""), std::string::npos) << lines[1];
    EXPECT_NE(lines[1].find("confirms a change to your"), std::string::npos) << lines[1];
    EXPECT_NE(lines[1].find("Someone may be trying to change it"), std::string::npos) << lines[1];
    EXPECT_EQ(lines[1].find("login"), std::string::npos) << lines[1];
}

TEST_F(DeliveredCodeLogin, CodeTypedWithSeparatorsIsAccepted) {
    // Typed as "123 4-56".
    class Spaced final : public Conversation {
    public:
        explicit Spaced(std::filesystem::path box) : m_box(std::move(box)) {}
        std::optional<SecretString> ask_hidden(std::string_view) override {
            const std::string code = outbox_codes(m_box).back();
            return SecretString(code.substr(0, 3) + " " + code.substr(3, 1) + "-" + code.substr(4));
        }
        void show_error(std::string_view) override {}
        std::filesystem::path m_box;
    } spaced(outbox());
    EXPECT_EQ(run_login(account.name, config, spaced, logger, clock), LoginOutcome::success)
        << dump_log();
}

TEST_F(DeliveredCodeLogin, WrongCodesAreDeniedAndTheHelpLineShown) {
    auto conversation = phone({"000000", "111111", "222222"});
    EXPECT_EQ(login(conversation), LoginOutcome::denied);
    ASSERT_EQ(conversation.m_prompts.size(), 3u);
    EXPECT_EQ(conversation.m_prompts[1].rfind("Wrong code. Code sent by SMS to ", 0), 0u)
        << conversation.m_prompts[1];
    // The last try's prompt carries the help line (sshd shows prompts, not
    // a message after the last one); other applications also get it after.
    EXPECT_EQ(conversation.m_prompts[2].rfind(
                  "Wrong code. Last try. " + config.help_text + " Code sent by SMS to ", 0),
              0u)
        << conversation.m_prompts[2];
    EXPECT_EQ(conversation.m_errors, std::vector<std::string>{config.help_text});
    EXPECT_TRUE(logger.contains("second factor failed"));
}

TEST_F(DeliveredCodeLogin, ResendReplacesTheOldCode) {
    config.send_cooldown = 0;
    auto conversation = phone({"r", "<first>", "<newest>"});
    EXPECT_EQ(login(conversation), LoginOutcome::success) << dump_log();
    const auto codes = outbox_codes(outbox());
    ASSERT_EQ(codes.size(), 2u);
    ASSERT_EQ(conversation.m_prompts.size(), 3u);
    EXPECT_EQ(conversation.m_prompts[1].rfind("New code sent. ", 0), 0u);
    if (codes[0] != codes[1]) {  // the first code died with the resend
        EXPECT_EQ(conversation.m_prompts[2].rfind("Wrong code. ", 0), 0u);
    }
}

TEST_F(DeliveredCodeLogin, ResendsAreLimitedPerLoginAndByTheCooldown) {
    config.max_resends = 1;
    config.send_cooldown = 30;
    auto conversation = phone({"r", "r", "<newest>"});
    EXPECT_EQ(login(conversation), LoginOutcome::success) << dump_log();
    // The first resend hit the cooldown; the second 'r' was not a resend.
    EXPECT_EQ(outbox_codes(outbox()).size(), 1u);
    EXPECT_EQ(conversation.m_prompts[1].rfind("Wait 30 s before asking for another code. ", 0), 0u)
        << conversation.m_prompts[1];
    EXPECT_EQ(conversation.m_prompts[2].find("(r = resend)"), std::string::npos);
}

TEST_F(DeliveredCodeLogin, ExpiredCodeIsRefused) {
    class Slow final : public Conversation {
    public:
        Slow(std::filesystem::path box, test::FakeClock& clock)
            : m_box(std::move(box)), m_clock(clock) {}
        std::optional<SecretString> ask_hidden(std::string_view prompt) override {
            prompts.emplace_back(prompt);
            m_clock.set(m_clock.now() + 301);  // the person takes five minutes and a second
            return SecretString(outbox_codes(m_box).back());
        }
        void show_error(std::string_view) override {}
        std::vector<std::string> prompts;
        std::filesystem::path m_box;
        test::FakeClock& m_clock;
    } slow(outbox(), clock);
    config.max_attempts = 2;
    EXPECT_EQ(run_login(account.name, config, slow, logger, clock), LoginOutcome::denied);
    ASSERT_EQ(slow.prompts.size(), 2u);
    EXPECT_EQ(slow.prompts[1].rfind("That code has expired. ", 0), 0u) << slow.prompts[1];
    EXPECT_TRUE(logger.contains("expired code"));
}

TEST_F(DeliveredCodeLogin, UnverifiedDestinationGetsNoCodeButBackupCodesWork) {
    mark_verified("+447700900999");  // the state proves another number
    auto conversation = phone({backups[0]});
    EXPECT_EQ(login(conversation), LoginOutcome::success) << dump_log();
    EXPECT_FALSE(std::filesystem::exists(outbox()));
    EXPECT_EQ(conversation.m_prompts[0].rfind("No code can be sent. ", 0), 0u);
    EXPECT_TRUE(logger.contains("was never verified"));
}

TEST_F(DeliveredCodeLogin, CountryOutsideTheAllowListGetsNoCode) {
    config.sms_allowed_countries = {"49"};
    auto conversation = phone({"123456"});
    config.max_attempts = 1;
    EXPECT_EQ(login(conversation), LoginOutcome::denied);
    EXPECT_FALSE(std::filesystem::exists(outbox()));
    EXPECT_TRUE(logger.contains("not in sms_allowed_countries"));
}

TEST_F(DeliveredCodeLogin, SendLimitSurvivesAcrossLogins) {
    config.max_sends_per_hour = 1;
    auto first = phone({"<newest>"});
    EXPECT_EQ(login(first), LoginOutcome::success);
    clock.set(t0 + 60);
    auto second = phone({"000000"});
    config.max_attempts = 1;
    EXPECT_EQ(login(second), LoginOutcome::denied);
    EXPECT_EQ(outbox_codes(outbox()).size(), 1u);
    EXPECT_EQ(second.m_prompts[0].rfind("Too many codes sent; try again in ", 0), 0u)
        << second.m_prompts[0];
}

TEST_F(DeliveredCodeLogin, DeliveryFailureSecureDeniesButBackupCodesWork) {
    write_delivery_config("sms_backend = command\nsms_command = /bin/false\n");
    auto conversation = phone({"123456", backups[1]});
    EXPECT_EQ(login(conversation), LoginOutcome::success) << dump_log();
    EXPECT_EQ(conversation.m_prompts[0].rfind("The code could not be sent. " + config.help_text, 0),
              0u)
        << conversation.m_prompts[0];
    EXPECT_TRUE(logger.contains("could not send a code"));
}

TEST_F(DeliveredCodeLogin, DeliveryFailureSafeAdmitsWithALoudWarning) {
    write_delivery_config("sms_backend = command\nsms_command = /bin/false\nfailmode = safe\n");
    auto conversation = phone({});
    EXPECT_EQ(login(conversation), LoginOutcome::success);
    EXPECT_TRUE(conversation.m_prompts.empty());
    EXPECT_TRUE(logger.contains("FAILMODE SAFE"));
}

TEST_F(DeliveredCodeLogin, EmailCodesWork) {
    enrollment.method = Method::email;
    enrollment.destination = "alice@example.com";
    ASSERT_TRUE(EnrollmentStore(config.enrollment_path).save(account, enrollment).ok());
    auto locked = StateStore(config.state_dir).lock(account.name);
    ASSERT_TRUE(locked.ok());
    locked->state().verified_destination =
        destination_fingerprint(Channel::email, "alice@example.com");
    ASSERT_TRUE(locked->commit().ok());
    locked = make_error(ErrorKind::io, "released");
    write_delivery_config("email_backend = file\nemail_outbox = " + outbox().string() + "\n");
    auto conversation = phone({"<newest>"});
    EXPECT_EQ(login(conversation), LoginOutcome::success) << dump_log();
    EXPECT_EQ(conversation.m_prompts[0],
              "Code sent by email to a\u2022\u2022\u2022@example.com (r = resend): ");
}

TEST_F(DeliveredCodeLogin, ALockThatBeginsDuringTheLoginRefusesTheRightCode) {
    config.policy.lockout = LockoutPolicy{2, 300, 900};
    auto conversation = phone({"000000", "111111", "<newest>"});
    EXPECT_EQ(login(conversation), LoginOutcome::denied) << dump_log();
    EXPECT_TRUE(logger.contains("locked for 900 s after 2 wrong codes within 300 s"));
    EXPECT_TRUE(logger.contains("not checked: the second factor is locked"));
    EXPECT_FALSE(logger.contains("authenticated"));
    // Locked: the next login sends nothing and checks nothing, through the
    // very dialogue of an SMS user (a resend included) and the help line,
    // so that nothing in it tells a lock from wrong codes.
    auto next = phone({"000000", "r", "000000", "000000"});
    EXPECT_EQ(login(next), LoginOutcome::denied);
    EXPECT_EQ(outbox_codes(outbox()).size(), 1u);
    const std::string sms_prompt = "Code sent by SMS to " + masked + " (r = resend): ";
    EXPECT_EQ(next.m_prompts,
              (std::vector<std::string>{
                  sms_prompt, "Wrong code. " + sms_prompt, "New code sent. " + sms_prompt,
                  "Wrong code. Last try. " + config.help_text + " " + sms_prompt}));
    EXPECT_EQ(next.m_errors, std::vector<std::string>{config.help_text});
    EXPECT_TRUE(logger.contains("no code sent to user " + account.name));
    // After the lock, a code arrives and works, and the success is recorded.
    clock.set(t0 + 900);
    auto later = phone({"<newest>"});
    EXPECT_EQ(login(later), LoginOutcome::success) << dump_log();
    auto locked = StateStore(config.state_dir).lock(account.name);
    ASSERT_TRUE(locked.ok());
    EXPECT_EQ(locked->state().last_success, t0 + 900);
    EXPECT_TRUE(locked->state().recent_failures.empty());
}

}  // namespace
}  // namespace otpgate::core
