// Reading ~/.google_authenticator files. The fixtures in
// tests/data/google_authenticator were made by Debian's real
// google-authenticator tool and pam_google_authenticator.so (see
// make_fixtures.sh there); what a file should hold is read from the file
// itself or follows from the options it was made with.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "otpgate/core/enrollment/google_authenticator_file.hpp"
#include "otpgate/core/primitives/base32.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

std::string fixture(const std::string& name) {
    return test::read_file(test::data_path("google_authenticator/" + name));
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find('\n', start);
        lines.push_back(text.substr(start, end - start));
        start = end == std::string::npos ? text.size() : end + 1;
    }
    return lines;
}

// The lines of eight digits, as written by the tool.
std::vector<std::string> scratch_lines(const std::string& text) {
    std::vector<std::string> out;
    for (const auto& line : lines_of(text)) {
        if (line.size() == 8 && line.find_first_not_of("0123456789") == std::string::npos) {
            out.push_back(line);
        }
    }
    return out;
}

std::vector<std::string> codes_of(const GoogleAuthenticatorFile& file) {
    std::vector<std::string> out;
    for (const auto& code : file.scratch_codes) {
        out.emplace_back(code.view());
    }
    return out;
}

GoogleAuthenticatorFile parse_fixture(const std::string& name) {
    const std::string text = fixture(name);
    auto parsed = parse_google_authenticator_file(text);
    EXPECT_TRUE(parsed.ok()) << name << ": " << (parsed.ok() ? "" : parsed.error().message);
    if (!parsed.ok()) {
        return {};
    }
    // The tool writes canonical base32 of whole bytes: 26 letters, 128 bits.
    EXPECT_EQ(base32_encode(parsed->secret).view(), lines_of(text).front()) << name;
    EXPECT_EQ(parsed->secret.size(), 16u) << name;
    EXPECT_EQ(codes_of(*parsed), scratch_lines(text)) << name;
    return std::move(parsed.value());
}

TEST(GoogleAuthenticatorFile, WhatTheToolWritesWhenEveryQuestionIsAnsweredYes) {
    // --time-based --disallow-reuse --rate-limit=3 --rate-time=30 --window-size=3
    // --emergency-codes=5
    const auto file = parse_fixture("totp_interactive.txt");
    EXPECT_TRUE(file.totp);
    EXPECT_FALSE(file.hotp_counter.has_value());
    EXPECT_EQ(file.step_size, 30u);
    EXPECT_EQ(file.window_size, 3u);
    EXPECT_TRUE(file.disallow_reuse);
    EXPECT_FALSE(file.newest_used_step.has_value());
    ASSERT_TRUE(file.rate_limit.has_value());
    EXPECT_EQ(file.rate_limit->logins, 3u);
    EXPECT_EQ(file.rate_limit->seconds, 30u);
    EXPECT_EQ(file.time_skew, 0);
    EXPECT_TRUE(file.unknown_options.empty());
    EXPECT_EQ(file.scratch_codes.size(), 5u);
}

TEST(GoogleAuthenticatorFile, StepWindowAndNoRateLimit) {
    // --allow-reuse --no-rate-limit --step-size=60 --window-size=17 --emergency-codes=10
    const auto file = parse_fixture("totp_step60_window17.txt");
    EXPECT_TRUE(file.totp);
    EXPECT_EQ(file.step_size, 60u);
    EXPECT_EQ(file.window_size, 17u);
    EXPECT_FALSE(file.disallow_reuse);
    EXPECT_FALSE(file.rate_limit.has_value());
    EXPECT_EQ(file.scratch_codes.size(), 10u);
}

TEST(GoogleAuthenticatorFile, NoScratchCodes) {
    const auto file = parse_fixture("totp_no_scratch_codes.txt");
    EXPECT_TRUE(file.totp);
    EXPECT_TRUE(file.scratch_codes.empty());
}

TEST(GoogleAuthenticatorFile, CounterBased) {
    const auto file = parse_fixture("hotp.txt");
    EXPECT_FALSE(file.totp);
    EXPECT_EQ(file.hotp_counter, std::optional<std::int64_t>(1));
    EXPECT_EQ(file.scratch_codes.size(), 3u);
}

TEST(GoogleAuthenticatorFile, WhatLoginsLeaveBehind) {
    // The module recorded a TOTP login at 1700000020 (step 56666667) and the
    // login times; the first of four scratch codes was spent 30 s later.
    const auto file = parse_fixture("totp_after_logins.txt");
    EXPECT_EQ(file.newest_used_step, std::optional<std::int64_t>(56666667));
    ASSERT_TRUE(file.rate_limit.has_value());
    EXPECT_EQ(file.rate_limit->logins, 3u);
    EXPECT_EQ(file.scratch_codes.size(), 3u);
}

TEST(GoogleAuthenticatorFile, LearnedClockSkew) {
    // A phone 5 steps ahead; the last login at 1700000110 used step
    // 56666670 + 5. RESETTING_TIME_SKEW is the module's own scratch pad.
    const auto file = parse_fixture("totp_time_skew.txt");
    EXPECT_EQ(file.time_skew, 5);
    EXPECT_EQ(file.newest_used_step, std::optional<std::int64_t>(56666675));
    EXPECT_TRUE(file.unknown_options.empty());
}

TEST(GoogleAuthenticatorFile, LineEndingsAndBlankLines) {
    const std::string text = fixture("totp_interactive.txt");
    const auto expected = parse_fixture("totp_interactive.txt");
    std::string crlf;
    for (const auto& line : lines_of(text)) {
        crlf += line + "\r\n";
    }
    std::string no_final_newline = text.substr(0, text.size() - 1);
    std::string blank_lines = text;
    blank_lines.insert(text.find('\n') + 1, "\n  \n");
    for (const auto& variant : {crlf, no_final_newline, blank_lines + "\n\n"}) {
        const auto parsed = parse_google_authenticator_file(variant);
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        EXPECT_EQ(parsed->secret, expected.secret);
        EXPECT_EQ(codes_of(*parsed), codes_of(expected));
        EXPECT_TRUE(parsed->disallow_reuse);
    }
}

TEST(GoogleAuthenticatorFile, UnknownOptionsAreNamedAndDuplicateCodesCountOnce) {
    const auto parsed = parse_google_authenticator_file(
        "JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n\" OTP_DISABLED\n\" NEW_THING 1 2 3\n"
        "12345678\n12345678\n87654321\n");
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->unknown_options, (std::vector<std::string>{"OTP_DISABLED", "NEW_THING"}));
    EXPECT_EQ(codes_of(*parsed), (std::vector<std::string>{"12345678", "87654321"}));
}

TEST(GoogleAuthenticatorFile, MalformedFilesAreRefusedWithoutShowingSecrets) {
    const std::string secret = "JBSWY3DPEHPK3PXP";
    const std::string head = secret + "\n\" TOTP_AUTH\n";
    const std::vector<std::string> bad = {
        "",
        "\n\" TOTP_AUTH\n",
        "JBSWY3DP!HPK3PXP\n\" TOTP_AUTH\n",  // not base32
        "JBSWY3\n",                          // 6 symbols cannot be whole bytes
        "\" TOTP_AUTH\n" + secret + "\n",    // the secret must come first
        head + "\" TOTP_AUTH\n",             // an option twice
        head + "\" TOTP_AUTH x\n",
        head + "\"  WINDOW_SIZE 3\n",
        head + "\" window_size 3\n",
        head + "\" \n",
        head + "\"WINDOW_SIZE 3\n",
        head + "\" STEP_SIZE 0\n",
        head + "\" STEP_SIZE 61\n",
        head + "\" STEP_SIZE 30 30\n",
        head + "\" STEP_SIZE +30\n",
        head + "\" STEP_SIZE\n",
        head + "\" WINDOW_SIZE 0\n",
        head + "\" WINDOW_SIZE 101\n",
        head + "\" WINDOW_SIZE three\n",
        head + "\" RATE_LIMIT 3\n",
        head + "\" RATE_LIMIT 0 30\n",
        head + "\" RATE_LIMIT 3 3601\n",
        head + "\" RATE_LIMIT 3 30 17000000x\n",
        head + "\" DISALLOW_REUSE 56666667 -3\n",
        head + "\" DISALLOW_REUSE 99999999999999999999\n",
        head + "\" TIME_SKEW\n",
        head + "\" TIME_SKEW 5x\n",
        head + "\" TIME_SKEW 99999999\n",
        head + "\" HOTP_COUNTER\n",
        head + "\" HOTP_COUNTER 1 2\n",
        head + "01234567\n",  // scratch codes do not start with 0
        head + "1234567\n",
        head + "123456789\n",
        head + "1234567a\n",
        head + " 12345678\n",
        head + "password\n",
    };
    for (const auto& text : bad) {
        SCOPED_TRACE(text);
        const auto parsed = parse_google_authenticator_file(text);
        ASSERT_FALSE(parsed.ok());
        EXPECT_EQ(parsed.error().kind, ErrorKind::corrupt);
        EXPECT_EQ(parsed.error().message.find(secret), std::string::npos);
        EXPECT_EQ(parsed.error().message.find("234567"), std::string::npos);
    }
}

TEST(GoogleAuthenticatorFile, NulBytesAnywhereAreRefused) {
    const std::string text = fixture("totp_interactive.txt");
    for (const std::size_t at :
         {std::size_t{0}, std::size_t{5}, text.find('"'), text.size() - 3, text.size()}) {
        std::string with_nul = text;
        with_nul.insert(at, 1, '\0');
        const auto parsed = parse_google_authenticator_file(with_nul);
        ASSERT_FALSE(parsed.ok()) << at;
        EXPECT_NE(parsed.error().message.find("NUL"), std::string::npos);
    }
}

TEST(GoogleAuthenticatorFile, HugeFilesAreRefused) {
    std::string text = "JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n";
    while (text.size() <= max_google_authenticator_file_size) {
        text += "12345678\n";
    }
    const auto parsed = parse_google_authenticator_file(text);
    ASSERT_FALSE(parsed.ok());
    EXPECT_NE(parsed.error().message.find("larger than"), std::string::npos);
}

TEST(GoogleAuthenticatorFile, TruncatedFilesNeverGainAnything) {
    // Wherever a file is cut, it parses or is refused; what parses holds no
    // scratch code the whole file lacks, and its secret is the whole
    // secret unless the cut fell in the first line, where no TOTP_AUTH
    // follows it (so the import refuses it).
    const std::string text = fixture("totp_after_logins.txt");
    const auto whole = parse_fixture("totp_after_logins.txt");
    const auto all_codes = codes_of(whole);
    for (std::size_t cut = 0; cut < text.size(); ++cut) {
        const auto parsed = parse_google_authenticator_file(std::string_view(text).substr(0, cut));
        if (!parsed.ok()) {
            continue;
        }
        const auto codes = codes_of(*parsed);
        ASSERT_LE(codes.size(), all_codes.size()) << cut;
        EXPECT_TRUE(std::equal(codes.begin(), codes.end(), all_codes.begin())) << cut;
        if (parsed->secret != whole.secret) {
            EXPECT_FALSE(parsed->totp) << cut;
        }
    }
}

}  // namespace
}  // namespace otpgate::core
