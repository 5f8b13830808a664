// An RFC 5322 message for one recipient: Date, From, To, Subject (RFC 2047
// encoded when not ASCII), Message-ID, MIME-Version, a text/plain UTF-8
// body (7bit when plain ASCII with short lines, else quoted-printable) and
// Auto-Submitted (RFC 3834, so vacation robots stay quiet).
// Header injection is impossible: a line break in the recipient, sender or
// subject is refused, not encoded.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

struct MailAddress {
    std::string display_name;  // may be empty
    std::string address;       // local@domain
};

// A plain address (local@domain, ASCII, no spaces, quotes or brackets).
bool is_plain_mail_address(std::string_view text);

// "alice@example.com" or "Alice Example <alice@example.com>".
std::optional<MailAddress> parse_mail_address(std::string_view text);

enum class LineEnding {
    crlf,  // SMTP
    lf,    // a local sendmail program
};

struct EmailFields {
    std::optional<MailAddress> from;  // none: the header is left to sendmail
    std::string_view to;
    std::string_view subject;
    std::string_view body;  // '\n' line breaks
};

// The whole message. `now` and `random` (for the Message-ID) are injected
// so tests can pin them.
Result<SecretString> format_email(const EmailFields& fields, std::time_t now, RandomSource& random,
                                  LineEnding ending);

// "Tue, 01 Dec 2026 09:05:00 +0000" (RFC 5322 section 3.3, in UTC).
std::string rfc5322_date(std::time_t time);

// The header text as one or more RFC 2047 encoded words ("=?UTF-8?B?...?=")
// folded with `fold` between them when it holds non-ASCII bytes; unchanged
// when it is plain ASCII.
std::string encode_header_text(std::string_view text, std::string_view fold);

// Quoted-printable (RFC 2045 section 6.7) of `body`, lines joined by `eol`.
void append_quoted_printable(SecretString& out, std::string_view body, std::string_view eol);

}  // namespace otpgate::core
