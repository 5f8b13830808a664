// Email without SMTP: a sendmail-compatible program (a recording stand-in
// here), the command backend, and the outbox file.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "delivery_test_support.hpp"
#include "otpgate/core/delivery/message.hpp"

namespace otpgate::test {
namespace {

using std::chrono::milliseconds;

core::OutgoingMessage email() {
    core::OutgoingMessage message;
    message.channel = core::Channel::email;
    message.to = "alice@example.com";
    message.user = "alice";
    message.host = "srv1";
    message.code = core::SecretString("739154");
    message.valid_minutes = 15;
    return message;
}

class EmailPrograms : public ::testing::Test {
protected:
    std::unique_ptr<core::MessageSender> make(const std::string& text) {
        const core::Config config = parse_test_config(text);
        auto made = core::make_message_sender(config.delivery, core::Channel::email, logger);
        EXPECT_TRUE(made.ok()) << made.error().message;
        return made.ok() ? std::move(made.value()) : nullptr;
    }
    // A stand-in that records its arguments, input and environment.
    std::string recorder(const std::string& name, int exit_status = 0) {
        const auto path = dir / name;
        const std::string base = (dir / "record").string();
        write_script(path, "printf '%s\\n' \"$@\" > '" + base + ".argv'\ncat > '" + base +
                               ".stdin'\nenv > '" + base + ".env'\nexit " +
                               std::to_string(exit_status) + "\n");
        return path.string();
    }
    std::string recorded(const std::string& what) { return read_file(dir / ("record." + what)); }

    TempDir dir;
    core::CapturingLogger logger;
};

TEST_F(EmailPrograms, SendmailGetsTheRecipientAfterDashesAndTheMessageOnStdin) {
    auto sender = make("email_backend = sendmail\nsendmail_path = " + recorder("sendmail") +
                       "\nemail_from = otpgate@example.com\n");
    ASSERT_TRUE(sender);
    const auto result = sender->send(email());
    EXPECT_TRUE(result.delivered) << result.detail;
    EXPECT_EQ(result.detail, "sendmail accepted the message");
    expect_no_secrets(result, logger, {"739154"});

    EXPECT_EQ(recorded("argv"), "-i\n--\nalice@example.com\n");
    const std::string message = recorded("stdin");
    EXPECT_EQ(message.find('\r'), std::string::npos) << "local submission uses LF";
    EXPECT_EQ(message.rfind("Date: ", 0), 0u);
    for (const char* line : {"\nFrom: otpgate@example.com\n", "\nTo: alice@example.com\n",
                             "\nSubject: Your srv1 login code\n", "\nMIME-Version: 1.0\n",
                             "\nContent-Type: text/plain; charset=UTF-8\n",
                             "\n\nHello alice,\n\n739154 is your login code for srv1."}) {
        EXPECT_NE(message.find(line), std::string::npos) << line << " in " << message;
    }
    const std::string env = recorded("env");
    EXPECT_NE(env.find("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), std::string::npos);
    EXPECT_EQ(env.find("HOME="), std::string::npos) << env;
}

TEST_F(EmailPrograms, WithoutEmailFromSendmailSetsTheSender) {
    auto sender = make("email_backend = sendmail\nsendmail_path = " + recorder("sendmail") + "\n");
    ASSERT_TRUE(sender);
    EXPECT_TRUE(sender->send(email()).delivered);
    EXPECT_EQ(recorded("stdin").find("From:"), std::string::npos);
}

TEST_F(EmailPrograms, SendmailFailuresAreReported) {
    auto failing =
        make("email_backend = sendmail\nsendmail_path = " + recorder("sendmail", 75) + "\n");
    ASSERT_TRUE(failing);
    const auto failed = failing->send(email());
    EXPECT_FALSE(failed.delivered);
    EXPECT_EQ(failed.detail, "sendmail exited with status 75");

    const auto missing_path = dir / "nowhere" / "sendmail";
    auto missing =
        make("email_backend = sendmail\nsendmail_path = " + missing_path.string() + "\n");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->send(email()).detail,
              "cannot run " + missing_path.string() + ": No such file or directory");

    write_script(dir / "slow-sendmail", "exec sleep 30\n");
    auto hanging =
        make("email_backend = sendmail\nsendmail_path = " + (dir / "slow-sendmail").string() +
             "\ndelivery_timeout_ms = 1000\n");
    ASSERT_TRUE(hanging);
    const auto start = std::chrono::steady_clock::now();
    const auto hung = hanging->send(email());
    EXPECT_LT(elapsed_since(start), milliseconds(2000));
    EXPECT_FALSE(hung.delivered);
    EXPECT_EQ(hung.detail, "slow-sendmail did not finish within 1000 ms and was killed");
}

TEST_F(EmailPrograms, TheCommandGetsFixedArgumentsTheAddressAndTheMessage) {
    auto sender = make("email_backend = command\nemail_command = " + recorder("mailer") +
                       " --account  otp\nemail_from = otpgate@example.com\n");
    ASSERT_TRUE(sender);
    auto message = email();
    message.kind = core::MessageKind::verification_code;
    const auto result = sender->send(message);
    EXPECT_TRUE(result.delivered) << result.detail;
    EXPECT_EQ(recorded("argv"), "--account\notp\nalice@example.com\n");
    EXPECT_NE(recorded("stdin").find("\nSubject: Confirm your email address for srv1\n"),
              std::string::npos);
}

TEST_F(EmailPrograms, TheOutboxRecordsSubjectAndText) {
    const auto outbox = dir / "email-outbox";
    auto sender = make("email_backend = file\nemail_outbox = " + outbox.string() + "\n");
    ASSERT_TRUE(sender);
    EXPECT_TRUE(sender->send(email()).delivered);
    const auto records = read_json_lines(outbox);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0]["channel"], "email");
    EXPECT_EQ(records[0]["to"], "alice@example.com");
    EXPECT_EQ(records[0]["code"], "739154");
    EXPECT_EQ(records[0]["subject"], "Your srv1 login code");
    EXPECT_EQ(records[0]["text"].get<std::string>().rfind("Hello alice,\n\n739154 is your", 0), 0u);
}

TEST_F(EmailPrograms, AnSmsSenderRefusesEmailAndBack) {
    auto sender = make("email_backend = file\nemail_outbox = " + (dir / "o").string() + "\n");
    ASSERT_TRUE(sender);
    auto sms = email();
    sms.channel = core::Channel::sms;
    sms.to = "+447700900123";
    EXPECT_FALSE(sender->send(sms).delivered);
}

}  // namespace
}  // namespace otpgate::test
