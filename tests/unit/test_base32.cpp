#include <random>
#include <string>

#include <gtest/gtest.h>

#include "otpgate/core/primitives/base32.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

using test::bytes_of;
using test::text_of;

std::string without_padding(std::string text) {
    while (!text.empty() && text.back() == '=') {
        text.pop_back();
    }
    return text;
}

TEST(Base32, Rfc4648Vectors) {
    const auto rows = test::read_table("rfc4648_base32.txt");
    ASSERT_EQ(rows.size(), 7u);
    for (const auto& row : rows) {
        ASSERT_EQ(row.size(), 2u);
        const std::string& plain = row[0];
        const std::string& padded = row[1];
        SCOPED_TRACE("plain '" + plain + "'");
        // We write without padding, as otpauth:// URIs do.
        EXPECT_EQ(text_of(base32_encode(bytes_of(plain))), without_padding(padded));

        const auto decoded = base32_decode(padded);
        ASSERT_TRUE(decoded.has_value());
        EXPECT_EQ(std::string(decoded->begin(), decoded->end()), plain);

        const auto decoded_unpadded = base32_decode(without_padding(padded));
        ASSERT_TRUE(decoded_unpadded.has_value());
        EXPECT_EQ(std::string(decoded_unpadded->begin(), decoded_unpadded->end()), plain);
    }
}

TEST(Base32, DecodingToleratesCaseSpacesDashesAndTabs) {
    // "foobar" (RFC 4648) written the ways people copy secrets.
    for (const char* text :
         {"mzxw6ytboi", "MzXw6YtBoI======", "MZXW 6YTB OI", "mzxw-6ytb-oi", "  MZXW6YTBOI  ",
          "MZXW\t6YTB\tOI", "MZXW6YTBOI= =", "M-Z X-W6YTBOI"}) {
        SCOPED_TRACE(text);
        const auto decoded = base32_decode(text);
        ASSERT_TRUE(decoded.has_value());
        EXPECT_EQ(std::string(decoded->begin(), decoded->end()), "foobar");
    }
}

TEST(Base32, RejectsInvalidCharacters) {
    for (const char* text : {"MZXW6YT1", "MZXW6YT8", "MZXW6YT0", "MZXW6YT9", "MZXW6YT!", "MZXW6YT_",
                             "MZXW6YT.", "MZXW6YT\n", "MZXW6YT\xc3\xa9", "MZXW6YT+", "MZXW6YT/"}) {
        SCOPED_TRACE(text);
        EXPECT_FALSE(base32_decode(text).has_value());
    }
}

TEST(Base32, RejectsDataAfterPadding) {
    EXPECT_FALSE(base32_decode("MY==MY==").has_value());
    EXPECT_FALSE(base32_decode("MZ=XW6===").has_value());
}

TEST(Base32, RejectsLengthsNoWholeByteCountCanProduce) {
    // 1, 3 and 6 symbols (mod 8) carry 5, 15 and 30 bits: never a whole
    // number of bytes (RFC 4648 section 6 lists the possible final quanta).
    const std::string symbols = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    for (std::size_t length = 0; length <= 24; ++length) {
        const std::string text =
            symbols.substr(0, length % 8) + std::string(length - length % 8, 'A');
        const std::size_t rest = length % 8;
        const bool possible = rest != 1 && rest != 3 && rest != 6;
        SCOPED_TRACE("length " + std::to_string(length));
        const auto decoded = base32_decode(text);
        EXPECT_EQ(decoded.has_value(), possible);
        if (decoded) {
            EXPECT_EQ(decoded->size(), length * 5 / 8);
        }
    }
}

TEST(Base32, RoundTripOfRandomBytes) {
    OpenSslRandom random;
    std::mt19937 lengths(12345);
    for (int i = 0; i < 500; ++i) {
        const auto size = static_cast<std::size_t>(lengths() % 80);
        const SecretBytes original = random_bytes(random, size);
        const SecretString encoded = base32_encode(original);
        EXPECT_EQ(encoded.size(), (size * 8 + 4) / 5);
        for (const char c : encoded.view()) {
            EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')) << c;
        }
        const auto decoded = base32_decode(encoded.view());
        ASSERT_TRUE(decoded.has_value());
        EXPECT_EQ(*decoded, original);
        const auto grouped = base32_decode(group_in_fours(encoded.view()).view());
        ASSERT_TRUE(grouped.has_value());
        EXPECT_EQ(*grouped, original);
    }
}

TEST(Base32, KnownAuthenticatorExample) {
    // The classic example secret from Google Authenticator's documentation.
    const SecretBytes secret = bytes_of("Hello!\xde\xad\xbe\xef");
    EXPECT_EQ(text_of(base32_encode(secret)), "JBSWY3DPEHPK3PXP");
}

TEST(Base32, GroupInFours) {
    EXPECT_EQ(text_of(group_in_fours("JBSWY3DPEHPK3PXP")), "JBSW Y3DP EHPK 3PXP");
    EXPECT_EQ(text_of(group_in_fours("JBSWY")), "JBSW Y");
    EXPECT_EQ(text_of(group_in_fours("JBS")), "JBS");
    EXPECT_EQ(text_of(group_in_fours("JBSW")), "JBSW");
    EXPECT_EQ(text_of(group_in_fours("")), "");
}

}  // namespace
}  // namespace otpgate::core
