#include "gateway_fixture.hpp"

#include <fstream>

#include <unistd.h>

namespace otpgate::test {

void GatewayTest::SetUp() {
    if (geteuid() != 0) {
        GTEST_SKIP() << "the credentials file must be owned by root";
    }
    logger.set_debug(true);
    write_credentials(std::string("twilio_auth_token = ") + twilio_token +
                      "\nhttp_password = gw-Pa55word-x1\nhttp_bearer_token = gw-Bearer-T0ken-y2\n");
}

void GatewayTest::start_gateway(const GatewayOptions& options) {
    const TestPki& pki = test_pki();
    std::vector<std::string> arguments = {"--log",     (dir / "requests.jsonl").string(),
                                          "--control", (dir / "control.json").string(),
                                          "--mode",    options.mode,
                                          "--status",  std::to_string(options.status)};
    if (options.plain_http) {
        arguments.emplace_back("--plain-http");
    } else {
        arguments.insert(
            arguments.end(),
            {"--cert", (options.rogue_certificate ? pki.rogue_cert : pki.server_cert).string(),
             "--key", (options.rogue_certificate ? pki.rogue_key : pki.server_key).string()});
    }
    if (!options.body.empty()) {
        arguments.insert(arguments.end(), {"--body", options.body});
    }
    plain_http = options.plain_http;
    gateway = start_test_server("sms_gateway.py", arguments);
}

std::string GatewayTest::gateway_url(const std::string& path) const {
    return std::string(plain_http ? "http" : "https") +
           "://127.0.0.1:" + std::to_string(gateway->port()) + path;
}

void GatewayTest::control(const nlohmann::json& settings) {
    // Written whole, then renamed: the gateway never reads half a file.
    const auto temporary = dir / "control.json.tmp";
    write_file(temporary, settings.dump());
    std::filesystem::rename(temporary, dir / "control.json");
}

std::vector<nlohmann::json> GatewayTest::requests() const {
    return read_json_lines(dir / "requests.jsonl");
}

core::Config GatewayTest::config(const std::string& text) {
    return parse_test_config("tls_ca_file = " + test_pki().ca.string() + "\ncredentials_file = " +
                             (dir / "secrets").string() + "\ndelivery_timeout_ms = 5000\n" + text);
}

void GatewayTest::write_credentials(const std::string& text) {
    write_file(dir / "secrets", text, 0600);
}

std::unique_ptr<core::MessageSender> GatewayTest::sender(const core::Config& config) {
    auto made = core::make_message_sender(config.delivery, core::Channel::sms, logger);
    EXPECT_TRUE(made.ok()) << made.error().message;
    return made.ok() ? std::move(made.value()) : nullptr;
}

core::OutgoingMessage GatewayTest::sms(core::MessageKind kind) {
    core::OutgoingMessage message;
    message.channel = core::Channel::sms;
    message.kind = kind;
    message.to = "+447700900123";
    message.user = "alice";
    message.host = "srv1";
    message.code = core::SecretString(test_code);
    message.valid_minutes = 5;
    return message;
}

core::DeliveryResult GatewayTest::send(core::MessageSender& sender,
                                       const core::OutgoingMessage& message) {
    const core::DeliveryResult result = sender.send(message);
    expect_no_secrets(result, logger,
                      {test_code, twilio_token, "gw-Pa55word-x1", "gw-Bearer-T0ken-y2"});
    return result;
}

}  // namespace otpgate::test
