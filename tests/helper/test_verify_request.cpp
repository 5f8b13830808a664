// What otpgate-verify accepts on its command line, and everything it refuses.
#include <gtest/gtest.h>

#include "verify_request.hpp"

namespace otpgate::verify {
namespace {

core::Config config_allowing_uk() {
    core::Config config;
    config.sms_allowed_countries = {"44"};
    return config;
}

TEST(VerifyRequest, ProveTakesNoArguments) {
    EXPECT_TRUE(std::holds_alternative<ProveCurrent>(parse_verify_request({"prove"}, {})));
    EXPECT_TRUE(std::holds_alternative<RequestError>(parse_verify_request({"prove", "x"}, {})));
}

TEST(VerifyRequest, AnAllowedNumberInE164) {
    const auto request = parse_verify_request({"sms", "+447700900123"}, config_allowing_uk());
    ASSERT_TRUE(std::holds_alternative<VerifyDestination>(request));
    const auto& destination = std::get<VerifyDestination>(request);
    EXPECT_EQ(destination.channel, core::Channel::sms);
    EXPECT_EQ(destination.destination, "+447700900123");
}

TEST(VerifyRequest, AnAddressIsNormalized) {
    const auto request = parse_verify_request({"email", "Alice@Example.COM"}, {});
    ASSERT_TRUE(std::holds_alternative<VerifyDestination>(request));
    EXPECT_EQ(std::get<VerifyDestination>(request).destination, "Alice@example.com");
}

TEST(VerifyRequest, NumbersOutsideTheAllowListAreRefused) {
    const auto request = parse_verify_request({"sms", "+33612345678"}, config_allowing_uk());
    ASSERT_TRUE(std::holds_alternative<RequestError>(request));
    EXPECT_NE(std::get<RequestError>(request).message.find("sms_allowed_countries"),
              std::string::npos);
    // With no allow-list at all, SMS goes nowhere.
    EXPECT_TRUE(
        std::holds_alternative<RequestError>(parse_verify_request({"sms", "+447700900123"}, {})));
}

TEST(VerifyRequest, TheChangesTheCommandHandsOver) {
    EXPECT_TRUE(std::holds_alternative<DisableEnrollment>(parse_verify_request({"disable"}, {})));
    EXPECT_TRUE(
        std::holds_alternative<RenewBackupCodes>(parse_verify_request({"backup-codes"}, {})));
    const auto bare = parse_verify_request({"confirm-totp"}, {});
    ASSERT_TRUE(std::holds_alternative<ConfirmTotp>(bare));
    EXPECT_EQ(std::get<ConfirmTotp>(bare).previous_email, "");
    const auto replacing = parse_verify_request({"confirm-totp", "Old@Example.NET"}, {});
    ASSERT_TRUE(std::holds_alternative<ConfirmTotp>(replacing));
    EXPECT_EQ(std::get<ConfirmTotp>(replacing).previous_email, "Old@example.net");
}

TEST(VerifyRequest, EnrollingADestinationSavesIt) {
    const auto sms = parse_verify_request({"enroll-sms", "+447700900123"}, config_allowing_uk());
    ASSERT_TRUE(std::holds_alternative<VerifyDestination>(sms));
    EXPECT_TRUE(std::get<VerifyDestination>(sms).enroll);
    EXPECT_EQ(std::get<VerifyDestination>(sms).channel, core::Channel::sms);
    const auto email = parse_verify_request({"enroll-email", "Alice@Example.COM"}, {});
    ASSERT_TRUE(std::holds_alternative<VerifyDestination>(email));
    EXPECT_TRUE(std::get<VerifyDestination>(email).enroll);
    EXPECT_EQ(std::get<VerifyDestination>(email).destination, "Alice@example.com");
    // Verifying alone saves nothing.
    const auto verify = parse_verify_request({"sms", "+447700900123"}, config_allowing_uk());
    ASSERT_TRUE(std::holds_alternative<VerifyDestination>(verify));
    EXPECT_FALSE(std::get<VerifyDestination>(verify).enroll);
    EXPECT_EQ(describe_request(sms), "enroll-sms +44•••••••123");
}

TEST(VerifyRequest, EnrollTotpTakesAnIssuerAndAQrStyle) {
    const auto bare = parse_verify_request({"enroll-totp"}, {});
    ASSERT_TRUE(std::holds_alternative<EnrollTotp>(bare));
    EXPECT_FALSE(std::get<EnrollTotp>(bare).issuer.has_value());
    EXPECT_EQ(std::get<EnrollTotp>(bare).qr, cli::QrStyle::automatic);
    const auto full =
        parse_verify_request({"enroll-totp", "--qr", "none", "--issuer", "Example Corp"}, {});
    ASSERT_TRUE(std::holds_alternative<EnrollTotp>(full));
    EXPECT_EQ(std::get<EnrollTotp>(full).issuer, "Example Corp");
    EXPECT_EQ(std::get<EnrollTotp>(full).qr, cli::QrStyle::none);
    EXPECT_EQ(describe_request(full), "enroll-totp");
}

TEST(VerifyRequest, ImportTakesForceAndAnAbsolutePath) {
    const auto bare = parse_verify_request({"import-google-authenticator"}, {});
    ASSERT_TRUE(std::holds_alternative<ImportGoogleAuthenticator>(bare));
    EXPECT_FALSE(std::get<ImportGoogleAuthenticator>(bare).force);
    EXPECT_FALSE(std::get<ImportGoogleAuthenticator>(bare).path.has_value());
    const auto full = parse_verify_request(
        {"import-google-authenticator", "--force", "/home/alice/ga-backup"}, {});
    ASSERT_TRUE(std::holds_alternative<ImportGoogleAuthenticator>(full));
    EXPECT_TRUE(std::get<ImportGoogleAuthenticator>(full).force);
    EXPECT_EQ(std::get<ImportGoogleAuthenticator>(full).path, "/home/alice/ga-backup");
    EXPECT_EQ(describe_request(full), "import-google-authenticator --force /home/alice/ga-backup");
}

TEST(VerifyRequest, StatusTakesNoArguments) {
    EXPECT_TRUE(std::holds_alternative<ShowStatus>(parse_verify_request({"status"}, {})));
    EXPECT_TRUE(
        std::holds_alternative<RequestError>(parse_verify_request({"status", "--user"}, {})));
    EXPECT_TRUE(std::holds_alternative<RequestError>(parse_verify_request({"status", "root"}, {})));
}

TEST(VerifyRequest, EverythingElseIsRefused) {
    const std::vector<std::vector<std::string>> refused = {
        {},
        {"sms"},
        {"email"},
        {"SMS", "+447700900123"},
        {"sms", "07700900123"},
        {"sms", "+44 7700 900123"},
        {"sms", "+4477009001234567"},
        {"sms", "+447700900123", "extra"},
        {"--user", "root", "sms", "+447700900123"},
        {"email", "alice@example.com\r\nBcc: x@example.org"},
        {"email", "<alice@example.com>"},
        {"email", "alice"},
        {"email", std::string(400, 'a') + "@example.com"},
        {"prove", std::string(1000, 'x')},
        {"relay", "+447700900123", "text"},
        {"disable", "--user"},
        {"disable", "root"},
        {"backup-codes", "10"},
        {"confirm-totp", "123456"},
        {"confirm-totp", "a@example.com", "b@example.com"},
        {"confirm-totp", "a@example.com\nBcc: x@example.org"},
        {"enroll-sms"},
        {"enroll-sms", "+33612345678"},
        {"enroll-sms", "+447700900123", "extra"},
        {"enroll-email", "alice"},
        {"enroll-email", "a@example.com", "b@example.com"},
        {"enroll-totp", "--issuer"},
        {"enroll-totp", "--issuer", ""},
        {"enroll-totp", "--issuer", "Evil\x1b[2J"},
        {"enroll-totp", "--issuer", "tab\there"},
        {"enroll-totp", "--issuer", std::string(257, 'x')},
        {"enroll-totp", "--issuer", "a", "--issuer", "b"},
        {"enroll-totp", "--qr", "sixel"},
        {"enroll-totp", "--qr", "none", "--qr", "ansi"},
        {"enroll-totp", "--user", "root"},
        {"enroll-totp", "--qr", "none", "--issuer", "a", "x"},
        {"import-google-authenticator", "relative/path"},
        {"import-google-authenticator", ""},
        {"import-google-authenticator", "/a", "/b"},
        {"import-google-authenticator", "/a", "--force"},
        {"import-google-authenticator", "--force", "--force"},
        {"import-google-authenticator", "--user", "root"},
        {"import-google-authenticator", "/" + std::string(400, 'a')},
    };
    for (const auto& arguments : refused) {
        SCOPED_TRACE(::testing::PrintToString(arguments));
        EXPECT_TRUE(std::holds_alternative<RequestError>(
            parse_verify_request(arguments, config_allowing_uk())));
    }
}

}  // namespace
}  // namespace otpgate::verify
