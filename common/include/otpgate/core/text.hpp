// Small text helpers shared by the parsers and the log lines.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace otpgate::core {

// Without leading and trailing spaces, tabs and carriage returns.
std::string_view trim_blanks(std::string_view text);

// Text that came from outside (a user name, a remote host), made safe for
// one log line: control and non-ASCII bytes become '?', at most max_size bytes.
std::string printable(std::string_view text, std::size_t max_size);

// 'A'-'Z' made lower case, every other byte kept: host names, scheme
// names, header names and keywords, never locale-dependent.
std::string ascii_lowercase(std::string_view text);

}  // namespace otpgate::core
