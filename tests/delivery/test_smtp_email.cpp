// Email through a real SMTP server (aiosmtpd) with the test CA: STARTTLS
// required, smtps, AUTH, the message as Python's email package reads it,
// and the failures: no STARTTLS, untrusted certificate, server down,
// wrong password, a server that never greets.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "delivery_test_support.hpp"
#include "otpgate/core/delivery/message.hpp"

namespace otpgate::test {
namespace {

using std::chrono::milliseconds;

constexpr const char* smtp_password = "smtp-Pa55-z3";
constexpr const char* code = "739154";

class SmtpEmail : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) {
            GTEST_SKIP() << "the credentials file must be owned by root";
        }
        logger.set_debug(true);
        write_file(dir / "secrets", std::string("smtp_password = ") + smtp_password + "\n", 0600);
    }

    void start_smtp(std::vector<std::string> arguments) {
        arguments.insert(arguments.begin(), {"--out", (dir / "mail.jsonl").string()});
        server = start_test_server("smtp_server.py", arguments);
    }
    std::vector<std::string> starttls() const {
        return {"--starttls", test_pki().server_cert.string(), test_pki().server_key.string()};
    }
    std::vector<nlohmann::json> mails() const { return read_json_lines(dir / "mail.jsonl"); }
    std::string url(const std::string& scheme = "smtp") const {
        return scheme + "://127.0.0.1:" + std::to_string(server->port());
    }

    std::unique_ptr<core::MessageSender> make(const std::string& text) {
        const core::Config config =
            parse_test_config("tls_ca_file = " + test_pki().ca.string() +
                              "\ncredentials_file = " + (dir / "secrets").string() +
                              "\ndelivery_timeout_ms = 5000\nemail_backend = smtp\n"
                              "email_from = otpgate <otpgate@example.com>\n" +
                              text);
        auto made = core::make_message_sender(config.delivery, core::Channel::email, logger);
        EXPECT_TRUE(made.ok()) << made.error().message;
        return made.ok() ? std::move(made.value()) : nullptr;
    }

    static core::OutgoingMessage email(core::MessageKind kind = core::MessageKind::login_code) {
        core::OutgoingMessage message;
        message.channel = core::Channel::email;
        message.kind = kind;
        message.to = "alice@example.com";
        message.user = "alice";
        message.host = "srv1";
        message.code = core::SecretString(code);
        message.valid_minutes = 15;
        return message;
    }

    core::DeliveryResult send(core::MessageSender& sender, const core::OutgoingMessage& message) {
        const auto result = sender.send(message);
        expect_no_secrets(result, logger, {code, smtp_password});
        return result;
    }

    static std::string raw_header(const nlohmann::json& mail, const std::string& name) {
        for (const auto& header : mail["raw_headers"]) {
            if (header[0] == name) {
                return header[1];
            }
        }
        return "<missing>";
    }
    static std::string unix_lines(std::string text) {
        std::string out;
        for (const char c : text) {
            if (c != '\r') {
                out.push_back(c);
            }
        }
        return out;
    }

    TempDir dir;
    core::CapturingLogger logger;
    std::unique_ptr<ServerProcess> server;
};

TEST_F(SmtpEmail, StartTlsAuthAndAWellFormedMessage) {
    auto args = starttls();
    args.insert(args.end(), {"--auth", std::string("otp:") + smtp_password});
    start_smtp(args);
    auto sender = make("smtp_url = " + url() + "\nsmtp_username = otp\n");
    ASSERT_TRUE(sender);
    const auto result = send(*sender, email());
    EXPECT_TRUE(result.delivered) << result.detail;
    EXPECT_EQ(result.detail, "mail server accepted the message (SMTP 250)");

    const auto received = mails();
    ASSERT_EQ(received.size(), 1u);
    const auto& mail = received[0];
    EXPECT_TRUE(mail["tls"].get<bool>());
    EXPECT_EQ(mail["auth_user"], "otp");
    EXPECT_EQ(mail["mail_from"], "otpgate@example.com");
    EXPECT_EQ(mail["rcpt_tos"], nlohmann::json::array({"alice@example.com"}));
    EXPECT_TRUE(mail["date_ok"].get<bool>());
    EXPECT_TRUE(mail["defects"].empty()) << mail["defects"].dump();
    EXPECT_EQ(raw_header(mail, "From"), "otpgate <otpgate@example.com>");
    EXPECT_EQ(raw_header(mail, "To"), "alice@example.com");
    EXPECT_EQ(raw_header(mail, "Subject"), "Your srv1 login code");
    EXPECT_EQ(raw_header(mail, "MIME-Version"), "1.0");
    EXPECT_EQ(raw_header(mail, "Content-Type"), "text/plain; charset=UTF-8");
    EXPECT_EQ(raw_header(mail, "Content-Transfer-Encoding"), "7bit");
    EXPECT_EQ(raw_header(mail, "Auto-Submitted"), "auto-generated");
    const std::string message_id = raw_header(mail, "Message-ID");
    EXPECT_EQ(message_id.front(), '<');
    EXPECT_EQ(message_id.substr(message_id.size() - 21), ".otpgate@example.com>") << message_id;
    EXPECT_EQ(unix_lines(mail["body"]),
              "Hello alice,\n\n739154 is your login code for srv1. It expires in 15 minutes.\n\n"
              "If you did not try to log in, someone may know your password: change it and tell "
              "your administrator.\n");
    // Every line of what went over the wire ends in CRLF.
    const std::string data = base64_decode(mail["data_b64"].get<std::string>());
    for (std::size_t i = data.find('\n'); i != std::string::npos; i = data.find('\n', i + 1)) {
        ASSERT_GT(i, 0u);
        EXPECT_EQ(data[i - 1], '\r') << "bare LF at " << i;
    }
}

TEST_F(SmtpEmail, NonAsciiSubjectAndBodyAndLeadingDotsArriveIntact) {
    start_smtp(starttls());
    auto sender = make("smtp_url = " + url() +
                       "\nemail_subject = Ihr Anmeldecode für {host} – {user}\n"
                       "email_template = Grüße {user},\\n.\\n..{code}..\\n" +
                       std::string(120, 'w') + " €\\n");
    ASSERT_TRUE(sender);
    EXPECT_TRUE(send(*sender, email()).delivered);
    const auto received = mails();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0]["subject"], "Ihr Anmeldecode f\xC3\xBCr srv1 \xE2\x80\x93 alice");
    EXPECT_EQ(raw_header(received[0], "Content-Transfer-Encoding"), "quoted-printable");
    EXPECT_EQ(unix_lines(received[0]["body"]),
              "Gr\xC3\xBC\xC3\x9F"
              "e alice,\n.\n..739154..\n" +
                  std::string(120, 'w') + " \xE2\x82\xAC\n");
    EXPECT_TRUE(received[0]["defects"].empty()) << received[0]["defects"].dump();
}

TEST_F(SmtpEmail, ImplicitTlsWithSmtps) {
    start_smtp({"--implicit-tls", test_pki().server_cert.string(), test_pki().server_key.string()});
    auto sender = make("smtp_url = " + url("smtps") + "\n");
    ASSERT_TRUE(sender);
    const auto result = send(*sender, email(core::MessageKind::verification_code));
    EXPECT_TRUE(result.delivered) << result.detail;
    const auto received = mails();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_TRUE(received[0]["tls"].get<bool>());
    EXPECT_EQ(received[0]["subject"], "Confirm your email address for srv1");
}

TEST_F(SmtpEmail, AServerWithoutStartTlsGetsNothing) {
    start_smtp({});
    auto sender = make("smtp_url = " + url() + "\n");
    ASSERT_TRUE(sender);
    const auto result = send(*sender, email());
    EXPECT_FALSE(result.delivered);
    EXPECT_EQ(result.detail,
              "the mail server does not offer STARTTLS, which smtp_starttls = required demands");
    EXPECT_TRUE(mails().empty());
}

TEST_F(SmtpEmail, PlainSmtpToALocalRelayWhenAllowed) {
    start_smtp({});
    auto sender = make("smtp_url = " + url() + "\nsmtp_starttls = none\n");
    ASSERT_TRUE(sender);
    auto notice = email(core::MessageKind::notice);
    notice.code.clear();
    notice.notice_text = "Email codes were turned on for your account on srv1.";
    EXPECT_TRUE(send(*sender, notice).delivered);
    const auto received = mails();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_FALSE(received[0]["tls"].get<bool>());
    EXPECT_EQ(received[0]["subject"], "Second factor changed on srv1");
    EXPECT_EQ(unix_lines(received[0]["body"]),
              "Email codes were turned on for your account on srv1.\n");
}

TEST_F(SmtpEmail, AnUntrustedCertificateStopsTheMail) {
    start_smtp({"--starttls", test_pki().rogue_cert.string(), test_pki().rogue_key.string()});
    auto sender = make("smtp_url = " + url() + "\n");
    ASSERT_TRUE(sender);
    const auto result = send(*sender, email());
    EXPECT_FALSE(result.delivered);
    EXPECT_NE(result.detail.find("TLS certificate of the mail server not trusted"),
              std::string::npos)
        << result.detail;
    EXPECT_TRUE(mails().empty());
}

TEST_F(SmtpEmail, AServerThatIsDownFailsAtOnce) {
    auto sender = make("smtp_url = smtp://127.0.0.1:" + std::to_string(unused_port()) + "\n");
    ASSERT_TRUE(sender);
    const auto start = std::chrono::steady_clock::now();
    const auto result = send(*sender, email());
    EXPECT_LT(elapsed_since(start), milliseconds(1000));
    EXPECT_FALSE(result.delivered);
    EXPECT_NE(result.detail.find("cannot connect to the mail server"), std::string::npos)
        << result.detail;
}

TEST_F(SmtpEmail, AWrongPasswordIsRefused) {
    auto args = starttls();
    args.insert(args.end(), {"--auth", "otp:another-password"});
    start_smtp(args);
    auto sender = make("smtp_url = " + url() + "\nsmtp_username = otp\n");
    ASSERT_TRUE(sender);
    const auto result = send(*sender, email());
    EXPECT_FALSE(result.delivered);
    EXPECT_NE(result.detail.find("the mail server refused the login"), std::string::npos)
        << result.detail;
    EXPECT_TRUE(mails().empty());
}

TEST_F(SmtpEmail, AServerThatNeverGreetsCostsNoMoreThanTheTimeout) {
    // The HTTPS gateway waits for a TLS hello while the client waits for
    // "220": nobody ever speaks.
    const auto silent =
        start_test_server("sms_gateway.py", {"--log", (dir / "silent.jsonl").string(), "--cert",
                                             test_pki().server_cert.string(), "--key",
                                             test_pki().server_key.string()});
    auto sender = make("smtp_url = smtp://127.0.0.1:" + std::to_string(silent->port()) +
                       "\ndelivery_timeout_ms = 1000\n");
    ASSERT_TRUE(sender);
    const auto start = std::chrono::steady_clock::now();
    const auto result = send(*sender, email());
    const auto elapsed = elapsed_since(start);
    EXPECT_FALSE(result.delivered);
    EXPECT_GE(elapsed, milliseconds(900));
    EXPECT_LT(elapsed, milliseconds(2000));
    EXPECT_NE(result.detail.find("timed out after"), std::string::npos) << result.detail;
}

TEST_F(SmtpEmail, ARecipientWithALineBreakIsNeverSent) {
    start_smtp(starttls());
    auto sender = make("smtp_url = " + url() + "\n");
    ASSERT_TRUE(sender);
    auto message = email();
    message.to = "alice@example.com\r\nRCPT TO:<evil@example.com>";
    const auto result = send(*sender, message);
    EXPECT_FALSE(result.delivered);
    EXPECT_EQ(result.detail, "cannot build the email: the recipient is not a plain email address");
    EXPECT_TRUE(mails().empty());
}

}  // namespace
}  // namespace otpgate::test
