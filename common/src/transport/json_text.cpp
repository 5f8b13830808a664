#include "otpgate/core/transport/json_text.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>

#include "otpgate/core/system/safe_text.hpp"
#include "otpgate/core/primitives/text.hpp"

namespace otpgate::core {
namespace {

template <typename Out>
void append_all(Out& out, std::string_view text) {
    for (const char c : text) {
        out.push_back(c);
    }
}

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
            default:
                break;
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

class JsonChecker {
  public:
    explicit JsonChecker(std::string_view text) : m_text(text) {}

    bool document() {
        skip_blanks();
        if (!value(0)) {
            return false;
        }
        skip_blanks();
        return m_pos == m_text.size();
    }

  private:
    static constexpr unsigned max_depth = 32;

    [[nodiscard]] bool at_end() const { return m_pos >= m_text.size(); }
    [[nodiscard]] char peek() const { return at_end() ? '\0' : m_text[m_pos]; }

    void skip_blanks() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
            ++m_pos;
        }
    }

    bool literal(std::string_view word) {
        if (m_text.substr(m_pos, word.size()) != word) {
            return false;
        }
        m_pos += word.size();
        return true;
    }

    bool value(unsigned depth) {
        if (depth > max_depth) {
            return false;
        }
        switch (peek()) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"':
                return string();
            case 't':
                return literal("true");
            case 'f':
                return literal("false");
            case 'n':
                return literal("null");
            default:
                return number();
        }
    }

    bool object(unsigned depth) {
        ++m_pos;  // '{'
        skip_blanks();
        if (peek() == '}') {
            ++m_pos;
            return true;
        }
        while (true) {
            skip_blanks();
            if (peek() != '"' || !string()) {
                return false;
            }
            skip_blanks();
            if (peek() != ':') {
                return false;
            }
            ++m_pos;
            skip_blanks();
            if (!value(depth)) {
                return false;
            }
            skip_blanks();
            if (peek() == '}') {
                ++m_pos;
                return true;
            }
            if (peek() != ',') {
                return false;
            }
            ++m_pos;
        }
    }

    bool array(unsigned depth) {
        ++m_pos;  // '['
        skip_blanks();
        if (peek() == ']') {
            ++m_pos;
            return true;
        }
        while (true) {
            skip_blanks();
            if (!value(depth)) {
                return false;
            }
            skip_blanks();
            if (peek() == ']') {
                ++m_pos;
                return true;
            }
            if (peek() != ',') {
                return false;
            }
            ++m_pos;
        }
    }

    static bool is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    // The four hex digits after `\u` (m_pos at the 'u'), as a number.
    std::optional<unsigned> hex4() {
        unsigned value = 0;
        for (std::size_t k = 1; k <= 4; ++k) {
            if (m_pos + k >= m_text.size() || !is_hex(m_text[m_pos + k])) {
                return std::nullopt;
            }
            const char c = m_text[m_pos + k];
            const int digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
            value = value * 16 + static_cast<unsigned>(digit);
        }
        m_pos += 5;
        return value;
    }

    // `\uXXXX` (m_pos at the 'u'). A UTF-16 surrogate must come as a high
    // and low pair (RFC 8259 section 8.2): gateways with strict parsers
    // refuse a lone one, and the config check is there to catch that.
    bool unicode_escape() {
        const auto unit = hex4();
        if (!unit || (*unit >= 0xDC00 && *unit <= 0xDFFF)) {
            return false;
        }
        if (*unit < 0xD800 || *unit > 0xDBFF) {
            return true;
        }
        if (m_text.substr(m_pos, 2) != "\\u") {
            return false;
        }
        ++m_pos;
        const auto low = hex4();
        return low && *low >= 0xDC00 && *low <= 0xDFFF;
    }

    bool string() {
        ++m_pos;  // opening quote
        while (!at_end()) {
            const auto byte = static_cast<std::uint8_t>(m_text[m_pos]);
            if (byte == '"') {
                ++m_pos;
                return true;
            }
            if (byte < 0x20) {
                return false;
            }
            if (byte == '\\') {
                ++m_pos;
                const char escaped = peek();
                if (escaped == 'u') {
                    if (!unicode_escape()) {
                        return false;
                    }
                    continue;
                }
                if (std::string_view("\"\\/bfnrt").find(escaped) == std::string_view::npos ||
                    escaped == '\0') {
                    return false;
                }
                ++m_pos;
                continue;
            }
            const std::size_t length = utf8_sequence_length(m_text, m_pos);
            if (length == 0) {
                return false;
            }
            m_pos += length;
        }
        return false;
    }

    bool digits() {
        const std::size_t start = m_pos;
        while (peek() >= '0' && peek() <= '9') {
            ++m_pos;
        }
        return m_pos > start;
    }

    bool number() {
        if (peek() == '-') {
            ++m_pos;
        }
        if (peek() == '0') {
            ++m_pos;
        } else if (!digits()) {
            return false;
        }
        if (peek() == '.') {
            ++m_pos;
            if (!digits()) {
                return false;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            ++m_pos;
            if (peek() == '+' || peek() == '-') {
                ++m_pos;
            }
            if (!digits()) {
                return false;
            }
        }
        return true;
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
};

}  // namespace

void append_json_escaped(std::string& out, std::string_view value) {
    escape_into(out, value);
}

void append_json_escaped(SecretString& out, std::string_view value) {
    escape_into(out, value);
}

bool is_valid_json(std::string_view text) {
    return JsonChecker(text).document();
}

}  // namespace otpgate::core
