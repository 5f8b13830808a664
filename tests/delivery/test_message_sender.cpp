// make_message_sender: the checks that need more than one key, reading
// credentials only when the backend needs them, and the SSLKEYLOGFILE guard.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include "delivery_test_support.hpp"
#include "otpgate/core/delivery/message.hpp"

namespace otpgate::core {
namespace {

constexpr const char* sid = "AC0123456789abcdef0123456789abcdef";

class SenderFactory : public ::testing::Test {
protected:
    Result<std::unique_ptr<MessageSender>> make(const std::string& config_text, Channel channel) {
        config = test::parse_test_config(config_text +
                                         "credentials_file = " + (dir / "secrets").string() + "\n");
        return make_message_sender(config.delivery, channel, logger);
    }
    void expect_error(const std::string& config_text, Channel channel, ErrorKind kind,
                      const std::string& message_part) {
        const auto sender = make(config_text, channel);
        ASSERT_FALSE(sender.ok()) << config_text;
        EXPECT_EQ(sender.error().kind, kind) << config_text;
        EXPECT_NE(sender.error().message.find(message_part), std::string::npos)
            << config_text << " gave: " << sender.error().message;
    }
    test::TempDir dir;
    Config config;
    CapturingLogger logger;
};

TEST_F(SenderFactory, NoBackendIsUnavailable) {
    expect_error("", Channel::sms, ErrorKind::unavailable, "no SMS backend is configured");
    expect_error("", Channel::email, ErrorKind::unavailable, "no email backend is configured");
}

TEST_F(SenderFactory, IncompleteSettingsAreInvalidInput) {
    const struct {
        std::string text;
        Channel channel;
        std::string message;
    } cases[] = {
        {"sms_backend = twilio\ntwilio_from = +15005550006\n", Channel::sms,
         "needs twilio_account_sid"},
        {"sms_backend = twilio\ntwilio_account_sid = " + std::string(sid) + "\n", Channel::sms,
         "exactly one of twilio_from and twilio_messaging_service_sid"},
        {"sms_backend = twilio\ntwilio_account_sid = " + std::string(sid) +
             "\ntwilio_from = +15005550006\n"
             "twilio_messaging_service_sid = MG0123456789abcdef0123456789abcdef\n",
         Channel::sms, "exactly one of"},
        {"sms_backend = generic\n", Channel::sms, "needs http_url"},
        {"sms_backend = generic\nhttp_url = https://gw.example.com/\nhttp_auth = basic\n",
         Channel::sms, "http_auth = basic needs http_username"},
        {"sms_backend = generic\nhttp_url = https://gw.example.com/\nhttp_auth = bearer\n"
         "http_headers = authorization: x\n",
         Channel::sms, "must not set Authorization"},
        {"sms_backend = generic\nhttp_url = https://gw.example.com/\nhttp_body_type = json\n"
         "http_body = {\"text\": {message}}\n",
         Channel::sms, "http_body is not valid JSON"},
        {"sms_backend = file\n", Channel::sms, "needs sms_outbox"},
        {"sms_backend = command\n", Channel::sms, "needs sms_command"},
        {"email_backend = smtp\nemail_from = a@example.com\n", Channel::email, "needs smtp_url"},
        {"email_backend = smtp\nsmtp_url = smtps://mail.example.com\n", Channel::email,
         "needs email_from"},
        {"email_backend = smtp\nsmtp_url = smtp://mail.example.com:587\nsmtp_starttls = none\n"
         "email_from = a@example.com\n",
         Channel::email, "smtp_starttls = none is only allowed for a relay on this host"},
        {"email_backend = file\n", Channel::email, "needs email_outbox"},
        {"email_backend = command\n", Channel::email, "needs email_command"},
    };
    for (const auto& entry : cases) {
        expect_error(entry.text, entry.channel, ErrorKind::invalid_input, entry.message);
    }
}

TEST_F(SenderFactory, CredentialsAreReadOnlyWhenNeeded) {
    // The credentials file does not exist: backends without secrets work.
    for (const auto& [text, channel] : std::vector<std::pair<std::string, Channel>>{
             {"sms_backend = file\nsms_outbox = /tmp/x\n", Channel::sms},
             {"sms_backend = command\nsms_command = /bin/true\n", Channel::sms},
             {"sms_backend = generic\nhttp_url = https://gw.example.com/send\n", Channel::sms},
             {"email_backend = sendmail\n", Channel::email},
             {"email_backend = smtp\nsmtp_url = smtps://mail.example.com\n"
              "email_from = a@example.com\n",
              Channel::email},
         }) {
        const auto sender = make(text, channel);
        EXPECT_TRUE(sender.ok()) << text << ": " << sender.error().message;
    }
    expect_error("sms_backend = twilio\ntwilio_account_sid = " + std::string(sid) +
                     "\ntwilio_from = +15005550006\n",
                 Channel::sms, ErrorKind::unavailable, "does not exist");
    expect_error(
        "sms_backend = generic\nhttp_url = https://gw.example.com/\nhttp_auth = basic\n"
        "http_username = u\n",
        Channel::sms, ErrorKind::unavailable, "cannot read credentials file");
    expect_error(
        "email_backend = smtp\nsmtp_url = smtps://mail.example.com\n"
        "email_from = a@example.com\nsmtp_username = u\n",
        Channel::email, ErrorKind::unavailable, "cannot read credentials file");
}

TEST_F(SenderFactory, AMissingCredentialIsNamed) {
    if (geteuid() != 0) {
        GTEST_SKIP() << "the credentials file must be owned by root";
    }
    test::write_file(dir / "secrets", "smtp_password = x\n", 0600);
    expect_error("sms_backend = generic\nhttp_url = https://gw.example.com/\nhttp_auth = bearer\n",
                 Channel::sms, ErrorKind::invalid_input, "does not set http_bearer_token");
}

TEST_F(SenderFactory, LongSmsTemplatesAreWarnedAbout) {
    const auto sender = make("sms_backend = file\nsms_outbox = /tmp/x\nsms_template = {code} " +
                                 std::string(170, 'x') + "\n",
                             Channel::sms);
    ASSERT_TRUE(sender.ok());
    EXPECT_TRUE(logger.contains("sms_template makes messages of about")) << logger.lines().size();
    EXPECT_FALSE(logger.contains("sms_verify_template"));
}

TEST_F(SenderFactory, RefusesToStartCurlWithSslKeyLogFile) {
    const auto keylog = dir / "keys.log";
    const int code = test::run_in_child([&] {
        setenv("SSLKEYLOGFILE", keylog.c_str(), 1);
        const auto sender =
            make("sms_backend = generic\nhttp_url = https://gw.example.com/\n", Channel::sms);
        if (sender.ok() || sender.error().message.find("SSLKEYLOGFILE") == std::string::npos) {
            return 1;
        }
        return std::filesystem::exists(keylog) ? 2 : 0;
    });
    EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace otpgate::core
