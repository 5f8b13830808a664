// Inputs the fuzzers (fuzz/) found, replayed through the same functions in
// the normal build. Each file in tests/data/fuzz_regressions is the input
// exactly as libFuzzer saved it; its name starts with the fuzz target, whose
// source (fuzz/fuzz_TARGET.cpp) documents how the bytes are laid out.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "otpgate/core/delivery/email_format.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/transport/json_text.hpp"
#include "phone_number.hpp"

namespace otpgate::core {
namespace {

std::string regression_input(const std::string& name) {
    const std::filesystem::path path = std::filesystem::path(OTPGATE_FUZZ_REGRESSION_DIR) / name;
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << path;
    std::string bytes(static_cast<std::size_t>(std::filesystem::file_size(path)), '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return bytes;
}

std::vector<std::string> split_at_nul(std::string_view text, std::size_t count) {
    std::vector<std::string> parts;
    while (parts.size() + 1 < count) {
        const auto at = text.find('\0');
        parts.emplace_back(text.substr(0, at));
        text = at == std::string_view::npos ? std::string_view{} : text.substr(at + 1);
    }
    parts.emplace_back(text.substr(0, text.find('\0')));
    return parts;
}

class FixedRandom final : public RandomSource {
public:
    void fill(std::uint8_t* out, std::size_t size) override { std::memset(out, 7, size); }
};

// A body line with a CR in the middle went out as 7bit with the bare CR in
// it; such a body must be quoted-printable, and CR only ever precede LF.
TEST(FuzzRegression, EmailBodyWithBareCarriageReturn) {
    const std::string input = regression_input("email_format_bare_cr");
    ASSERT_GT(input.size(), 9U);
    const auto parts = split_at_nul(std::string_view(input).substr(9), 4);
    ASSERT_NE(parts[3].find('\r'), std::string::npos);
    EmailFields fields;
    fields.to = parts[0];
    fields.from = parse_mail_address(parts[1]);
    fields.subject = parts[2];
    fields.body = parts[3];
    FixedRandom random;
    const auto message = format_email(fields, 1767225600, random, LineEnding::crlf);
    ASSERT_TRUE(message.ok());
    const std::string_view text = message->view();
    EXPECT_NE(text.find("Content-Transfer-Encoding: quoted-printable\r\n"), std::string_view::npos);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            ASSERT_TRUE(i + 1 < text.size() && text[i + 1] == '\n') << "bare CR at " << i;
        }
    }
    EXPECT_NE(text.find("=0D"), std::string_view::npos);
}

// The year of a time near the end of what gmtime_r can represent
// overflowed an int (tm_year + 1900): undefined behaviour, seen by UBSan.
TEST(FuzzRegression, DateInTheLastRepresentableYears) {
    const std::string input = regression_input("email_format_year_overflow");
    std::int64_t when = 0;
    ASSERT_GE(input.size(), sizeof when);
    std::memcpy(&when, input.data(), sizeof when);
    const std::string date = rfc5322_date(static_cast<std::time_t>(when));
    // "Wed, 01 Jan 2147484647 ..." : the fourth field is the year.
    std::istringstream fields(date);
    std::string day, month;
    int day_of_month = 0;
    long long year = 0;
    fields >> day >> day_of_month >> month >> year;
    EXPECT_GT(year, 2147483647LL) << date;
    EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
}

// A plain ASCII body with CRLF line breaks stays 7bit.
TEST(FuzzRegression, EmailBodyWithCrlfStaysSevenBit) {
    EmailFields fields;
    fields.to = "alice@example.com";
    fields.subject = "Code";
    fields.body = "Hello,\r\n\r\n123456 is your code.\r\n";
    FixedRandom random;
    const auto message = format_email(fields, 1767225600, random, LineEnding::crlf);
    ASSERT_TRUE(message.ok());
    EXPECT_NE(message->view().find("Content-Transfer-Encoding: 7bit\r\n"), std::string_view::npos);
}

// "~p000827691-24" with region GB became "+440082769124", which reads back
// as another number ("+44082769124"); short ranges gave fewer digits than
// is_e164 allows. Only numbers that are E.164 and read back as themselves
// may be enrolled.
TEST(FuzzRegression, PhoneNumberThatDoesNotReadBack) {
    const std::string input = regression_input("phone_number_leading_zeros");
    ASSERT_EQ(input[0] % 8, 1);  // the target's region table: 1 is GB
    const auto parsed = cli::parse_phone_number(std::string_view(input).substr(1), "GB");
    EXPECT_FALSE(parsed.ok());
    EXPECT_FALSE(cli::parse_phone_number("+2901234", "").ok());

    const auto good = cli::parse_phone_number("07700 900123", "GB");
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(good->e164, "+447700900123");
    EXPECT_TRUE(is_e164(good->e164));
}

// is_valid_json accepted a lone UTF-16 surrogate escape ("\ud83d" with no
// low half), which strict JSON parsers refuse.
TEST(FuzzRegression, JsonLoneSurrogateEscape) {
    EXPECT_FALSE(is_valid_json(regression_input("json_text_lone_surrogate")));
    EXPECT_FALSE(is_valid_json(R"("\ude00")"));
    EXPECT_FALSE(is_valid_json(R"("\ud83d\u0041")"));
    EXPECT_FALSE(is_valid_json(R"("\ud83d)"));
    EXPECT_TRUE(is_valid_json(R"("\ud83d\ude00")"));
    EXPECT_TRUE(is_valid_json(R"(["\uD83D\uDE00 \u00e9 \uffff"])"));
}

}  // namespace
}  // namespace otpgate::core
