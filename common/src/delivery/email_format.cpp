#include "otpgate/core/delivery/email_format.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <vector>

#include <openssl/evp.h>

#include "otpgate/core/delivery/message_template.hpp"
#include "otpgate/core/primitives/text.hpp"

namespace otpgate::core {
namespace {

constexpr std::string_view atext_specials = "!#$%&'*+/=?^_`{|}~-";

bool is_alnum(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_ascii(std::string_view text) {
    for (const char c : text) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            return false;
        }
    }
    return true;
}

bool has_line_break_or_control(std::string_view text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\t') || byte == 0x7F) {
            return true;
        }
    }
    return false;
}

// A control character other than tab and the line break ('\n', or "\r\n").
bool has_bare_control(std::string_view body) {
    for (std::size_t i = 0; i < body.size(); ++i) {
        const auto byte = static_cast<unsigned char>(body[i]);
        const bool line_break =
            body[i] == '\n' || (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n');
        if ((byte < 0x20 && body[i] != '\t' && !line_break) || byte == 0x7F) {
            return true;
        }
    }
    return false;
}

// A dot-atom (RFC 5322 section 3.2.3); for a domain, each label is letters,
// digits and inner hyphens.
bool is_dot_string(std::string_view text, bool domain) {
    if (text.empty() || text.front() == '.' || text.back() == '.' ||
        text.find("..") != std::string_view::npos) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (is_alnum(c) || c == '.') {
            continue;
        }
        if (!domain && atext_specials.find(c) != std::string_view::npos) {
            continue;
        }
        const bool inner_hyphen = domain && c == '-' && i > 0 && text[i - 1] != '.' &&
                                  i + 1 < text.size() && text[i + 1] != '.';
        if (!inner_hyphen) {
            return false;
        }
    }
    return true;
}

std::string base64(std::string_view bytes) {
    std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
    const int written =
        EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                        static_cast<int>(bytes.size()));
    return std::string(reinterpret_cast<const char*>(out.data()),
                       static_cast<std::size_t>(written));
}

// Bytes of a UTF-8 sequence that starts with `lead` (1 for stray bytes).
std::size_t utf8_length(unsigned char lead) {
    if (lead >= 0xF0 && lead < 0xF8) {
        return 4;
    }
    if (lead >= 0xE0) {
        return lead < 0xF0 ? 3 : 1;
    }
    if (lead >= 0xC0) {
        return 2;
    }
    return 1;
}

// A display name as a phrase: atoms as they are, else a quoted string, else
// (non-ASCII) encoded words.
std::string display_phrase(std::string_view name) {
    if (!is_ascii(name)) {
        return encode_header_text(name, " ");
    }
    bool plain = true;
    for (const char c : name) {
        plain =
            plain && (is_alnum(c) || c == ' ' || atext_specials.find(c) != std::string_view::npos);
    }
    if (plain) {
        return std::string(name);
    }
    std::string quoted = "\"";
    for (const char c : name) {
        if (c == '"' || c == '\\') {
            quoted.push_back('\\');
        }
        quoted.push_back(c);
    }
    return quoted + "\"";
}

std::string message_id(RandomSource& random, std::string_view domain) {
    const std::string right = is_dot_string(domain, true) ? std::string(domain) : "localhost";
    return "<" + random_hex(random, 16) + ".otpgate@" + right + ">";
}

}  // namespace

bool is_plain_mail_address(std::string_view text) {
    const auto at = text.rfind('@');
    if (text.size() > 254 || at == std::string_view::npos || at == 0 || at > 64) {
        return false;
    }
    return is_dot_string(text.substr(0, at), false) && is_dot_string(text.substr(at + 1), true);
}

std::optional<MailAddress> parse_mail_address(std::string_view text) {
    text = trim_blanks(text);
    if (is_plain_mail_address(text)) {
        return MailAddress{{}, std::string(text)};
    }
    const auto open = text.rfind('<');
    if (text.empty() || text.back() != '>' || open == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view address = text.substr(open + 1, text.size() - open - 2);
    std::string_view name = trim_blanks(text.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
        name = name.substr(1, name.size() - 2);
    }
    if (!is_plain_mail_address(address) || has_line_break_or_control(name) ||
        name.find_first_of("<>\"\\") != std::string_view::npos) {
        return std::nullopt;
    }
    return MailAddress{std::string(name), std::string(address)};
}

std::string rfc5322_date(std::time_t time) {
    static constexpr std::array<const char*, 7> days = {"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm parts{};
    gmtime_r(&time, &parts);
    char text[40];
    // In long long: tm_year + 1900 overflows an int for the last years
    // gmtime_r can represent.
    std::snprintf(text, sizeof text, "%s, %02d %s %04lld %02d:%02d:%02d +0000",
                  days.at(static_cast<std::size_t>(parts.tm_wday % 7)), parts.tm_mday,
                  months.at(static_cast<std::size_t>(parts.tm_mon % 12)),
                  static_cast<long long>(parts.tm_year) + 1900, parts.tm_hour, parts.tm_min,
                  parts.tm_sec);
    return text;
}

std::string encode_header_text(std::string_view text, std::string_view fold) {
    if (is_ascii(text)) {
        return std::string(text);
    }
    // 45 bytes make 60 base64 characters: "=?UTF-8?B?" + 60 + "?=" is 72,
    // under the 75 that RFC 2047 allows per encoded word.
    constexpr std::size_t max_chunk = 45;
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t end = i;
        while (end < text.size()) {
            const std::size_t length = utf8_length(static_cast<unsigned char>(text[end]));
            if (end + length - i > max_chunk) {
                break;
            }
            end = std::min(end + length, text.size());
        }
        if (!out.empty()) {
            out += fold;
        }
        out += "=?UTF-8?B?" + base64(text.substr(i, end - i)) + "?=";
        i = end;
    }
    return out;
}

void append_quoted_printable(SecretString& out, std::string_view body, std::string_view eol) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::size_t start = 0;
    while (start <= body.size()) {
        const auto newline = body.find('\n', start);
        std::string_view line = body.substr(
            start, newline == std::string_view::npos ? std::string_view::npos : newline - start);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        std::size_t column = 0;
        for (std::size_t i = 0; i < line.size(); ++i) {
            const auto byte = static_cast<unsigned char>(line[i]);
            const bool last = i + 1 == line.size();
            const bool literal = (byte >= 33 && byte <= 126 && byte != '=') ||
                                 ((byte == ' ' || byte == '\t') && !last);
            const std::size_t width = literal ? 1 : 3;
            if (column + width > 75) {  // keep room for the soft break '='
                out.push_back('=');
                append_text(out, eol);
                column = 0;
            }
            if (literal) {
                out.push_back(static_cast<char>(byte));
            } else {
                out.push_back('=');
                out.push_back(hex[byte >> 4]);
                out.push_back(hex[byte & 0x0F]);
            }
            column += width;
        }
        if (newline == std::string_view::npos) {
            break;
        }
        append_text(out, eol);
        start = newline + 1;
    }
}

Result<SecretString> format_email(const EmailFields& fields, std::time_t now, RandomSource& random,
                                  LineEnding ending) {
    if (!is_plain_mail_address(fields.to)) {
        return make_error(ErrorKind::invalid_input, "the recipient is not a plain email address");
    }
    if (has_line_break_or_control(fields.subject)) {
        return make_error(ErrorKind::invalid_input, "the subject contains a line break");
    }
    const std::string_view eol = ending == LineEnding::crlf ? "\r\n" : "\n";
    const std::string fold = std::string(eol) + " ";

    SecretString out;
    const auto header = [&](std::string_view name, std::string_view value) {
        append_text(out, name);
        append_text(out, ": ");
        append_text(out, value);
        append_text(out, eol);
    };
    header("Date", rfc5322_date(now));
    std::string domain = "localhost";
    if (fields.from) {
        const MailAddress& from = *fields.from;
        domain = from.address.substr(from.address.rfind('@') + 1);
        header("From", from.display_name.empty()
                           ? from.address
                           : display_phrase(from.display_name) + " <" + from.address + ">");
    }
    header("To", fields.to);
    header("Subject", encode_header_text(fields.subject, fold));
    header("Message-ID", message_id(random, domain));
    header("MIME-Version", "1.0");
    header("Content-Type", "text/plain; charset=UTF-8");

    std::string_view body = fields.body;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) {
        body.remove_suffix(1);
    }
    bool short_lines = true;
    std::size_t line_length = 0;
    for (const char c : body) {
        line_length = c == '\n' ? 0 : line_length + 1;
        short_lines = short_lines && line_length <= 998;
    }
    // 7bit (RFC 2045 section 2.7) allows CR and LF only as a line break and
    // no other control character: a bare CR would reach the SMTP server as
    // is. Quoted-printable encodes such bytes.
    const bool seven_bit = is_ascii(body) && short_lines && !has_bare_control(body);
    header("Content-Transfer-Encoding", seven_bit ? "7bit" : "quoted-printable");
    header("Auto-Submitted", "auto-generated");
    append_text(out, eol);
    if (seven_bit) {
        std::size_t start = 0;
        while (start <= body.size()) {
            const auto newline = body.find('\n', start);
            std::string_view line =
                body.substr(start, newline == std::string_view::npos ? std::string_view::npos
                                                                     : newline - start);
            if (!line.empty() && line.back() == '\r') {
                line.remove_suffix(1);
            }
            append_text(out, line);
            append_text(out, eol);
            if (newline == std::string_view::npos) {
                break;
            }
            start = newline + 1;
        }
    } else {
        append_quoted_printable(out, body, eol);
        append_text(out, eol);
    }
    return out;
}

}  // namespace otpgate::core
