#include "otpgate/core/transport/json_text.hpp"

#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "otpgate/core/primitives/text.hpp"
#include "otpgate/core/system/safe_text.hpp"

namespace otpgate::core {
namespace {

template <typename Out>
void append_all(Out& out, std::string_view text) {
    for (const char c : text) {
        out.push_back(c);
    }
}

// Written here rather than with nlohmann::json's dump(), measured against
// it on every code point and on random bytes: it leaves DEL and the hidden
// controls raw (or, with ensure_ascii, escapes all non-ASCII text), and
// writes a raw U+FFFD once per malformed sequence where this writes \ufffd
// per byte; the outbox and `otpgate list --json` keep their bytes. It would
// also need the value, the code included, copied into a json object and a
// std::string that nothing wipes.
template <typename Out>
void escape_into(Out& out, std::string_view value) {
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t i = 0;
    while (i < value.size()) {
        const auto byte = static_cast<std::uint8_t>(value[i]);
        switch (byte) {
            case '"':
                append_all(out, "\\\"");
                ++i;
                continue;
            case '\\':
                append_all(out, "\\\\");
                ++i;
                continue;
            case '\n':
                append_all(out, "\\n");
                ++i;
                continue;
            case '\r':
                append_all(out, "\\r");
                ++i;
                continue;
            case '\t':
                append_all(out, "\\t");
                ++i;
                continue;
            case '\b':
                append_all(out, "\\b");
                ++i;
                continue;
            case '\f':
                append_all(out, "\\f");
                ++i;
                continue;
            default: break;
        }
        if (byte < 0x20 || byte == 0x7F) {
            append_all(out, "\\u00");
            out.push_back(hex[byte >> 4]);
            out.push_back(hex[byte & 0x0F]);
            ++i;
            continue;
        }
        const std::size_t length = utf8_sequence_length(value, i);
        if (length == 0) {
            append_all(out, "\\ufffd");
            ++i;
            continue;
        }
        const std::string_view sequence = value.substr(i, length);
        if (const char32_t code_point = utf8_code_point(sequence); is_hidden_control(code_point)) {
            // Valid JSON either way; escaped, a terminal showing it is safe.
            append_all(out, "\\u");
            for (int shift = 12; shift >= 0; shift -= 4) {
                out.push_back(hex[(code_point >> shift) & 0x0F]);
            }
        } else {
            append_all(out, sequence);
        }
        i += length;
    }
}

constexpr unsigned max_depth = 32;

// In a document nlohmann::json accepted: whether every value sits inside at
// most max_depth arrays or objects, i.e. no array or object deeper than that
// holds anything. The parser has no limit; the body check always had this one.
bool within_depth(std::string_view text) {
    unsigned depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;  // the escaped character, a quote perhaps
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) {
                const std::size_t next = text.find_first_not_of(" \t\n\r", i + 1);
                if (next == std::string_view::npos || (text[next] != ']' && text[next] != '}')) {
                    return false;
                }
            }
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return true;
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view value) {
    escape_into(out, value);
}

void append_json_escaped(SecretString& out, std::string_view value) {
    escape_into(out, value);
}

bool is_valid_json(std::string_view text) {
    // No NUL is valid anywhere in JSON, and nlohmann's lexer would take one
    // outside a string for the end of the input. It would also skip a
    // leading byte order mark, which RFC 8259 forbids a sender to add.
    if (text.find('\0') != std::string_view::npos || text.starts_with("\xEF\xBB\xBF")) {
        return false;
    }
    try {
        // accept() reports a syntax error as false; it does not throw.
        return nlohmann::json::accept(text.begin(), text.end()) && within_depth(text);
    } catch (const nlohmann::json::exception&) {
        return false;
    }
}

}  // namespace otpgate::core
