#include <string>

#include <gtest/gtest.h>

#include "otpgate/core/enrollment/otpauth_uri.hpp"
#include "otpgate/core/system/host_name.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

TEST(PercentEncode, UnreservedCharactersStay) {
    const std::string unreserved =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    EXPECT_EQ(percent_encode(unreserved), unreserved);
    EXPECT_EQ(percent_encode(""), "");
}

TEST(PercentEncode, EverythingElseIsEncodedInUpperCaseHex) {
    EXPECT_EQ(percent_encode("a b"), "a%20b");
    EXPECT_EQ(percent_encode("alice@example.com"), "alice%40example.com");
    EXPECT_EQ(percent_encode("Acme:Corp/Dev?x=1&y#z%"), "Acme%3ACorp%2FDev%3Fx%3D1%26y%23z%25");
    EXPECT_EQ(percent_encode("+"), "%2B");
    EXPECT_EQ(percent_encode("caf\xc3\xa9"), "caf%C3%A9");  // UTF-8 bytes one by one
    EXPECT_EQ(percent_encode(std::string_view("\0\x7f\xff", 3)), "%00%7F%FF");
}

TEST(TotpUri, ExactFormat) {
    // "Hello!\xDE\xAD\xBE\xEF" is JBSWY3DPEHPK3PXP, the Key Uri Format example secret.
    const auto uri =
        totp_uri("Example Co", "alice@example.com", test::bytes_of("Hello!\xde\xad\xbe\xef"),
                 TotpParameters{HashAlgorithm::sha1, 6, 30});
    EXPECT_EQ(uri.view(),
              "otpauth://totp/Example%20Co:alice%40example.com?secret=JBSWY3DPEHPK3PXP"
              "&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30");
}

TEST(TotpUri, OtherParameters) {
    const auto uri = totp_uri("host.example", "bob", test::bytes_of("12345678901234567890"),
                              TotpParameters{HashAlgorithm::sha512, 8, 60});
    EXPECT_EQ(uri.view(),
              "otpauth://totp/host.example:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
              "&issuer=host.example&algorithm=SHA512&digits=8&period=60");
}

TEST(HostName, NeverEmpty) {
    EXPECT_FALSE(host_name().empty());
}

}  // namespace
}  // namespace otpgate::core
