// A test with its own SMS gateway (tests/servers/sms_gateway.py) on
// 127.0.0.1, a credentials file and a config that trusts the test CA.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "delivery_test_support.hpp"
#include "otpgate/core/config/config.hpp"
#include "otpgate/core/delivery/message.hpp"

namespace otpgate::test {

// An SMS text with every character the body encodings must get right, as
// an sms_template line, the text it renders to (code 482916, user alice),
// and that text form-encoded (computed independently with Python's urllib,
// '~' encoded as WHATWG does).
inline constexpr const char* tricky_template =
    R"(sms_template = Code {code} for {user} & co = "ok" \\ back\nline ünïcode € +~*)";
inline const std::string tricky_text =
    "Code 482916 for alice & co = \"ok\" \\ back\nline \xC3\xBCn\xC3\xAF"
    "code \xE2\x82\xAC +~*";
inline const std::string tricky_form =
    "Code+482916+for+alice+%26+co+%3D+%22ok%22+%5C+back%0Aline+%C3%BCn%C3%AFcode+%E2%82%AC+%2B%7E*";

inline constexpr const char* twilio_sid = "AC0123456789abcdef0123456789abcdef";
inline constexpr const char* twilio_token = "twilio-T0ken-9f8e7d";
inline constexpr const char* test_code = "482916";

class GatewayTest : public ::testing::Test {
protected:
    void SetUp() override;

    struct GatewayOptions {
        bool rogue_certificate = false;  // signed by a CA the client does not trust
        bool plain_http = false;
        std::string mode = "answer";
        int status = 201;
        std::string body;  // empty: the gateway's default
    };
    static GatewayOptions answering(int status, std::string body = {}) {
        GatewayOptions options;
        options.status = status;
        options.body = std::move(body);
        return options;
    }
    static GatewayOptions in_mode(std::string mode) {
        GatewayOptions options;
        options.mode = std::move(mode);
        return options;
    }
    void start_gateway(const GatewayOptions& options);
    void start_gateway() { start_gateway(GatewayOptions{}); }
    // "https://127.0.0.1:PORT" + path (http:// for a plain gateway).
    [[nodiscard]] std::string gateway_url(const std::string& path = "") const;
    // Changes how the running gateway answers (see sms_gateway.py).
    void control(const nlohmann::json& settings);
    [[nodiscard]] std::vector<nlohmann::json> requests() const;

    // Parses `text` after the shared lines (CA, credentials file, timeouts).
    core::Config config(const std::string& text);
    void write_credentials(const std::string& text);
    std::unique_ptr<core::MessageSender> sender(const core::Config& config);

    static core::OutgoingMessage sms(core::MessageKind kind = core::MessageKind::login_code);
    // Sends and checks that no secret leaked into the result or the log.
    core::DeliveryResult send(core::MessageSender& sender, const core::OutgoingMessage& message);

    TempDir dir;
    core::CapturingLogger logger;
    std::unique_ptr<ServerProcess> gateway;
    bool plain_http = false;
};

}  // namespace otpgate::test
