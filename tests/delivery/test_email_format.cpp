// The RFC 5322 message: exact headers for a plain message, RFC 2047
// subjects, quoted-printable bodies, and no way to inject a header.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "delivery_test_support.hpp"
#include "otpgate/core/delivery/email_format.hpp"

namespace otpgate::core {
namespace {

constexpr std::time_t december_first = 1796115900;  // 2026-12-01 09:05:00 UTC

class FixedRandom final : public RandomSource {
public:
    void fill(std::uint8_t* out, std::size_t size) override {
        for (std::size_t i = 0; i < size; ++i) {
            out[i] = 0xAB;
        }
    }
};

std::string format(const EmailFields& fields, LineEnding ending = LineEnding::crlf) {
    FixedRandom random;
    const auto email = format_email(fields, december_first, random, ending);
    EXPECT_TRUE(email.ok()) << email.error().message;
    return email.ok() ? std::string(email->view()) : std::string();
}

std::vector<std::string> split(const std::string& text, const std::string& separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const auto at = text.find(separator, start);
        parts.push_back(
            text.substr(start, at == std::string::npos ? std::string::npos : at - start));
        if (at == std::string::npos) {
            return parts;
        }
        start = at + separator.size();
    }
}

TEST(EmailFormat, PlainMessageHasEveryHeaderInOrder) {
    const std::string email =
        format({MailAddress{"otpgate", "otpgate@example.com"}, "alice@example.com",
                "Your srv1 login code", "Hello alice,\n\n123456 is your code.\n"});
    EXPECT_EQ(email,
              "Date: Tue, 01 Dec 2026 09:05:00 +0000\r\n"
              "From: otpgate <otpgate@example.com>\r\n"
              "To: alice@example.com\r\n"
              "Subject: Your srv1 login code\r\n"
              "Message-ID: <abababababababababababababababab.otpgate@example.com>\r\n"
              "MIME-Version: 1.0\r\n"
              "Content-Type: text/plain; charset=UTF-8\r\n"
              "Content-Transfer-Encoding: 7bit\r\n"
              "Auto-Submitted: auto-generated\r\n"
              "\r\n"
              "Hello alice,\r\n"
              "\r\n"
              "123456 is your code.\r\n");
}

TEST(EmailFormat, LocalSubmissionUsesBareLineFeedsAndMayLeaveFromToSendmail) {
    const std::string email =
        format({std::nullopt, "bob@example.org", "Hi", "a\r\nb"}, LineEnding::lf);
    EXPECT_EQ(email.find('\r'), std::string::npos);
    EXPECT_EQ(email.find("From:"), std::string::npos);
    EXPECT_NE(email.find("\nMessage-ID: <"), std::string::npos);
    EXPECT_NE(email.find(".otpgate@localhost>\n"), std::string::npos);
    EXPECT_EQ(email.substr(email.size() - 6), "\n\na\nb\n");
}

TEST(EmailFormat, NonAsciiSubjectBecomesFoldedEncodedWords) {
    // 40 two-byte characters: 80 bytes, more than one encoded word holds.
    std::string subject;
    for (int i = 0; i < 40; ++i) {
        subject += "\xC3\xBC";
    }
    subject += " Anmeldung f\xC3\xBCr srv1";
    const std::string email = format({std::nullopt, "a@example.com", subject, "x"});
    const auto start = email.find("Subject: ") + 9;
    const auto end = email.find("\r\nMessage-ID:");
    const std::vector<std::string> words = split(email.substr(start, end - start), "\r\n ");
    ASSERT_GE(words.size(), 2u);
    std::string decoded;
    for (const auto& word : words) {
        EXPECT_LE(word.size(), 75u) << word;
        ASSERT_EQ(word.rfind("=?UTF-8?B?", 0), 0u) << word;
        ASSERT_EQ(word.substr(word.size() - 2), "?=");
        const std::string chunk = test::base64_decode(word.substr(10, word.size() - 12));
        // No word ends inside a UTF-8 sequence.
        EXPECT_NE(static_cast<unsigned char>(chunk.back()) & 0xC0, 0xC0) << word;
        decoded += chunk;
    }
    EXPECT_EQ(decoded, subject);
}

TEST(EmailFormat, NonAsciiBodyIsQuotedPrintableWithShortLines) {
    const std::string long_line(200, 'x');
    const std::string email = format({std::nullopt, "a@example.com", "s",
                                      "Gr\xC3\xBC\xC3\x9F"
                                      "e = 100% \n" +
                                          long_line + "\n.dot\n"});
    EXPECT_NE(email.find("Content-Transfer-Encoding: quoted-printable\r\n"), std::string::npos);
    const std::string body = email.substr(email.find("\r\n\r\n") + 4);
    EXPECT_EQ(body.rfind("Gr=C3=BC=C3=9Fe =3D 100%=20\r\n", 0), 0u) << body;
    for (const auto& line : split(body, "\r\n")) {
        EXPECT_LE(line.size(), 76u) << line;
    }
    EXPECT_NE(body.find("\r\n.dot\r\n"), std::string::npos);  // dot-stuffing is libcurl's job
}

TEST(EmailFormat, LongAsciiLinesAlsoUseQuotedPrintable) {
    const std::string email = format({std::nullopt, "a@example.com", "s", std::string(1200, 'y')});
    EXPECT_NE(email.find("Content-Transfer-Encoding: quoted-printable"), std::string::npos);
}

TEST(EmailFormat, HeaderInjectionIsRefused) {
    FixedRandom random;
    for (const EmailFields& fields : std::vector<EmailFields>{
             {std::nullopt, "a@example.com\r\nBcc: evil@example.com", "s", "b"},
             {std::nullopt, "a@example.com", "s\r\nBcc: evil@example.com", "b"},
             {std::nullopt, "a@example.com", "s\nX: y", "b"},
             {std::nullopt, "not an address", "s", "b"},
             {std::nullopt, "<a@example.com>", "s", "b"},
         }) {
        const auto email = format_email(fields, december_first, random, LineEnding::crlf);
        EXPECT_FALSE(email.ok()) << fields.to << " / " << fields.subject;
    }
    EXPECT_FALSE(parse_mail_address("Evil\r\nBcc: x <a@example.com>"));
}

TEST(EmailFormat, DisplayNamesAreQuotedOrEncoded) {
    EXPECT_NE(format({parse_mail_address("\"Login, Service\" <login@example.com>"), "a@example.com",
                      "s", "b"})
                  .find("From: \"Login, Service\" <login@example.com>\r\n"),
              std::string::npos);
    EXPECT_NE(format({parse_mail_address("Gr\xC3\xBC\xC3\x9F"
                                         "e <g@example.com>"),
                      "a@example.com", "s", "b"})
                  .find("From: =?UTF-8?B?R3LDvMOfZQ==?= <g@example.com>\r\n"),
              std::string::npos);
}

TEST(EmailFormat, AddressesAreParsed) {
    const auto plain = parse_mail_address("  alice@example.com ");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->address, "alice@example.com");
    EXPECT_EQ(plain->display_name, "");
    const auto named = parse_mail_address("Alice Example <alice+otp@mail.example.com>");
    ASSERT_TRUE(named);
    EXPECT_EQ(named->display_name, "Alice Example");
    EXPECT_EQ(named->address, "alice+otp@mail.example.com");
    for (const char* bad : {"", "alice", "@example.com", "alice@", "a..b@example.com",
                            ".a@example.com", "a@example..com", "a@-", "a b@example.com",
                            "a\"b@example.com", "Name <a@example.com", "a@exa_mple.com"}) {
        EXPECT_FALSE(parse_mail_address(bad)) << bad;
    }
    EXPECT_FALSE(is_plain_mail_address(std::string(65, 'a') + "@example.com"));
}

TEST(EmailFormat, DatesFollowRfc5322InUtc) {
    EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(rfc5322_date(1577836800), "Wed, 01 Jan 2020 00:00:00 +0000");
    EXPECT_EQ(rfc5322_date(december_first), "Tue, 01 Dec 2026 09:05:00 +0000");
}

}  // namespace
}  // namespace otpgate::core
