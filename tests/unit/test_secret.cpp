#include <string>

#include <gtest/gtest.h>

#include "otpgate/core/primitives/hex.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {
namespace {

TEST(ConstantTimeEqual, EqualContents) {
    EXPECT_TRUE(constant_time_equal("123456", "123456"));
    EXPECT_TRUE(constant_time_equal(std::string(1000, 'x'), std::string(1000, 'x')));
}

TEST(ConstantTimeEqual, DifferentContentsAnywhere) {
    const std::string base = "1234567890";
    for (std::size_t i = 0; i < base.size(); ++i) {
        std::string changed = base;
        changed[i] = 'x';
        EXPECT_FALSE(constant_time_equal(base, changed)) << "differs at " << i;
    }
}

TEST(ConstantTimeEqual, LengthsDiffer) {
    EXPECT_FALSE(constant_time_equal("123456", "1234567"));
    EXPECT_FALSE(constant_time_equal("1234567", "123456"));
    // A prefix is not equal.
    EXPECT_FALSE(constant_time_equal("12345", "123456"));
    EXPECT_FALSE(constant_time_equal("a", ""));
    EXPECT_FALSE(constant_time_equal("", "a"));
}

TEST(ConstantTimeEqual, Empty) {
    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_TRUE(constant_time_equal(nullptr, 0, nullptr, 0));
    EXPECT_FALSE(constant_time_equal(nullptr, 0, "a", 1));
}

TEST(ConstantTimeEqual, BinaryDataWithZeroBytes) {
    const unsigned char a[] = {0, 1, 0, 2};
    const unsigned char b[] = {0, 1, 0, 3};
    EXPECT_TRUE(constant_time_equal(a, sizeof a, a, sizeof a));
    EXPECT_FALSE(constant_time_equal(a, sizeof a, b, sizeof b));
}

TEST(SecretString, HoldsItsText) {
    SecretString text("0123");
    text.push_back('4');
    EXPECT_EQ(text.view(), "01234");
    EXPECT_EQ(text.size(), 5u);
    EXPECT_EQ(text[4], '4');
    EXPECT_FALSE(text.empty());
    text.clear();
    EXPECT_TRUE(text.empty());
    EXPECT_EQ(text.view(), "");
}

TEST(Hex, RoundTripAndStrictness) {
    const std::uint8_t bytes[] = {0x00, 0x7f, 0x80, 0xff, 0x1a};
    EXPECT_EQ(hex_encode(bytes, sizeof bytes), "007f80ff1a");
    const auto decoded = hex_decode("007f80ff1a");
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, std::vector<std::uint8_t>(bytes, bytes + sizeof bytes));
    EXPECT_FALSE(hex_decode("ABCD").has_value());  // upper case is not what we write
    EXPECT_FALSE(hex_decode("abc").has_value());
    EXPECT_FALSE(hex_decode("zz").has_value());
    EXPECT_TRUE(hex_decode("").has_value());
    EXPECT_TRUE(is_lower_hex("0123456789abcdef"));
    EXPECT_FALSE(is_lower_hex("0123456789abcdeF"));
    EXPECT_FALSE(is_lower_hex("g"));
}

}  // namespace
}  // namespace otpgate::core
