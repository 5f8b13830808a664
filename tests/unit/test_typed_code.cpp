#include <string>

#include <gtest/gtest.h>

#include "otpgate/core/login/login_session.hpp"

namespace otpgate::core {
namespace {

TEST(NormalizeTypedCode, SeparatorsAreDropped) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"123456", "123456"},
        {"123 456", "123456"},
        {"123-456", "123456"},
        {"123.456", "123456"},
        {"12345-67890", "1234567890"},
        {" 1\t2 3-4.5 6 ", "123456"},
        {"0", "0"},
        {"--1--", "1"},
    };
    for (const auto& [typed, digits] : cases) {
        const auto normalized = normalize_typed_code(typed);
        ASSERT_TRUE(normalized.has_value()) << "'" << typed << "'";
        EXPECT_EQ(normalized->view(), digits);
    }
}

TEST(NormalizeTypedCode, AnythingElseIsRefused) {
    for (const char* typed : {"12345a", "l23456", "123_456", "123,456", "123456\n", "+123456",
                              "１２３４５６", "123 456 x"}) {
        EXPECT_FALSE(normalize_typed_code(typed).has_value()) << "'" << typed << "'";
    }
    EXPECT_FALSE(normalize_typed_code(std::string_view("12\0"
                                                       "34",
                                                       5))
                     .has_value());
}

TEST(NormalizeTypedCode, EmptyOrOnlySeparatorsIsRefused) {
    EXPECT_FALSE(normalize_typed_code("").has_value());
    EXPECT_FALSE(normalize_typed_code("   ").has_value());
    EXPECT_FALSE(normalize_typed_code("- . -").has_value());
}

TEST(NormalizeTypedCode, OverlongIsRefused) {
    EXPECT_TRUE(normalize_typed_code(std::string(64, '1')).has_value());
    EXPECT_FALSE(normalize_typed_code(std::string(65, '1')).has_value());
    // Length counts what was typed, separators included.
    EXPECT_FALSE(normalize_typed_code(std::string(60, ' ') + "123456").has_value());
}

}  // namespace
}  // namespace otpgate::core
