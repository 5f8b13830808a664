// Templates: placeholders, escaping per body type, checks, JSON, SMS sizes.
#include <string>

#include <gtest/gtest.h>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/delivery/message_template.hpp"
#include "otpgate/core/delivery/message_text.hpp"
#include "otpgate/core/transport/json_text.hpp"

namespace otpgate::core {
namespace {

// Every character a body must survive: & = " \ newline, tab, a control
// character, non-ASCII (2- and 3-byte UTF-8), + ~ * and a brace.
const std::string tricky = "a & b = \"c\" \\ d\ne\tf\x01 \xC3\xBC\xE2\x82\xAC +~*{";

std::string text(const SecretString& secret) {
    return std::string(secret.view());
}

TEST(FormEncoding, FollowsTheUrlencodedSerializer) {
    // WHATWG application/x-www-form-urlencoded: alphanumerics and *-._ stay,
    // space is '+', every other byte %XX with capital hex digits.
    EXPECT_EQ(form_encode(tricky),
              "a+%26+b+%3D+%22c%22+%5C+d%0Ae%09f%01+%C3%BC%E2%82%AC+%2B%7E*%7B");
    EXPECT_EQ(form_encode("+447700900123"), "%2B447700900123");
    EXPECT_EQ(form_encode("Az09-._*"), "Az09-._*");
}

TEST(JsonEscaping, EscapesQuotesBackslashesAndControlsAndKeepsUtf8) {
    std::string out;
    append_json_escaped(out, tricky);
    EXPECT_EQ(out, "a & b = \\\"c\\\" \\\\ d\\ne\\tf\\u0001 \xC3\xBC\xE2\x82\xAC +~*{");
    EXPECT_TRUE(is_valid_json("\"" + out + "\""));
}

TEST(JsonEscaping, ReplacesInvalidUtf8AndEscapesDelete) {
    std::string out;
    append_json_escaped(out, "x\xFFy\x7F\xC3");
    EXPECT_EQ(out, "x\\ufffdy\\u007f\\ufffd");
    out.clear();
    append_json_escaped(out, "\xED\xA0\x80");  // a UTF-16 surrogate in UTF-8: invalid
    EXPECT_EQ(out, "\\ufffd\\ufffd\\ufffd");
    out.clear();
    append_json_escaped(out, "\xF0\x9F\x98\x80\b\f\r");  // U+1F600 passes through
    EXPECT_EQ(out, "\xF0\x9F\x98\x80\\b\\f\\r");
}

TEST(JsonValidity, AcceptsDocumentsAndRejectsBrokenOnes) {
    for (const char* good : {R"({"a":[1,-2.5e3,true,false,null,{"b":"\u00fc\n"}]})", "[]", "{}",
                             " \"x\" ", "0", R"({"msisdn":"447700900123"})"}) {
        EXPECT_TRUE(is_valid_json(good)) << good;
    }
    for (const char* bad :
         {"", "{", R"({"a":})", R"({"a":1,})", "[1,]", R"({"a" 1})", "01", R"("unterminated)",
          R"({"a":"x"} trailing)", "tru", R"("bad \x")", "\"raw\nline\"", R"({a:1})", "1.", "-"}) {
        EXPECT_FALSE(is_valid_json(bad)) << bad;
    }
    EXPECT_FALSE(is_valid_json(std::string(40, '[') + std::string(40, ']')));  // too deep
}

// What the generic gateway's body check refuses, each for the reason a
// strict parser at the gateway would.
TEST(JsonValidity, RefusesWhatStrictParsersRefuse) {
    using namespace std::string_literals;
    for (const std::string& bad :
         {"[1]\0"s, "\0[1]"s, "\"a\0b\""s,  // NUL, anywhere
          "\xEF\xBB\xBF{}"s,                // a byte order mark
          "/* c */ 1"s, "1 // c"s, "[1,] "s, "+1"s, "-01"s, ".5"s, "NaN"s, "[1 2]"s, "\"\x1f\""s,
          "\"\\U00e9\""s, "\"\\u00g9\""s,  // a control byte, bad escapes
          // Bad UTF-8: a stray byte, an overlong form, a surrogate, past
          // U+10FFFF, cut short.
          "\"\xFF\""s, "\"\xC0\xAF\""s, "\"\xED\xA0\x80\""s, "\"\xF4\x90\x80\x80\""s, "\"\xC3\""s,
          // Beyond a double's range: refused since the check is
          // nlohmann::json's (the hand-written one took them).
          "1e400"s, "[-1E+999]"s}) {
        EXPECT_FALSE(is_valid_json(bad)) << bad;
    }
    for (const std::string& good :
         {"\"\x7f \xC3\xA9 \xF0\x9F\x98\x80\""s, R"("\/\b\f\n\r\t\"\\")"s, "-0"s, "1e-400"s,
          "123456789012345678901234567890"s, " \t\r\n{\"a\" : [ ] }\n"s}) {
        EXPECT_TRUE(is_valid_json(good)) << good;
    }
}

TEST(JsonValidity, AcceptsUtf16SurrogatesOnlyInPairs) {
    EXPECT_TRUE(is_valid_json(R"("\ud83d\ude00")"));
    EXPECT_TRUE(is_valid_json(R"("\uD83D\uDE00")"));
    EXPECT_FALSE(is_valid_json(R"("\ud83d")"));        // high alone
    EXPECT_FALSE(is_valid_json(R"("\ude00\ud83d")"));  // low before high
    EXPECT_FALSE(is_valid_json(R"("\ud83d\ud83d")"));  // two highs
    EXPECT_FALSE(is_valid_json(R"("\ud83d x")"));      // high, then no escape
}

// Every value inside at most 32 arrays or objects (brackets in strings do
// not count): an empty one may sit 33 deep, nothing deeper.
TEST(JsonValidity, NestsValuesAtMost32Deep) {
    const auto arrays = [](std::size_t depth, const std::string& inner) {
        return std::string(depth, '[') + inner + std::string(depth, ']');
    };
    const auto objects = [](std::size_t depth, const std::string& inner) {
        std::string out;
        for (std::size_t i = 0; i < depth; ++i) {
            out += "{\"k\":";
        }
        out += inner;
        return out + std::string(depth, '}');
    };
    EXPECT_TRUE(is_valid_json(arrays(32, "1")));
    EXPECT_FALSE(is_valid_json(arrays(33, "1")));
    EXPECT_TRUE(is_valid_json(arrays(33, "")));
    EXPECT_TRUE(is_valid_json(arrays(32, " [ ] ")));
    EXPECT_FALSE(is_valid_json(arrays(34, "")));
    EXPECT_TRUE(is_valid_json(arrays(32, R"("[[[{{{\"]")")));
    EXPECT_TRUE(is_valid_json(objects(32, "null")));
    EXPECT_FALSE(is_valid_json(objects(33, "null")));
    EXPECT_TRUE(is_valid_json(objects(32, "{}")));
    EXPECT_FALSE(is_valid_json(objects(32, "{\"k\":1}")));
}

TEST(TemplateRendering, FillsPlaceholdersAndKeepsOtherBraces) {
    TemplateValues values;
    values.to = "+447700900123";
    values.to_digits = "447700900123";
    values.code = "123456";
    values.user = "alice";
    values.host = "srv1";
    values.minutes = "5";
    values.message = tricky;
    EXPECT_EQ(text(render_template("{code} for {user}@{host}, {minutes} min, to {to}", values,
                                   Escaping::none)),
              "123456 for alice@srv1, 5 min, to +447700900123");
    EXPECT_EQ(text(render_template(R"({"recipient":[{"msisdn":"{to_digits}"}],"x":{unknown},"{"})",
                                   values, Escaping::json)),
              R"({"recipient":[{"msisdn":"447700900123"}],"x":{unknown},"{"})");
    EXPECT_EQ(text(render_template("to={to}&message={message}", values, Escaping::form)),
              "to=%2B447700900123&message=" + form_encode(tricky));
    const std::string json =
        text(render_template(R"({"message":"{message}"})", values, Escaping::json));
    EXPECT_TRUE(is_valid_json(json)) << json;
}

TEST(TemplateChecks, ReportUnknownPlaceholdersAndMissingCode) {
    EXPECT_EQ(check_template("{code} is your code", TemplateUse::message_text), "");
    EXPECT_NE(check_template("{cod} is your code {code}", TemplateUse::message_text)
                  .find("unknown placeholder {cod}"),
              std::string::npos);
    EXPECT_EQ(check_template("your code, no placeholder", TemplateUse::message_text),
              "must contain {code}");
    EXPECT_NE(check_template("{code} {message}", TemplateUse::message_text).find("{message}"),
              std::string::npos);
    EXPECT_EQ(check_template("Your {host} code", TemplateUse::subject), "");
    EXPECT_EQ(check_template(R"({"m":"{message}","n":"{to_digits}"})", TemplateUse::http_body), "");
    EXPECT_EQ(check_template("to={to}", TemplateUse::http_body),
              "must contain {message} or {code}");
    // Braces that are not placeholders are fine anywhere.
    EXPECT_EQ(check_template("{} {Code} {1} {code}", TemplateUse::message_text), "");
}

TEST(LineEscapes, DecodeNewlineAndBackslashOnly) {
    std::string out;
    EXPECT_EQ(decode_line_escapes(R"(a\nb\\n)", out), "");
    EXPECT_EQ(out, "a\nb\\n");
    EXPECT_NE(decode_line_escapes(R"(a\tb)", out), "");
    EXPECT_NE(decode_line_escapes("trailing\\", out), "");
}

TEST(SmsSize, CountsGsmSeptetsOrUcs2Units) {
    EXPECT_EQ(sms_size(std::string(160, 'a')).units, 160u);
    EXPECT_TRUE(sms_size(std::string(160, 'a')).gsm7);
    const SmsSize euro = sms_size("\xE2\x82\xAC{");  // extension characters count twice
    EXPECT_TRUE(euro.gsm7);
    EXPECT_EQ(euro.units, 4u);
    EXPECT_TRUE(sms_size("\xC3\xBC\xC3\xA9\xC3\x87").gsm7);  // ü é Ç are GSM
    const SmsSize cedilla = sms_size("a\xC3\xA7");           // ç is not
    EXPECT_FALSE(cedilla.gsm7);
    EXPECT_EQ(cedilla.units, 2u);
    EXPECT_EQ(cedilla.single_sms_limit(), 70u);
    EXPECT_EQ(sms_size("\xF0\x9F\x98\x80").units, 2u);  // a surrogate pair in UCS-2
}

TEST(ComposedText, PicksTheTemplateForEachKind) {
    DeliveryConfig config;
    OutgoingMessage message;
    message.to = "+447700900123";
    message.user = "alice";
    message.host = "srv1";
    message.code = SecretString("123456");
    message.valid_minutes = 5;
    EXPECT_EQ(text(compose_sms_text(config, message)),
              "123456 is your srv1 login code. It expires in 5 minutes.");
    message.kind = MessageKind::verification_code;
    EXPECT_EQ(
        text(compose_sms_text(config, message)),
        "123456 is your code to confirm this phone number for srv1. It expires in 5 minutes.");
    message.kind = MessageKind::notice;
    message.code.clear();
    message.notice_text = "SMS codes were turned on for alice.";
    EXPECT_EQ(text(compose_sms_text(config, message)), "SMS codes were turned on for alice.");

    message.channel = Channel::email;
    message.to = "alice@example.com";
    const EmailText notice = compose_email_text(config, message);
    EXPECT_EQ(text(notice.subject), "Second factor changed on srv1");
    EXPECT_EQ(text(notice.body), "SMS codes were turned on for alice.");
    message.kind = MessageKind::login_code;
    message.code = SecretString("654321");
    const EmailText login = compose_email_text(config, message);
    EXPECT_EQ(text(login.subject), "Your srv1 login code");
    EXPECT_EQ(text(login.body).rfind("Hello alice,\n\n654321 is your login code for srv1.", 0), 0u);
}

// Three purposes, three texts: only the login code speaks of a login, and
// only the change code warns that someone may be changing the factor.
TEST(ComposedText, EachPurposeOfACodeHasItsOwnText) {
    const DeliveryConfig config;
    OutgoingMessage message;
    message.user = "alice";
    message.host = "srv1";
    message.code = SecretString("123456");
    message.valid_minutes = 5;
    message.to = "+447700900123";

    message.kind = MessageKind::change_code;
    EXPECT_EQ(text(compose_sms_text(config, message)),
              "123456 confirms a change to your srv1 second factor. Not you? Someone may be "
              "trying to change it: contact your administrator.");
    EXPECT_LE(sms_size(text(compose_sms_text(config, message))).units, 160u);

    message.channel = Channel::email;
    message.to = "alice@example.com";
    const EmailText change = compose_email_text(config, message);
    EXPECT_EQ(text(change.subject), "Confirm a change to your second factor on srv1");
    EXPECT_EQ(text(change.body),
              "Hello alice,\n\n123456 is your code to confirm a change to your second factor on "
              "srv1. It expires in 5 minutes.\n\nIf you did not ask for this, someone may be "
              "trying to change your second factor: contact your administrator.\n");

    for (const Channel channel : {Channel::sms, Channel::email}) {
        message.channel = channel;
        const auto words = [&](MessageKind kind) {
            message.kind = kind;
            if (channel == Channel::sms) {
                return text(compose_sms_text(config, message));
            }
            const EmailText email = compose_email_text(config, message);
            return text(email.subject) + "\n" + text(email.body);
        };
        const std::string login = words(MessageKind::login_code);
        const std::string verify = words(MessageKind::verification_code);
        const std::string confirm = words(MessageKind::change_code);
        EXPECT_NE(login.find("login"), std::string::npos) << login;
        EXPECT_EQ(verify.find("login"), std::string::npos) << verify;
        EXPECT_EQ(confirm.find("login"), std::string::npos) << confirm;
        EXPECT_NE(verify.find("confirm this"), std::string::npos) << verify;
        EXPECT_NE(confirm.find("a change to your"), std::string::npos) << confirm;
        for (const std::string& other : {login, verify}) {
            EXPECT_EQ(other.find("a change to your"), std::string::npos) << other;
        }
    }
    EXPECT_EQ(message_kind_name(MessageKind::change_code), "change_code");
}

TEST(ComposedText, TheChangeTextIsConfigurable) {
    Config config;
    CapturingLogger logger;
    ASSERT_TRUE(parse_config_text(config,
                                  "sms_change_template = {code} changes {user}'s factor\n"
                                  "email_change_subject = Change on {host}\n"
                                  "email_change_template = Code {code}\n",
                                  "test.conf", logger));
    OutgoingMessage message;
    message.kind = MessageKind::change_code;
    message.user = "alice";
    message.host = "srv1";
    message.code = SecretString("123456");
    EXPECT_EQ(text(compose_sms_text(config.delivery, message)), "123456 changes alice's factor");
    message.channel = Channel::email;
    const EmailText email = compose_email_text(config.delivery, message);
    EXPECT_EQ(text(email.subject), "Change on srv1");
    EXPECT_EQ(text(email.body), "Code 123456");
}

}  // namespace
}  // namespace otpgate::core
