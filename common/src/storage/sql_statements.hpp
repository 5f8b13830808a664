// A migration file as the statements it holds: libpq's extended protocol,
// which every statement of ours goes through, takes one at a time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace otpgate::core {

// Splits at each `;` outside a quoted string ('...', "..."), a dollar-quoted
// body ($$...$$, $tag$...$tag$) and a comment (-- to the end of the line,
// /* ... */). Comments are dropped; statements holding nothing else are left
// out. An unterminated quote or comment is kept as it is, for the server to
// refuse.
std::vector<std::string> split_sql_statements(std::string_view script);

}  // namespace otpgate::core
