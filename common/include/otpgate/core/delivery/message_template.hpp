// Message templates: `{name}` placeholders filled in and escaped for the
// place they land in (plain text, a form body, a JSON string).
//
// A placeholder is `{` + lowercase letters or `_` + `}`; any other brace is
// literal text, so JSON bodies such as {"to":"{to}"} need no escaping.
// Known names: {to} {to_digits} {code} {user} {host} {minutes}, and in HTTP
// bodies also {message} (the SMS text). An unknown name is a config error.
#pragma once

#include <string>
#include <string_view>

#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

enum class Escaping {
    none,  // the value as it is
    form,  // application/x-www-form-urlencoded (WHATWG): space is '+', else %XX
    json,  // the inside of a JSON string: \" \\ \n \uXXXX; UTF-8 passes through
};

enum class TemplateUse {
    message_text,  // SMS text, email body: must contain {code}
    subject,       // email subject: one line
    http_body,     // a gateway request body: must contain {message} or {code}
};

struct TemplateValues {
    std::string_view to;         // "+447700900123" or "alice@example.com"
    std::string_view to_digits;  // E.164 without the '+': "447700900123"
    std::string_view message;    // the rendered SMS text (HTTP bodies only)
    std::string_view code;
    std::string_view user;
    std::string_view host;
    std::string_view minutes;
};

// Empty when `text` is a valid template for `use`, else what is wrong
// (for the config parser, which adds file:line).
std::string check_template(std::string_view text, TemplateUse use);

// Replaces every known placeholder, escaping the value; literal template
// text is copied unchanged. Unknown placeholders stay as they are (they
// were rejected when the config was read). The result may hold a code.
SecretString render_template(std::string_view text, const TemplateValues& values,
                             Escaping escaping);

// Decodes the escapes a one-line config value may use for multi-line
// texts: `\n` is a line break and `\\` a backslash. Empty string on success
// (result in `out`), else the problem.
std::string decode_line_escapes(std::string_view text, std::string& out);

void append_text(SecretString& out, std::string_view text);
void append_escaped(SecretString& out, std::string_view value, Escaping escaping);
std::string form_encode(std::string_view value);

}  // namespace otpgate::core
