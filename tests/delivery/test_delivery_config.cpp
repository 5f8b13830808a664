// Every delivery key through the real parser: good values are applied, bad
// ones are errors naming file:line and the key.
#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config_setters.hpp"
#include "otpgate/core/config/config.hpp"

namespace otpgate::core {
namespace {

struct KeyCase {
    std::string key;
    std::vector<std::string> good;
    std::vector<std::string> bad;
};

const std::vector<KeyCase>& key_cases() {
    static const std::vector<KeyCase> cases = {
        {"sms_backend",
         {"none", "twilio", "generic", "file", "command"},
         {"", "Twilio", "smtp", "sms"}},
        {"email_backend", {"none", "smtp", "sendmail", "file", "command"}, {"", "twilio", "mail"}},
        {"sms_template",
         {"{code}", "Code {code} for {user} at {host}, {minutes} min, to {to} ({to_digits})",
          R"(Code:\n{code})", "{code} {not a placeholder} {}"},
         {"no code here", "{code} {message}", "{code} {codes}", R"({code} \t)",
          std::string(481, 'x')}},
        {"sms_verify_template", {"{code} confirms {to}"}, {"confirm", "{code} {hostname}"}},
        {"email_subject",
         {"Your {host} code", "Login {code}", "Grüße"},
         {"{subject}", "{message}"}},
        {"email_template", {R"(Hello {user},\n\n{code}\n)", "{code}"}, {"Hello", R"({code}\x)"}},
        {"email_verify_subject", {"Confirm"}, {"{nope}"}},
        {"email_verify_template", {"{code}"}, {"nothing"}},
        {"sms_change_template", {"{code} confirms a change"}, {"no code", "{code} {hostname}"}},
        {"email_change_subject", {"Confirm a change on {host}"}, {"{nope}"}},
        {"email_change_template", {R"(Hello {user},\n\n{code}\n)"}, {"nothing"}},
        {"email_notice_subject", {"Changed on {host}", "{code2} is literal"}, {"{codes}"}},
        {"credentials_file",
         {"/etc/security/otpgate.secrets", "/root/s"},
         {"", "relative/path", "s"}},
        {"delivery_timeout_ms", {"100", "10000", "30000"}, {"99", "30001", "10s", "-1", ""}},
        {"delivery_connect_timeout_ms", {"100", "5000", "30000"}, {"0", "30001", "x"}},
        {"tls_ca_file", {"", "/etc/ssl/certs/ca-certificates.crt"}, {"ca.pem", "./ca.pem"}},
        {"tls_ca_path", {"", "/etc/ssl/certs"}, {"certs"}},
        {"twilio_account_sid",
         {"", "AC0123456789abcdef0123456789ABCDEF"},
         {"AC123", "MG0123456789abcdef0123456789abcdef", "AC0123456789abcdef0123456789abcdeg",
          "AC0123456789abcdef0123456789abcdef0"}},
        {"twilio_messaging_service_sid",
         {"", "MG0123456789abcdef0123456789abcdef"},
         {"AC0123456789abcdef0123456789abcdef", "MG"}},
        {"twilio_from",
         {"", "+15005550006", "+447700900123", "OTPGATE", "My Co 2FA"},
         {"15005550006", "+0123", "+1", "+1234567890123456", "TooLongSender1", "12345", "+1 500"}},
        {"twilio_api_url",
         {"https://api.twilio.com", "https://127.0.0.1:8443", "http://127.0.0.1:8080",
          "http://localhost:9", "http://[::1]:80"},
         {"", "http://api.twilio.com", "ftp://x", "api.twilio.com", "https://u:p@api.twilio.com",
          "http://127.0.0.2/"}},
        {"http_url",
         {"", "https://api.labsmobile.com/json/send", "http://localhost:8080/send?x=1"},
         {"http://gateway.example.com/send", "https://", "https://user@host/", "smtp://host"}},
        {"http_method", {"POST", "PUT"}, {"GET", "post", "DELETE"}},
        {"http_body_type", {"form", "json"}, {"xml", "JSON"}},
        {"http_body",
         {"to={to}&message={message}", R"({"to":"{to_digits}","text":"{message}"})", "code={code}"},
         {"to={to}", "message={msg}"}},
        {"http_headers",
         {"", "X-Api-Key: abc", "X-Api-Key: abc | X-Tenant: 42", "Authorization: App key"},
         {"X-Api-Key", ": value", "Bad Name: x", "Content-Type: text/plain", "Host: x",
          "X-A: caf\xC3\xA9"}},
        {"http_auth", {"none", "basic", "bearer"}, {"digest", ""}},
        {"http_username", {"", "otpgate@example.com"}, {"user:name"}},
        {"http_success_contains", {"", R"(""code":"0"")", "queued"}, {std::string(300, 'x')}},
        {"smtp_url",
         {"", "smtp://mail.example.com:587", "smtps://mail.example.com:465",
          "smtp://127.0.0.1:25/client.example.com"},
         {"https://mail.example.com", "mail.example.com:587", "smtp://user:pw@mail.example.com"}},
        {"smtp_starttls", {"required", "none"}, {"optional", "yes"}},
        {"smtp_username", {"", "otpgate@example.com"}, {}},
        {"email_from",
         {"", "otpgate@example.com", "otpgate <otpgate@example.com>",
          "Login, Service <login@example.com>", "Grüße <a@example.com>"},
         {"otpgate", "@example.com", "a@b@c", "Name <bad>", "a b@example.com", "<a@example.com"}},
        {"sendmail_path", {"/usr/sbin/sendmail"}, {"", "sendmail"}},
        {"sms_outbox", {"", "/var/lib/otpgate/sms-outbox"}, {"outbox"}},
        {"email_outbox", {"", "/var/lib/otpgate/email-outbox"}, {"./outbox"}},
        {"sms_command",
         {"", "/usr/local/bin/send-sms", "/usr/bin/sms --modem  /dev/ttyUSB0"},
         {"send-sms", "~/bin/sms"}},
        {"email_command", {"", "/usr/bin/msmtp -a default"}, {"msmtp"}},
    };
    return cases;
}

TEST(DeliveryConfigKeys, EveryKeyIsKnownAndTested) {
    std::set<std::string> tested;
    for (const auto& entry : key_cases()) {
        tested.insert(entry.key);
    }
    std::set<std::string> added;
    for (const auto& entry : delivery_key_setters()) {
        added.insert(std::string(entry.key));
    }
    EXPECT_EQ(tested, added);
    const auto known = known_config_keys();
    for (const auto& key : added) {
        EXPECT_NE(std::find(known.begin(), known.end(), key), known.end()) << key;
    }
}

TEST(DeliveryConfigKeys, GoodValuesParse) {
    for (const auto& entry : key_cases()) {
        for (const auto& value : entry.good) {
            Config config;
            CapturingLogger logger;
            const std::string text = "# header\n" + entry.key + " = " + value + "\n";
            EXPECT_TRUE(parse_config_text(config, text, "test.conf", logger))
                << entry.key << " = " << value;
            EXPECT_TRUE(logger.lines().empty())
                << entry.key << " = " << value << ": " << logger.lines().front().message;
        }
    }
}

TEST(DeliveryConfigKeys, BadValuesAreErrorsWithFileAndLine) {
    for (const auto& entry : key_cases()) {
        for (const auto& value : entry.bad) {
            Config config;
            CapturingLogger logger;
            const std::string text = "# header\n\n" + entry.key + " = \"" + value + "\"\n";
            EXPECT_FALSE(parse_config_text(config, text, "test.conf", logger))
                << entry.key << " = " << value;
            EXPECT_TRUE(logger.contains("test.conf:3: bad value for " + entry.key))
                << entry.key << " = " << value;
        }
    }
}

TEST(DeliveryConfigKeys, ValuesAreStoredDecoded) {
    Config config;
    CapturingLogger logger;
    ASSERT_TRUE(parse_config_text(config,
                                  "sms_backend = generic\n"
                                  "email_backend = smtp\n"
                                  "email_template = \"Hi {user},\\n\\n{code}\\\\n\"\n"
                                  "http_method = PUT\n"
                                  "http_body_type = json\n"
                                  "http_auth = bearer\n"
                                  "http_headers = X-Api-Key: abc def |X-Tenant:42\n"
                                  "sms_command = /usr/bin/sms  --modem /dev/ttyUSB0\n"
                                  "delivery_timeout_ms = 1500\n"
                                  "smtp_starttls = none\n"
                                  "credentials_file = /root/secrets\n",
                                  "test.conf", logger));
    const DeliveryConfig& d = config.delivery;
    EXPECT_EQ(d.sms_backend, SmsBackend::generic);
    EXPECT_EQ(d.email_backend, EmailBackend::smtp);
    EXPECT_EQ(d.email_template, "Hi {user},\n\n{code}\\n");
    EXPECT_EQ(d.http_method, HttpMethod::put);
    EXPECT_EQ(d.http_body_type, HttpBodyType::json);
    EXPECT_EQ(d.http_auth, HttpAuth::bearer);
    ASSERT_EQ(d.http_headers.size(), 2u);
    EXPECT_EQ(d.http_headers[0].name, "X-Api-Key");
    EXPECT_EQ(d.http_headers[0].value, "abc def");
    EXPECT_EQ(d.http_headers[1].name, "X-Tenant");
    EXPECT_EQ(d.http_headers[1].value, "42");
    EXPECT_EQ(d.sms_command, (std::vector<std::string>{"/usr/bin/sms", "--modem", "/dev/ttyUSB0"}));
    EXPECT_EQ(d.timeout_ms, 1500u);
    EXPECT_EQ(d.smtp_starttls, SmtpStartTls::none);
    EXPECT_EQ(d.credentials_file, "/root/secrets");
}

TEST(DeliveryConfigKeys, DefaultsAreSafe) {
    const DeliveryConfig d;
    EXPECT_EQ(d.sms_backend, SmsBackend::none);
    EXPECT_EQ(d.email_backend, EmailBackend::none);
    EXPECT_EQ(d.timeout_ms, 10000u);
    EXPECT_LE(d.connect_timeout_ms, d.timeout_ms);
    EXPECT_EQ(d.smtp_starttls, SmtpStartTls::required);
    EXPECT_EQ(d.credentials_file, "/etc/security/otpgate.secrets");
    EXPECT_EQ(d.twilio_api_url, "https://api.twilio.com");
    EXPECT_EQ(d.sendmail_path, "/usr/sbin/sendmail");
}

TEST(DeliveryConfigKeys, ModuleArgumentsOverrideTheFile) {
    Config config;
    CapturingLogger logger;
    ASSERT_TRUE(parse_config_text(config, "delivery_timeout_ms = 5000\n", "test.conf", logger));
    ASSERT_TRUE(
        apply_setting(config, "delivery_timeout_ms", "2000", {"module argument", 0}, logger));
    EXPECT_EQ(config.delivery.timeout_ms, 2000u);
    EXPECT_FALSE(
        apply_setting(config, "sms_backend", "carrier-pigeon", {"module argument", 0}, logger));
    EXPECT_TRUE(logger.contains("module argument: bad value for sms_backend"));
}

// The shipped example configuration documents every delivery key with its
// default; uncommented, those lines must give exactly the built-in values.
// (tests/docs checks that every key is there; this checks the values.)
TEST(DeliveryConfigKeys, DocumentedDefaultsAreTheBuiltInOnes) {
    std::ifstream file(std::string(OTPGATE_SOURCE_DIR) + "/conf/otpgate.conf");
    std::string uncommented;
    bool documented = false;
    for (std::string line; std::getline(file, line);) {
        // The same rule as tests/docs/config_keys_documented.cpp.
        if (line.size() > 1 && line[0] == '#' && line[1] != ' ' && line[1] != '-' &&
            line.find(" =") != std::string::npos) {
            line.erase(0, 1);
            documented = documented || line.rfind("sms_backend =", 0) == 0;
        }
        uncommented += line + "\n";
    }
    if (!documented) {
        GTEST_SKIP() << "conf/otpgate.conf does not document the delivery keys yet";
    }
    Config config;
    CapturingLogger logger;
    ASSERT_TRUE(parse_config_text(config, uncommented, "otpgate.conf", logger));
    for (const auto& line : logger.lines()) {
        ADD_FAILURE() << line.message;
    }
    EXPECT_TRUE(config.delivery == DeliveryConfig{});
    EXPECT_EQ(config.delivery.email_template, DeliveryConfig{}.email_template);
    EXPECT_EQ(config.delivery.email_verify_template, DeliveryConfig{}.email_verify_template);
    EXPECT_EQ(config.delivery.sms_verify_template, DeliveryConfig{}.sms_verify_template);
    EXPECT_EQ(config.delivery.sms_change_template, DeliveryConfig{}.sms_change_template);
    EXPECT_EQ(config.delivery.email_change_template, DeliveryConfig{}.email_change_template);
}

}  // namespace
}  // namespace otpgate::core
