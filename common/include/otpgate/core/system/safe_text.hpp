// The one sanitizer for text on its way to a log line or a terminal. Much
// of what otpgate says quotes text from outside: the user name and
// PAM_RHOST (the client's word), lines of a user's own enrollment file, a
// phone number or address, a provider's answer. Every Logger passes each
// message through one_line (logger.hpp), and every program writes to its
// terminal through write_text or write_line, so no caller has to remember.
//
// The rule, the same everywhere:
// - Printable ASCII is kept, and so is well-formed UTF-8: user names from a
//   directory, international email addresses and our own masks ("+44•••123")
//   stay readable. A UTF-8 terminal, syslog and the journal show such text
//   as text; it cannot move the cursor or start a control sequence. (A
//   terminal set to an 8-bit character set that also obeys 8-bit C1 codes
//   could read a continuation byte as one; otpgate's own output, the QR code
//   included, assumes UTF-8 terminals anyway.)
// - Line feed, carriage return and tab become \n, \r and \t. A line feed is
//   kept only by write_text, where our own text ends its lines; inside a
//   single message it is escaped, so one message is always one line.
// - Every other control byte (C0, DEL) becomes \xNN, as does each byte of
//   the UTF-8 encodings of hidden controls: the C1 controls U+0080 to
//   U+009F (U+009B is a CSI), the line and paragraph separators U+2028 and
//   U+2029, the bidirectional formatting characters (U+061C, U+200E, U+200F,
//   U+202A to U+202E, U+2066 to U+2069), which can make a line read
//   differently from what it holds, and the invisible ones (U+00AD, U+200B
//   to U+200D, U+2060 to U+2065, U+FEFF), which can make "ro<ZWSP>ot" or a
//   key with a byte order mark look like "root" or the key itself.
// - Each byte that is not part of well-formed UTF-8 (a stray continuation
//   byte, an overlong form, a surrogate, past U+10FFFF, cut short) becomes
//   \xNN.
// A backslash is kept as it is. The escaped form is for people to read,
// not to decode: a client can type a literal "\x1b", which then looks like
// an escaped ESC, but can never produce the byte. In exchange the rule is
// idempotent, so text made safe once (a table cell, a message that is both
// logged and printed) passes through another sink unchanged.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace otpgate::core {

// How long one log line may grow, escapes included.
inline constexpr std::size_t max_log_line = 1024;

// `text` made safe as one line of at most `max_size` bytes; when it does not
// fit, it is cut between characters (never inside an escape or a UTF-8
// sequence) and ends with "...".
std::string one_line(std::string_view text, std::size_t max_size);

// Writes `text` made safe to a terminal stream (stdout, stderr): each line
// feed ends a line, nothing else passes raw. Secrets may go through: no
// copy of the text is made.
void write_text(std::FILE* stream, std::string_view text);

// "<prefix><text>\n" with all of `text` on that one line: a message on
// stderr ("otpgate: error: ...").
void write_line(std::FILE* stream, std::string_view prefix, std::string_view text);

// Whether a character is one of the hidden controls listed above. The JSON
// escaper escapes the same.
bool is_hidden_control(char32_t code_point);

}  // namespace otpgate::core
