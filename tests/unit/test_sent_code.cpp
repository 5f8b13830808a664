// Codes sent by SMS or email, as the login remembers them.
#include <gtest/gtest.h>

#include "otpgate/core/state/sent_code.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

TEST(SentCode, MatchesOnlyItsOwnDigitsUntilItExpires) {
    OpenSslRandom random;
    auto [record, code] = SentCode::issue(random, 6, 1000, 300);
    ASSERT_EQ(code.size(), 6u);
    for (const char c : code.view()) {
        EXPECT_TRUE(c >= '0' && c <= '9');
    }
    const std::string digits = test::text_of(code);
    EXPECT_EQ(record.check(digits, 1000), SentCode::Check::match);
    EXPECT_EQ(record.check(digits, 1300), SentCode::Check::match);
    EXPECT_EQ(record.check(digits, 1301), SentCode::Check::expired);
    std::string other = digits;
    other[5] = other[5] == '9' ? '0' : static_cast<char>(other[5] + 1);
    EXPECT_EQ(record.check(other, 1000), SentCode::Check::mismatch);
    EXPECT_EQ(record.check(digits.substr(0, 5), 1000), SentCode::Check::mismatch);
    EXPECT_EQ(record.check(other, 2000), SentCode::Check::expired);
    EXPECT_EQ(record.expires_at(), 1300);
}

TEST(SentCode, DigitsComeFromTheRandomSourceWithoutBias) {
    // Salt first (16 bytes), then one 64-bit draw per digit.
    std::vector<std::uint64_t> draws(2, 0);  // the salt
    for (const std::uint64_t d : {1ULL, 2ULL, 3ULL, 4ULL}) {
        draws.push_back(d);
    }
    test::ScriptedRandom scripted(draws);
    auto [record, code] = SentCode::issue(scripted, 4, 0, 60);
    EXPECT_EQ(test::text_of(code), "1234");
    EXPECT_EQ(record.check("1234", 0), SentCode::Check::match);
}

}  // namespace
}  // namespace otpgate::core
