// Small text helpers shared by the parsers, the escapers and the log lines.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace otpgate::core {

// Without leading and trailing spaces, tabs and carriage returns.
std::string_view trim_blanks(std::string_view text);

// The length of the well-formed UTF-8 sequence that starts at text[at] (1
// for ASCII), or 0 when there is none there: overlong forms, surrogates and
// code points past U+10FFFF are not well-formed (Unicode, table 3-7).
std::size_t utf8_sequence_length(std::string_view text, std::size_t at);

// The code point of one well-formed sequence, as utf8_sequence_length found it.
char32_t utf8_code_point(std::string_view sequence);

// True when `text` holds an ASCII control character or DEL: values from
// the config file and URLs refuse them.
bool has_control_characters(std::string_view text);

// 'A'-'Z' made lower case, every other byte kept: host names, scheme
// names, header names and keywords, never locale-dependent.
std::string ascii_lowercase(std::string_view text);

}  // namespace otpgate::core
