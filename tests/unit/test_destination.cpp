// Phone numbers and email addresses: validation, masking, fingerprints,
// the SMS country allow-list.
#include <gtest/gtest.h>

#include "otpgate/core/primitives/destination.hpp"

namespace otpgate::core {
namespace {

TEST(Destination, E164) {
    for (const char* good : {"+447700900123", "+12025550123", "+4915112345678", "+35312345678"}) {
        EXPECT_TRUE(is_e164(good)) << good;
    }
    for (const char* bad :
         {"", "+", "447700900123", "+0447700900123", "+44 7700 900123", "+44-7700900123",
          "+1234567", "+1234567890123456", "+44770090012a", "++447700900123"}) {
        EXPECT_FALSE(is_e164(bad)) << bad;
    }
}

TEST(Destination, EmailNormalization) {
    EXPECT_EQ(normalize_email("Alice.Smith+2fa@Example.COM"), "Alice.Smith+2fa@example.com");
    EXPECT_EQ(normalize_email("a@b.co"), "a@b.co");
    for (const char* bad :
         {"", "alice", "@example.com", "alice@", "alice@example", "alice@@example.com",
          "alice smith@example.com", "\"alice\"@example.com", "alice@example.com\r\nBcc: x@y.z",
          "alice@exa_mple.com", ".alice@example.com", "alice.@example.com", "al..ice@example.com",
          "alice@-example.com", "alice@example-.com", "<alice@example.com>",
          "alice,bob@example.com", "alice@example..com"}) {
        EXPECT_FALSE(normalize_email(bad).has_value()) << bad;
    }
    EXPECT_FALSE(normalize_email(std::string(65, 'a') + "@example.com").has_value());
    EXPECT_FALSE(normalize_email("a@" + std::string(64, 'b') + ".com").has_value());
}

TEST(Destination, Masking) {
    EXPECT_EQ(mask_phone("+447700900789"), "+44\u2022\u2022\u2022\u2022\u2022\u2022\u2022789");
    EXPECT_EQ(mask_email("alice@example.com"), "a\u2022\u2022\u2022@example.com");
    EXPECT_EQ(mask_destination(Channel::sms, "+12025550123"),
              "+12\u2022\u2022\u2022\u2022\u2022\u2022123");
    EXPECT_EQ(mask_destination(Channel::email, "b@x.org"), "b\u2022\u2022\u2022@x.org");
    // Never more of the number than the first three and last three characters.
    const std::string masked = mask_phone("+4915112345678");
    EXPECT_EQ(masked.find("1123456"), std::string::npos);
}

TEST(Destination, FingerprintsDependOnChannelAndDestination) {
    const std::string sms = destination_fingerprint(Channel::sms, "+447700900123");
    EXPECT_EQ(sms.size(), 64u);
    EXPECT_EQ(sms, destination_fingerprint(Channel::sms, "+447700900123"));
    EXPECT_NE(sms, destination_fingerprint(Channel::sms, "+447700900124"));
    EXPECT_NE(destination_fingerprint(Channel::email, "a@b.co"),
              destination_fingerprint(Channel::sms, "a@b.co"));
    // SHA-256("sms:+447700900123"), computed with sha256sum.
    EXPECT_EQ(destination_fingerprint(Channel::sms, "+447700900123"),
              "0ada9708c8d2498003f7b035f4fd576cef890c5f95e3525bd6a911792c85ac88");
}

TEST(Destination, SmsCountryAllowList) {
    const std::vector<std::string> uk_and_nanp = {"44", "1"};
    EXPECT_TRUE(sms_country_allowed("+447700900123", uk_and_nanp));
    EXPECT_TRUE(sms_country_allowed("+12025550123", uk_and_nanp));
    EXPECT_FALSE(sms_country_allowed("+4915112345678", uk_and_nanp));
    EXPECT_FALSE(sms_country_allowed("+8821612345678", uk_and_nanp));  // satellite, premium
    EXPECT_FALSE(sms_country_allowed("+447700900123", {}));            // empty allows none
    EXPECT_FALSE(sms_country_allowed("447700900123", uk_and_nanp));    // not E.164
}

}  // namespace
}  // namespace otpgate::core
