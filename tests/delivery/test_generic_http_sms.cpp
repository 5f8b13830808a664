// The generic HTTP gateway against the local gateway: bodies escaped for
// form and JSON, auth, method, headers, the success check, and the shipped
// LabsMobile example configuration.
#include <string>

#include "gateway_fixture.hpp"
#include "otpgate/core/config/config.hpp"

namespace otpgate::test {
namespace {

// By Python's json.dumps(text, ensure_ascii=False).
const std::string tricky_json =
    R"(Code 482916 for alice & co = \"ok\" \\ back\nline ünïcode € +~*)";

const std::string labsmobile_success =
    R"({"subid":"65f0c1a2b3c4d","code":"0","message":"Message has been successfully sent."})";

class GenericSms : public GatewayTest {};

TEST_F(GenericSms, FormBodyWithTheDefaultTemplate) {
    start_gateway(answering(200));
    auto sender_ =
        sender(config("sms_backend = generic\nhttp_url = " + gateway_url("/api/send?account=7") +
                      "\n" + tricky_template + "\n"));
    ASSERT_TRUE(sender_);
    const auto result = send(*sender_, sms());
    EXPECT_TRUE(result.delivered) << result.detail;
    EXPECT_EQ(result.detail, "gateway answered HTTP 200");
    const auto seen = requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0]["method"], "POST");
    EXPECT_EQ(seen[0]["path"], "/api/send?account=7");
    EXPECT_EQ(header_value(seen[0], "Content-Type"), "application/x-www-form-urlencoded");
    EXPECT_FALSE(has_header(seen[0], "Authorization"));
    EXPECT_EQ(base64_decode(seen[0]["body_b64"].get<std::string>()),
              "to=%2B447700900123&message=" + tricky_form);
    EXPECT_EQ(seen[0]["form"]["message"][0], tricky_text);
}

TEST_F(GenericSms, JsonBodyWithBasicAuth) {
    start_gateway(answering(200));
    auto sender_ = sender(config(
        "sms_backend = generic\nhttp_url = " + gateway_url("/json/send") +
        "\nhttp_body_type = json\n"
        R"(http_body = {"message":"{message}","tpoa":"otpgate","recipient":[{"msisdn":"{to_digits}"}]})"
        "\nhttp_auth = basic\nhttp_username = labs@example.com\n" +
        tricky_template + "\n"));
    ASSERT_TRUE(sender_);
    EXPECT_TRUE(send(*sender_, sms()).delivered);
    const auto seen = requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(header_value(seen[0], "Content-Type"), "application/json");
    EXPECT_EQ(header_value(seen[0], "Authorization"),
              "Basic " + base64("labs@example.com:gw-Pa55word-x1"));
    EXPECT_EQ(base64_decode(seen[0]["body_b64"].get<std::string>()),
              R"({"message":")" + tricky_json +
                  R"(","tpoa":"otpgate","recipient":[{"msisdn":"447700900123"}]})");
    ASSERT_TRUE(seen[0].contains("json")) << seen[0].dump();
    EXPECT_EQ(seen[0]["json"]["message"], tricky_text);
    EXPECT_EQ(seen[0]["json"]["recipient"][0]["msisdn"], "447700900123");
}

TEST_F(GenericSms, BearerTokenPutAndExtraHeaders) {
    start_gateway(answering(202));
    auto sender_ = sender(config("sms_backend = generic\nhttp_url = " + gateway_url("/v2/sms") +
                                 "\nhttp_method = PUT\nhttp_auth = bearer\n"
                                 "http_headers = X-Api-Key: abc def | X-Tenant: 42\n"
                                 "http_body = number={to}&text={message}&code={code}\n"));
    ASSERT_TRUE(sender_);
    const auto result = send(*sender_, sms());
    EXPECT_TRUE(result.delivered) << result.detail;
    const auto seen = requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0]["method"], "PUT");
    EXPECT_EQ(header_value(seen[0], "Authorization"), "Bearer gw-Bearer-T0ken-y2");
    EXPECT_EQ(header_value(seen[0], "X-Api-Key"), "abc def");
    EXPECT_EQ(header_value(seen[0], "X-Tenant"), "42");
    EXPECT_EQ(seen[0]["form"]["code"][0], "482916");
    EXPECT_EQ(seen[0]["form"]["number"][0], "+447700900123");
}

TEST_F(GenericSms, SuccessTextMustAppearWhenConfigured) {
    start_gateway(answering(200, labsmobile_success));
    const std::string base = "sms_backend = generic\nhttp_url = " + gateway_url("/send") + "\n";
    auto found = sender(config(base + R"(http_success_contains = ""code":"0"")"
                                      "\n"));
    ASSERT_TRUE(found);
    EXPECT_TRUE(send(*found, sms()).delivered);

    control({{"status", 200},
             {"body", R"({"code":"35","message":"The account has no enough credit"})"}});
    const auto refused = send(*found, sms());
    EXPECT_FALSE(refused.delivered);
    EXPECT_EQ(refused.detail,
              "gateway answered HTTP 200 without the configured success text "
              "(http_success_contains) in its response");
    EXPECT_EQ(refused.detail.find("credit"), std::string::npos);
}

TEST_F(GenericSms, PlainHttpToARelayOnThisHost) {
    auto options = answering(200);
    options.plain_http = true;
    start_gateway(options);
    auto sender_ =
        sender(config("sms_backend = generic\nhttp_url = " + gateway_url("/relay") + "\n"));
    ASSERT_TRUE(sender_);
    EXPECT_TRUE(send(*sender_, sms()).delivered);
    EXPECT_EQ(requests().size(), 1u);
}

// conf/sms-labsmobile.conf as shipped, pointed at the local gateway: the
// request has the shape LabsMobile's JSON API documents.
TEST_F(GenericSms, TheShippedLabsMobileExampleWorks) {
    start_gateway(answering(200, labsmobile_success));
    core::Config shipped = config("");
    core::CapturingLogger parse_log;
    ASSERT_TRUE(core::parse_config_text(
        shipped, read_file(std::string(OTPGATE_SOURCE_DIR) + "/conf/sms-labsmobile.conf"),
        "sms-labsmobile.conf", parse_log));
    for (const auto& line : parse_log.lines()) {
        ADD_FAILURE() << line.message;
    }
    EXPECT_EQ(shipped.delivery.http_url, "https://api.labsmobile.com/json/send");
    const core::SettingOrigin here{"test", 0};
    ASSERT_TRUE(
        core::apply_setting(shipped, "http_url", gateway_url("/json/send"), here, parse_log));
    ASSERT_TRUE(core::apply_setting(shipped, "credentials_file", (dir / "secrets").string(), here,
                                    parse_log));
    ASSERT_TRUE(
        core::apply_setting(shipped, "tls_ca_file", test_pki().ca.string(), here, parse_log));
    auto sender_ = sender(shipped);
    ASSERT_TRUE(sender_);
    const auto result = send(*sender_, sms());
    EXPECT_TRUE(result.delivered) << result.detail;

    const auto seen = requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0]["method"], "POST");
    EXPECT_EQ(seen[0]["path"], "/json/send");
    EXPECT_EQ(header_value(seen[0], "Content-Type"), "application/json");
    EXPECT_EQ(header_value(seen[0], "Authorization"),
              "Basic " + base64(shipped.delivery.http_username + ":gw-Pa55word-x1"));
    const auto& json = seen[0]["json"];
    EXPECT_EQ(json["message"], "482916 is your srv1 login code. It expires in 5 minutes.");
    EXPECT_TRUE(json["tpoa"].is_string());
    ASSERT_TRUE(json["recipient"].is_array());
    EXPECT_EQ(json["recipient"][0]["msisdn"], "447700900123");

    control({{"status", 200}, {"body", R"({"code":"35","message":"No credit"})"}});
    EXPECT_FALSE(send(*sender_, sms()).delivered);
}

}  // namespace
}  // namespace otpgate::test
