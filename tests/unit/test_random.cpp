#include <array>
#include <cstdint>
#include <limits>
#include <set>

#include <gtest/gtest.h>

#include "otpgate/core/primitives/random.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

__extension__ typedef unsigned __int128 u128;
constexpr std::uint64_t max64 = std::numeric_limits<std::uint64_t>::max();
const u128 two_to_64 = u128{1} << 64;

// The number of draws that map evenly onto [0, bound): the largest multiple
// of bound not above 2^64. Draws at or above it would bias small values.
u128 unbiased_limit(std::uint64_t bound) {
    return two_to_64 / bound * bound;
}

TEST(UniformBelow, RejectsTheBiasedTopRange) {
    for (const std::uint64_t bound :
         {std::uint64_t{3}, std::uint64_t{6}, std::uint64_t{10}, std::uint64_t{1000000},
          std::uint64_t{999999999989}, (std::uint64_t{1} << 63) + 1, max64}) {
        SCOPED_TRACE("bound " + std::to_string(bound));
        const auto limit = static_cast<std::uint64_t>(unbiased_limit(bound));
        // The first value of the biased range, the very top, then the last
        // unbiased value: only the third may be used.
        test::ScriptedRandom random({limit, max64, limit - 1});
        EXPECT_EQ(uniform_below(random, bound), bound - 1);
        EXPECT_EQ(random.fills(), 3u);
        EXPECT_EQ(random.remaining(), 0u);
    }
}

TEST(UniformBelow, HandExample) {
    // 2^64 = 18446744073709551616, so for ten the draws 18446744073709551610
    // to ...615 are biased (they would favour 0 to 5).
    test::ScriptedRandom random(
        {18446744073709551615ULL, 18446744073709551610ULL, 18446744073709551609ULL});
    EXPECT_EQ(uniform_below(random, 10), 9u);
    EXPECT_EQ(random.fills(), 3u);
}

TEST(UniformBelow, UnbiasedDrawsAreUsedAtOnce) {
    for (const std::uint64_t draw : {std::uint64_t{0}, std::uint64_t{7}, std::uint64_t{12345},
                                     std::uint64_t{18446744073709551609ULL}}) {
        test::ScriptedRandom random({draw});
        EXPECT_EQ(uniform_below(random, 10), draw % 10);
        EXPECT_EQ(random.fills(), 1u);
    }
    // Powers of two divide 2^64: the bottom of the range is always fine.
    test::ScriptedRandom random({(std::uint64_t{1} << 40) + 5});
    EXPECT_EQ(uniform_below(random, 8), 5u);
}

TEST(UniformBelow, BoundOneAndZero) {
    test::ScriptedRandom random({42});
    EXPECT_EQ(uniform_below(random, 1), 0u);
    test::ScriptedRandom none({});
    EXPECT_THROW(static_cast<void>(uniform_below(none, 0)), std::invalid_argument);
}

TEST(RandomDigits, ScriptedDrawsBecomeDigitsAndBiasedOnesAreSkipped) {
    test::ScriptedRandom random({3, 18446744073709551612ULL, 10 + 7, 20 + 0, 9});
    EXPECT_EQ(test::text_of(random_digits(random, 4)), "3709");
    EXPECT_EQ(random.remaining(), 0u);
}

TEST(RandomDigits, OnlyDigitsOfTheRightLength) {
    OpenSslRandom random;
    for (unsigned length = 0; length <= 40; ++length) {
        const SecretString digits = random_digits(random, length);
        ASSERT_EQ(digits.size(), length);
        for (const char c : digits.view()) {
            EXPECT_TRUE(c >= '0' && c <= '9') << static_cast<int>(c);
        }
    }
}

TEST(RandomBytesAndHex, SizesAndAlphabet) {
    OpenSslRandom random;
    EXPECT_EQ(random_bytes(random, 0).size(), 0u);
    EXPECT_EQ(random_bytes(random, 33).size(), 33u);
    const std::string hex = random_hex(random, 16);
    ASSERT_EQ(hex.size(), 32u);
    for (const char c : hex) {
        EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << c;
    }
    // 128 random bits: two equal values mean the source is broken.
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        EXPECT_TRUE(seen.insert(random_hex(random, 16)).second);
    }
}

// Pearson's chi-square statistic of observed counts against a uniform law.
double chi_square(const std::vector<unsigned>& counts, unsigned draws) {
    const double expected = static_cast<double>(draws) / static_cast<double>(counts.size());
    double sum = 0;
    for (const unsigned count : counts) {
        const double d = static_cast<double>(count) - expected;
        sum += d * d / expected;
    }
    return sum;
}

// Thresholds are far in the tail (p below 1e-7 for a fair source), so the
// test does not flake, yet a modulo-biased or stuck generator fails it.
TEST(RandomDistribution, DigitsAreUniform) {
    OpenSslRandom random;
    constexpr unsigned codes = 20000;
    constexpr unsigned length = 10;
    std::vector<unsigned> counts(10);
    std::vector<std::vector<unsigned>> by_position(length, std::vector<unsigned>(10));
    for (unsigned i = 0; i < codes; ++i) {
        const SecretString digits = random_digits(random, length);
        for (unsigned p = 0; p < length; ++p) {
            const auto d = static_cast<std::size_t>(digits[p] - '0');
            ++counts[d];
            ++by_position[p][d];
        }
    }
    EXPECT_LT(chi_square(counts, codes * length), 50.0);  // 9 degrees of freedom
    for (unsigned p = 0; p < length; ++p) {
        EXPECT_LT(chi_square(by_position[p], codes), 50.0) << "position " << p;
    }
}

TEST(RandomDistribution, UniformBelowSevenIsUniform) {
    OpenSslRandom random;
    constexpr unsigned draws = 100000;
    std::vector<unsigned> counts(7);
    for (unsigned i = 0; i < draws; ++i) {
        const auto value = uniform_below(random, 7);
        ASSERT_LT(value, 7u);
        ++counts[static_cast<std::size_t>(value)];
    }
    EXPECT_LT(chi_square(counts, draws), 45.0);  // 6 degrees of freedom
}

}  // namespace
}  // namespace otpgate::core
