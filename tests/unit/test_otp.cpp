#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "otpgate/core/primitives/otp.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

using test::bytes_of;
using test::text_of;

const SecretBytes rfc4226_key = bytes_of("12345678901234567890");

SecretBytes rfc6238_seed(HashAlgorithm algorithm) {
    const std::string digits = "1234567890";
    std::string seed;
    const std::size_t size = algorithm == HashAlgorithm::sha1     ? 20
                             : algorithm == HashAlgorithm::sha256 ? 32
                                                                  : 64;
    while (seed.size() < size) {
        seed += digits;
    }
    seed.resize(size);
    return bytes_of(seed);
}

std::uint64_t power_of_ten(unsigned n) {
    std::uint64_t value = 1;
    for (unsigned i = 0; i < n; ++i) {
        value *= 10;
    }
    return value;
}

std::string zero_padded(std::uint64_t value, unsigned digits) {
    std::string text = std::to_string(value);
    return std::string(digits - text.size(), '0') + text;
}

TEST(Hotp, Rfc4226AppendixD) {
    const auto rows = test::read_table("rfc4226_hotp.txt");
    ASSERT_EQ(rows.size(), 10u);
    for (const auto& row : rows) {
        const auto counter = std::stoull(row[0]);
        const auto truncated = std::stoull(row[2]);
        SCOPED_TRACE("counter " + row[0]);
        EXPECT_EQ(text_of(hotp(rfc4226_key, counter, 6)), row[3]);
        // Shorter and longer codes are the same truncated value modulo 10^digits.
        for (unsigned digits = 1; digits <= 8; ++digits) {
            EXPECT_EQ(text_of(hotp(rfc4226_key, counter, digits, HashAlgorithm::sha1)),
                      zero_padded(truncated % power_of_ten(digits), digits))
                << digits << " digits";
        }
    }
}

TEST(Hotp, RejectsImpossibleDigitCounts) {
    EXPECT_THROW(static_cast<void>(hotp(rfc4226_key, 0, 0)), std::invalid_argument);
    EXPECT_THROW(static_cast<void>(hotp(rfc4226_key, 0, 9)), std::invalid_argument);
}

TEST(Totp, Rfc6238AppendixB) {
    const auto rows = test::read_table("rfc6238_totp.txt");
    ASSERT_EQ(rows.size(), 18u);
    for (const auto& row : rows) {
        const std::int64_t time = std::stoll(row[0]);
        const auto step = static_cast<std::int64_t>(std::stoull(row[1], nullptr, 16));
        const auto algorithm = parse_hash_algorithm(row[2]);
        ASSERT_TRUE(algorithm.has_value()) << row[2];
        SCOPED_TRACE(row[0] + " " + row[2]);
        EXPECT_EQ(totp_step(time, 30), step);
        const TotpParameters params{*algorithm, 8, 30};
        EXPECT_EQ(text_of(totp(rfc6238_seed(*algorithm), time, params)), row[3]);
        // The 6-digit code is the last six of the eight (10^6 divides 10^8).
        const TotpParameters six{*algorithm, 6, 30};
        EXPECT_EQ(text_of(totp(rfc6238_seed(*algorithm), time, six)), row[3].substr(2));
    }
}

TEST(Totp, StepBoundariesAndNegativeTimes) {
    EXPECT_EQ(totp_step(0, 30), 0);
    EXPECT_EQ(totp_step(29, 30), 0);
    EXPECT_EQ(totp_step(30, 30), 1);
    EXPECT_EQ(totp_step(59, 60), 0);
    EXPECT_EQ(totp_step(60, 60), 1);
    EXPECT_EQ(totp_step(-1, 30), 0);
    EXPECT_EQ(totp_step(-1000000, 30), 0);
    EXPECT_THROW(static_cast<void>(totp_step(100, 0)), std::invalid_argument);
}

TEST(Totp, ParseAndNameHashAlgorithms) {
    EXPECT_EQ(parse_hash_algorithm("SHA1"), HashAlgorithm::sha1);
    EXPECT_EQ(parse_hash_algorithm("sha256"), HashAlgorithm::sha256);
    EXPECT_EQ(parse_hash_algorithm("Sha-512"), HashAlgorithm::sha512);
    EXPECT_FALSE(parse_hash_algorithm("MD5").has_value());
    EXPECT_FALSE(parse_hash_algorithm("").has_value());
    EXPECT_FALSE(parse_hash_algorithm("SHA224").has_value());
    EXPECT_EQ(to_string(HashAlgorithm::sha1), "SHA1");
    EXPECT_EQ(to_string(HashAlgorithm::sha256), "SHA256");
    EXPECT_EQ(to_string(HashAlgorithm::sha512), "SHA512");
}

// verify_totp, with codes taken from RFC 4226 Appendix D: with a 30 s
// period, time 30*c + 5 is in step c, whose 6-digit code is HOTP(c).
class VerifyTotp : public ::testing::Test {
protected:
    const TotpParameters params{HashAlgorithm::sha1, 6, 30};
    std::vector<std::string> hotp_codes;  // index = counter

    void SetUp() override {
        for (const auto& row : test::read_table("rfc4226_hotp.txt")) {
            hotp_codes.push_back(row[3]);
        }
        ASSERT_EQ(hotp_codes.size(), 10u);
    }
    static std::int64_t in_step(std::int64_t step) { return step * 30 + 5; }
    TotpVerdict verify(std::string_view code, std::int64_t time, unsigned window,
                       std::optional<std::int64_t> last_used = std::nullopt) const {
        return verify_totp(rfc4226_key, code, time, params, window, last_used);
    }
};

TEST_F(VerifyTotp, CurrentStepAccepted) {
    const auto verdict = verify(hotp_codes[5], in_step(5), 0);
    EXPECT_EQ(verdict.match, TotpMatch::accepted);
    EXPECT_EQ(verdict.step, 5);
}

TEST_F(VerifyTotp, WindowOneAcceptsPreviousAndNextStep) {
    const auto previous = verify(hotp_codes[4], in_step(5), 1);
    EXPECT_EQ(previous.match, TotpMatch::accepted);
    EXPECT_EQ(previous.step, 4);
    const auto next = verify(hotp_codes[6], in_step(5), 1);
    EXPECT_EQ(next.match, TotpMatch::accepted);
    EXPECT_EQ(next.step, 6);
}

TEST_F(VerifyTotp, WindowOneRejectsTwoStepsAway) {
    EXPECT_EQ(verify(hotp_codes[3], in_step(5), 1).match, TotpMatch::wrong);
    EXPECT_EQ(verify(hotp_codes[7], in_step(5), 1).match, TotpMatch::wrong);
    // ... which a window of two accepts.
    EXPECT_EQ(verify(hotp_codes[3], in_step(5), 2).match, TotpMatch::accepted);
    EXPECT_EQ(verify(hotp_codes[7], in_step(5), 2).match, TotpMatch::accepted);
}

TEST_F(VerifyTotp, WindowZeroAcceptsOnlyTheCurrentStep) {
    EXPECT_EQ(verify(hotp_codes[4], in_step(5), 0).match, TotpMatch::wrong);
    EXPECT_EQ(verify(hotp_codes[6], in_step(5), 0).match, TotpMatch::wrong);
}

TEST_F(VerifyTotp, StepBoundaries) {
    // Time 149 is the last second of step 4, 150 the first of step 5.
    EXPECT_EQ(verify(hotp_codes[4], 149, 0).match, TotpMatch::accepted);
    EXPECT_EQ(verify(hotp_codes[5], 150, 0).match, TotpMatch::accepted);
    EXPECT_EQ(verify(hotp_codes[5], 149, 0).match, TotpMatch::wrong);
}

TEST_F(VerifyTotp, UsedStepsAreReplays) {
    // The step itself and any earlier one count as used.
    const auto same = verify(hotp_codes[5], in_step(5), 1, 5);
    EXPECT_EQ(same.match, TotpMatch::replayed);
    EXPECT_EQ(same.step, 5);
    const auto earlier = verify(hotp_codes[4], in_step(5), 1, 5);
    EXPECT_EQ(earlier.match, TotpMatch::replayed);
    EXPECT_EQ(earlier.step, 4);
    // The next step is still free.
    EXPECT_EQ(verify(hotp_codes[6], in_step(5), 1, 5).match, TotpMatch::accepted);
    // A last used step far in the future makes everything a replay.
    EXPECT_EQ(verify(hotp_codes[5], in_step(5), 1, 1000).match, TotpMatch::replayed);
}

TEST_F(VerifyTotp, WrongCodesOfAnyShapeAreWrong) {
    EXPECT_EQ(verify("000000", in_step(5), 1).match, TotpMatch::wrong);
    EXPECT_EQ(verify("", in_step(5), 1).match, TotpMatch::wrong);
    EXPECT_EQ(verify(hotp_codes[5].substr(1), in_step(5), 1).match, TotpMatch::wrong);
    EXPECT_EQ(verify(hotp_codes[5] + "0", in_step(5), 1).match, TotpMatch::wrong);
    EXPECT_EQ(verify("12345678901234567890", in_step(5), 1).match, TotpMatch::wrong);
}

TEST_F(VerifyTotp, EarliestUnusedStepWins) {
    // With one digit, RFC 4226 counters 1 and 2 share the code "2" (287082,
    // 359152), and counter 0 gives "4" (755224).
    const TotpParameters one_digit{HashAlgorithm::sha1, 1, 30};
    ASSERT_EQ(hotp_codes[1].back(), '2');
    ASSERT_EQ(hotp_codes[2].back(), '2');
    const auto fresh = verify_totp(rfc4226_key, "2", in_step(1), one_digit, 1, std::nullopt);
    EXPECT_EQ(fresh.match, TotpMatch::accepted);
    EXPECT_EQ(fresh.step, 1);
    // Step 1 used: the same code still matches unused step 2.
    const auto next = verify_totp(rfc4226_key, "2", in_step(1), one_digit, 1, 1);
    EXPECT_EQ(next.match, TotpMatch::accepted);
    EXPECT_EQ(next.step, 2);
    // Both used: a replay, reported at the earliest matching step.
    const auto both = verify_totp(rfc4226_key, "2", in_step(1), one_digit, 1, 2);
    EXPECT_EQ(both.match, TotpMatch::replayed);
    EXPECT_EQ(both.step, 1);
}

TEST_F(VerifyTotp, NegativeTimesUseStepZeroAndNoNegativeSteps) {
    // Clamped to step 0; a window never reaches below step 0.
    const auto verdict = verify(hotp_codes[0], -100, 1);
    EXPECT_EQ(verdict.match, TotpMatch::accepted);
    EXPECT_EQ(verdict.step, 0);
    EXPECT_EQ(verify(hotp_codes[1], -100, 1).match, TotpMatch::accepted);
    EXPECT_EQ(verify(hotp_codes[2], -100, 1).match, TotpMatch::wrong);
    EXPECT_EQ(verify(hotp_codes[0], -100, 1, 0).match, TotpMatch::replayed);
    // Time 0 with a wide window.
    EXPECT_EQ(verify(hotp_codes[3], 0, 3).match, TotpMatch::accepted);
    EXPECT_EQ(verify(hotp_codes[4], 0, 3).match, TotpMatch::wrong);
    // Steps "before" 0 must not wrap around to the last counters.
    constexpr auto last = std::numeric_limits<std::uint64_t>::max();
    for (std::uint64_t counter = last - 2; counter != 0; ++counter) {
        const std::string wrapped = text_of(hotp(rfc4226_key, counter, 6));
        if (wrapped != hotp_codes[0] && wrapped != hotp_codes[1] && wrapped != hotp_codes[2] &&
            wrapped != hotp_codes[3]) {
            EXPECT_EQ(verify(wrapped, 0, 3).match, TotpMatch::wrong) << "counter " << counter;
        }
    }
}

TEST_F(VerifyTotp, Rfc6238VectorsVerifyAtTheirTimes) {
    for (const auto& row : test::read_table("rfc6238_totp.txt")) {
        const auto algorithm = *parse_hash_algorithm(row[2]);
        const std::int64_t time = std::stoll(row[0]);
        const TotpParameters eight{algorithm, 8, 30};
        SCOPED_TRACE(row[0] + " " + row[2]);
        const auto verdict =
            verify_totp(rfc6238_seed(algorithm), row[3], time, eight, 0, std::nullopt);
        EXPECT_EQ(verdict.match, TotpMatch::accepted);
        EXPECT_EQ(verdict.step, totp_step(time, 30));
        // The same code under another algorithm is wrong.
        const TotpParameters other{
            algorithm == HashAlgorithm::sha1 ? HashAlgorithm::sha256 : HashAlgorithm::sha1, 8, 30};
        EXPECT_EQ(verify_totp(rfc6238_seed(algorithm), row[3], time, other, 0, std::nullopt).match,
                  TotpMatch::wrong);
    }
}

}  // namespace
}  // namespace otpgate::core
