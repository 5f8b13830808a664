// Cross-checks TOTP against oathtool (OATH Toolkit), an independent
// implementation, over many secrets, times, algorithms, lengths and periods.
#include <cstdio>
#include <random>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "otpgate/core/primitives/otp.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

std::string hex_of(const SecretBytes& bytes) {
    std::string out;
    char pair[3];
    for (const auto byte : bytes) {
        std::snprintf(pair, sizeof pair, "%02x", static_cast<unsigned>(byte));
        out += pair;
    }
    return out;
}

std::string oathtool_flag(HashAlgorithm algorithm) {
    switch (algorithm) {
        case HashAlgorithm::sha1: return "--totp=sha1";
        case HashAlgorithm::sha256: return "--totp=sha256";
        case HashAlgorithm::sha512: return "--totp=sha512";
    }
    return {};
}

// oathtool prints the codes of `count` consecutive steps from `time` on.
std::vector<std::string> oathtool_codes(const SecretBytes& key, std::int64_t time,
                                        const TotpParameters& params, unsigned count) {
    const auto result = test::run_command(
        {OTPGATE_OATHTOOL, oathtool_flag(params.algorithm),
         "--digits=" + std::to_string(params.digits),
         "--time-step-size=" + std::to_string(params.period) + "s",
         "--now=@" + std::to_string(time), "--window=" + std::to_string(count - 1), hex_of(key)});
    EXPECT_EQ(result.exit_code, 0);
    std::vector<std::string> codes;
    std::istringstream lines(result.output);
    std::string line;
    while (std::getline(lines, line)) {
        codes.push_back(line);
    }
    return codes;
}

TEST(TotpOathtool, ManySecretsTimesAlgorithmsDigitsAndPeriods) {
    if (std::string_view(OTPGATE_OATHTOOL).empty() ||
        std::string_view(OTPGATE_OATHTOOL).find("NOTFOUND") != std::string_view::npos) {
        GTEST_SKIP() << "oathtool not found at configure time";
    }
    // Fixed seed: a failure names its inputs and reproduces.
    std::mt19937_64 generator(20240611);
    const std::vector<std::int64_t> fixed_times = {0,          59,         1111111111, 2147483647,
                                                   2147483648, 4102444800, 20000000000};
    constexpr unsigned steps_per_call = 4;
    unsigned compared = 0;
    for (const auto algorithm :
         {HashAlgorithm::sha1, HashAlgorithm::sha256, HashAlgorithm::sha512}) {
        for (unsigned digits = min_otp_digits; digits <= max_otp_digits; ++digits) {
            for (const unsigned period : {30u, 60u}) {
                for (int round = 0; round < 3; ++round) {
                    const auto size =
                        static_cast<std::size_t>(10 + generator() % 55);  // 10..64 bytes
                    SecretBytes key(size);
                    for (auto& byte : key) {
                        byte = static_cast<std::uint8_t>(generator());
                    }
                    const std::int64_t time =
                        round == 0 ? fixed_times[compared / steps_per_call % fixed_times.size()]
                                   : static_cast<std::int64_t>(generator() % 40000000000ULL);
                    const TotpParameters params{algorithm, digits, period};
                    SCOPED_TRACE(std::string(to_string(algorithm)) + " digits=" +
                                 std::to_string(digits) + " period=" + std::to_string(period) +
                                 " time=" + std::to_string(time) + " key=" + hex_of(key));
                    const auto expected = oathtool_codes(key, time, params, steps_per_call);
                    ASSERT_EQ(expected.size(), steps_per_call);
                    for (unsigned i = 0; i < steps_per_call; ++i) {
                        const std::int64_t at = time + static_cast<std::int64_t>(i * period);
                        EXPECT_EQ(test::text_of(totp(key, at, params)), expected[i])
                            << "step +" << i;
                        ++compared;
                    }
                }
            }
        }
    }
    EXPECT_EQ(compared, 3u * 3u * 2u * 3u * steps_per_call);
}

}  // namespace
}  // namespace otpgate::core
