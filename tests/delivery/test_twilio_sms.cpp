// The twilio preset against the local gateway: the exact request libcurl
// sends (Twilio Messages API: form POST, basic auth SID:token).
#include <string>

#include "gateway_fixture.hpp"

namespace otpgate::test {
namespace {

// base64("AC0123456789abcdef0123456789abcdef:twilio-T0ken-9f8e7d"), by coreutils base64.
const std::string twilio_basic =
    "Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjp0d2lsaW8tVDBrZW4tOWY4ZTdk";

class TwilioSms : public GatewayTest {
protected:
    core::Config twilio_config(const std::string& extra) {
        return config("sms_backend = twilio\ntwilio_account_sid = " + std::string(twilio_sid) +
                      "\ntwilio_api_url = " + gateway_url() + "\n" + extra);
    }
};

TEST_F(TwilioSms, SendsTheExactMessagesApiRequest) {
    start_gateway();
    auto sender_ =
        sender(twilio_config("twilio_from = +15005550006\n" + std::string(tricky_template) + "\n"));
    ASSERT_TRUE(sender_);
    const auto result = send(*sender_, sms());
    EXPECT_TRUE(result.delivered) << result.detail;
    EXPECT_EQ(result.detail, "gateway answered HTTP 201");

    const auto seen = requests();
    ASSERT_EQ(seen.size(), 1u);
    const auto& request = seen.front();
    EXPECT_EQ(request["method"], "POST");
    EXPECT_EQ(request["path"],
              "/2010-04-01/Accounts/" + std::string(twilio_sid) + "/Messages.json");
    EXPECT_EQ(header_value(request, "Authorization"), twilio_basic);
    EXPECT_EQ(header_value(request, "Content-Type"), "application/x-www-form-urlencoded");
    EXPECT_EQ(header_value(request, "User-Agent"), "otpgate/" OTPGATE_VERSION);
    EXPECT_FALSE(has_header(request, "Expect"));
    const std::string body = "To=%2B447700900123&From=%2B15005550006&Body=" + tricky_form;
    EXPECT_EQ(base64_decode(request["body_b64"].get<std::string>()), body);
    EXPECT_EQ(header_value(request, "Content-Length"), std::to_string(body.size()));
    // And as a form decoder reads it.
    EXPECT_EQ(request["form"]["To"][0], "+447700900123");
    EXPECT_EQ(request["form"]["From"][0], "+15005550006");
    EXPECT_EQ(request["form"]["Body"][0], tricky_text);
}

TEST_F(TwilioSms, UsesTheMessagingServiceAndTheVerificationText) {
    start_gateway();
    auto sender_ = sender(
        twilio_config("twilio_messaging_service_sid = MG0123456789abcdef0123456789abcdef\n"));
    ASSERT_TRUE(sender_);
    const auto result = send(*sender_, sms(core::MessageKind::verification_code));
    EXPECT_TRUE(result.delivered) << result.detail;
    const auto seen = requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(base64_decode(seen[0]["body_b64"].get<std::string>()),
              "To=%2B447700900123&MessagingServiceSid=MG0123456789abcdef0123456789abcdef&Body="
              "482916+is+your+code+to+confirm+this+phone+number+for+srv1.+It+expires+in+5+"
              "minutes.");
}

TEST_F(TwilioSms, AnErrorAnswerNamesTheTwilioCodeButNotItsText) {
    start_gateway(answering(400,
                            R"({"code": 21211, "message": "The 'To' number +447700900123 is not a )"
                            R"(valid phone number.", "more_info": "https://www.twilio.com/docs/)"
                            R"(errors/21211", "status": 400})"));
    auto sender_ = sender(twilio_config("twilio_from = OTPGATE\n"));
    ASSERT_TRUE(sender_);
    const auto result = send(*sender_, sms());
    EXPECT_FALSE(result.delivered);
    EXPECT_EQ(result.detail, "gateway answered HTTP 400 (Twilio error 21211)");
    ASSERT_EQ(requests().size(), 1u);
    EXPECT_EQ(requests()[0]["form"]["From"][0], "OTPGATE");
}

TEST_F(TwilioSms, AnApiUrlWithATrailingSlashGivesTheSamePath) {
    start_gateway();
    auto sender_ =
        sender(config("sms_backend = twilio\ntwilio_account_sid = " + std::string(twilio_sid) +
                      "\ntwilio_api_url = " + gateway_url("/") + "\ntwilio_from = +15005550006\n"));
    ASSERT_TRUE(sender_);
    EXPECT_TRUE(send(*sender_, sms()).delivered);
    ASSERT_EQ(requests().size(), 1u);
    EXPECT_EQ(requests()[0]["path"],
              "/2010-04-01/Accounts/" + std::string(twilio_sid) + "/Messages.json");
}

}  // namespace
}  // namespace otpgate::test
