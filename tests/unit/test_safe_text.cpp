// The one sanitizer for log lines and terminals (safe_text.hpp), and the
// sinks that must use it: every Logger, the terminal writers, the JSON
// escaper's view of the same controls.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "otpgate/core/system/logger.hpp"
#include "otpgate/core/system/safe_text.hpp"
#include "otpgate/core/transport/json_text.hpp"

namespace otpgate::core {
namespace {

constexpr std::size_t unlimited = std::string::npos;

std::string safe(std::string_view text) {
    return one_line(text, unlimited);
}

std::string byte_string(unsigned byte) {
    return std::string(1, static_cast<char>(byte));
}

std::string hex_escape(unsigned byte) {
    static constexpr char hex[] = "0123456789abcdef";
    return std::string("\\x") + hex[byte >> 4] + hex[byte & 0x0F];
}

// What write_text or write_line put on a stream, through open_memstream.
template <typename Write>
std::string written(Write write) {
    char* buffer = nullptr;
    std::size_t size = 0;
    std::FILE* stream = open_memstream(&buffer, &size);
    EXPECT_NE(stream, nullptr);
    write(stream);
    std::fclose(stream);
    std::string out(buffer, size);
    std::free(buffer);
    return out;
}

TEST(SafeText, PrintableAsciiIsKept) {
    std::string ascii;
    for (unsigned c = 0x20; c < 0x7F; ++c) {
        ascii += byte_string(c);
    }
    EXPECT_EQ(safe(ascii), ascii);
    EXPECT_EQ(safe(""), "");
}

TEST(SafeText, LineBreaksAndTabsAreNamed) {
    EXPECT_EQ(safe("a\nb\rc\td"), "a\\nb\\rc\\td");
    EXPECT_EQ(safe("root\r\nsshd[1]: Accepted password for root"),
              "root\\r\\nsshd[1]: Accepted password for root");
}

TEST(SafeText, EveryOtherC0ControlAndDelAreEscaped) {
    for (unsigned c = 0; c < 0x20; ++c) {
        if (c == '\n' || c == '\r' || c == '\t') {
            continue;
        }
        EXPECT_EQ(safe("a" + byte_string(c) + "b"), "a" + hex_escape(c) + "b") << c;
    }
    EXPECT_EQ(safe("\x7f"), "\\x7f");
    EXPECT_EQ(safe(std::string_view("nul\0here", 8)), "nul\\x00here");
    EXPECT_EQ(safe("\x1b[2J\x1b]0;title\x07"), "\\x1b[2J\\x1b]0;title\\x07");
}

TEST(SafeText, C1ControlsEncodedInUtf8AreEscapedByteByByte) {
    for (unsigned c = 0x80; c <= 0x9F; ++c) {
        const std::string encoded = "\xc2" + byte_string(c);
        EXPECT_EQ(safe(encoded), "\\xc2" + hex_escape(c)) << c;
    }
    EXPECT_EQ(safe("\xc2\xa0"), "\xc2\xa0");  // U+00A0, the first character after them
}

TEST(SafeText, LoneHighBytesAreEscaped) {
    for (unsigned c = 0x80; c <= 0xFF; ++c) {
        EXPECT_EQ(safe("a" + byte_string(c) + "b"), "a" + hex_escape(c) + "b") << c;
    }
}

TEST(SafeText, WellFormedUtf8IsKept) {
    for (const std::string_view text :
         {"Zo\xc3\xab",
          "+44\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2"
          "123",
          "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xe2\x80\xa7",
          "\xe2\x80\xaf", "\xe2\x80\x8a", "\xe2\x81\x9f", "\xe2\x81\xaa", "\xef\xbb\xbe",
          "\xc2\xac"}) {
        EXPECT_EQ(safe(text), text);
    }
}

TEST(SafeText, MalformedUtf8IsEscapedByteByByte) {
    EXPECT_EQ(safe("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
    EXPECT_EQ(safe("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");           // overlong, three bytes
    EXPECT_EQ(safe("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
    EXPECT_EQ(safe("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
    EXPECT_EQ(safe("\xe2\x80"), "\\xe2\\x80");                    // cut short at the end
    EXPECT_EQ(safe("\xe2\x80x"), "\\xe2\\x80x");                  // cut short by ASCII
    EXPECT_EQ(safe("\xe2\x80\xe2\x80\xa2"), "\\xe2\\x80\xe2\x80\xa2");
    EXPECT_EQ(safe("\xbf"), "\\xbf");  // a stray continuation byte
}

TEST(SafeText, CharactersThatActLikeControlsAreEscaped) {
    // Line and paragraph separators; bidirectional formatting characters.
    EXPECT_EQ(safe("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");
    EXPECT_EQ(safe("\xe2\x80\xa9"), "\\xe2\\x80\\xa9");
    EXPECT_EQ(safe("\xe2\x80\xae"
                   "dlrow"),
              "\\xe2\\x80\\xae"
              "dlrow");
    EXPECT_EQ(safe("\xe2\x80\xaa"), "\\xe2\\x80\\xaa");
    EXPECT_EQ(safe("\xe2\x81\xa6"), "\\xe2\\x81\\xa6");
    EXPECT_EQ(safe("\xe2\x81\xa9"), "\\xe2\\x81\\xa9");
    EXPECT_EQ(safe("\xe2\x80\x8e\xe2\x80\x8f"), "\\xe2\\x80\\x8e\\xe2\\x80\\x8f");
    EXPECT_EQ(safe("\xd8\x9c"), "\\xd8\\x9c");
    // Invisible: a soft hyphen, zero-width characters, a byte order mark.
    EXPECT_EQ(safe("ro\xe2\x80\x8bot"), "ro\\xe2\\x80\\x8bot");
    EXPECT_EQ(safe("\xc2\xad"), "\\xc2\\xad");
    EXPECT_EQ(safe("\xe2\x80\x8d\xe2\x81\xa0"), "\\xe2\\x80\\x8d\\xe2\\x81\\xa0");
    EXPECT_EQ(safe("\xef\xbb\xbf"
                   "debug"),
              "\\xef\\xbb\\xbf"
              "debug");
    EXPECT_TRUE(is_hidden_control(0x9B));
    EXPECT_FALSE(is_hidden_control(0xA0));
    EXPECT_FALSE(is_hidden_control(0x202F));
}

TEST(SafeText, IsIdempotentAndKeepsBackslashes) {
    const std::string hostile =
        "a\\b \x1b[31m\r\n\xc2\x9b\xe2\x80\xae\xff\xe2\x80\xa2 \\x1b typed by hand";
    const std::string once = safe(hostile);
    EXPECT_EQ(safe(once), once);
    EXPECT_EQ(once,
              "a\\b \\x1b[31m\\r\\n\\xc2\\x9b\\xe2\\x80\\xae\\xff\xe2\x80\xa2 \\x1b typed by hand");
}

TEST(SafeText, LongTextIsCutBetweenCharactersWithAMarker) {
    EXPECT_EQ(one_line("abcdef", 6), "abcdef");  // an exact fit is not cut
    EXPECT_EQ(one_line("abcdefg", 6), "abc...");
    // Never inside an escape: "ab" + "\x1b" does not fit 6 with the marker.
    EXPECT_EQ(one_line("ab\x1b"
                       "cdef",
                       6),
              "ab...");
    EXPECT_EQ(one_line("ab\x1b", 6), "ab\\x1b");
    // Never inside a UTF-8 sequence: "a" + U+2022 (3 bytes) + "b..." is 7.
    EXPECT_EQ(one_line("a\xe2\x80\xa2\xe2\x80\xa2xyz", 7), "a\xe2\x80\xa2...");
    EXPECT_EQ(one_line("\xe2\x80\xa2\xe2\x80\xa2xyz", 5), "...");
    EXPECT_EQ(one_line("abcdef", 2), "ab");  // no room for the marker
    EXPECT_EQ(one_line("abcdef", 0), "");
}

TEST(SafeText, HugeInputStaysBoundedAndControlFree) {
    std::string huge;
    for (std::size_t i = 0; i < 1'000'000; ++i) {
        huge.push_back(static_cast<char>(i * 131 % 256));
    }
    const std::string line = one_line(huge, max_log_line);
    EXPECT_LE(line.size(), max_log_line);
    EXPECT_GE(line.size(), max_log_line - 6);
    EXPECT_EQ(line.substr(line.size() - 3), "...");
    for (const char c : line) {
        const auto u = static_cast<unsigned char>(c);
        EXPECT_TRUE(u >= 0x20 && u < 0x7F) << static_cast<unsigned>(u);
    }
}

TEST(SafeText, TerminalTextKeepsLineFeedsOnly) {
    const std::string out = written([](std::FILE* stream) {
        write_text(stream, "USER  METHOD\nalice \x1b[2J\r\xc2\x9b \xe2\x80\xa2\n");
    });
    EXPECT_EQ(out, "USER  METHOD\nalice \\x1b[2J\\r\\xc2\\x9b \xe2\x80\xa2\n");
}

TEST(SafeText, TerminalLineIsOneLine) {
    const std::string out = written([](std::FILE* stream) {
        write_line(stream, "otpgate: error: ", "line 3: '\x1b]0;x\x07'\nforged: line");
    });
    EXPECT_EQ(out, "otpgate: error: line 3: '\\x1b]0;x\\x07'\\nforged: line\n");
}

// A sink of its own, as any future Logger would be: it only ever sees
// lines that log() made safe.
class RecordingSink final : public Logger {
public:
    std::string last;

private:
    void write(Severity, std::string_view line) override { last = std::string(line); }
};

TEST(SafeText, EveryLoggerWritesSafeLines) {
    RecordingSink sink;
    sink.error("result for user mallory\nAccepted password for root\x1b[2J");
    EXPECT_EQ(sink.last, "result for user mallory\\nAccepted password for root\\x1b[2J");
    sink.notice(std::string(5000, 'x'));
    EXPECT_EQ(sink.last.size(), max_log_line);

    CapturingLogger captured;
    captured.warning("key '\x1b[31m\r'");
    ASSERT_EQ(captured.lines().size(), 1U);
    EXPECT_EQ(captured.lines()[0].message, "key '\\x1b[31m\\r'");
}

TEST(SafeText, StderrLoggerWritesOneSafeLine) {
    StderrLogger logger("otpgate");
    testing::internal::CaptureStderr();
    logger.warning("bad line '\x1b[2J\nforged'");
    EXPECT_EQ(testing::internal::GetCapturedStderr(),
              "otpgate: warning: bad line '\\x1b[2J\\nforged'\n");
}

TEST(SafeText, JsonEscapesTheSameHiddenControls) {
    std::string json;
    append_json_escaped(json, "\xc2\x9b[31m \xe2\x80\xae x \xe2\x80\xa8 \xe2\x80\xa2 \x1b");
    EXPECT_EQ(json, "\\u009b[31m \\u202e x \\u2028 \xe2\x80\xa2 \\u001b");
    EXPECT_EQ(safe(json), json);  // so a terminal shows JSON as it is
}

}  // namespace
}  // namespace otpgate::core
