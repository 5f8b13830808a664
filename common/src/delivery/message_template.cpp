#include "otpgate/core/delivery/message_template.hpp"

#include <array>
#include <optional>

#include "otpgate/core/transport/json_text.hpp"

namespace otpgate::core {
namespace {

struct Placeholder {
    std::string_view name;
    std::string_view TemplateValues::*value;
    bool http_body_only;
};

constexpr std::array<Placeholder, 7> placeholders = {{
    {"to", &TemplateValues::to, false},
    {"to_digits", &TemplateValues::to_digits, false},
    {"code", &TemplateValues::code, false},
    {"user", &TemplateValues::user, false},
    {"host", &TemplateValues::host, false},
    {"minutes", &TemplateValues::minutes, false},
    {"message", &TemplateValues::message, true},
}};

const Placeholder* find_placeholder(std::string_view name) {
    for (const auto& placeholder : placeholders) {
        if (placeholder.name == name) {
            return &placeholder;
        }
    }
    return nullptr;
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || c == '_';
}

// The name of the placeholder starting at text[i] == '{', if it is one.
std::optional<std::string_view> placeholder_at(std::string_view text, std::size_t i) {
    std::size_t end = i + 1;
    while (end < text.size() && is_name_char(text[end])) {
        ++end;
    }
    if (end == i + 1 || end >= text.size() || text[end] != '}') {
        return std::nullopt;
    }
    return text.substr(i + 1, end - i - 1);
}

bool is_form_safe(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '*' ||
           c == '-' || c == '.' || c == '_';
}

template <typename Out>
void form_encode_into(Out& out, std::string_view value) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (const char c : value) {
        if (is_form_safe(c)) {
            out.push_back(c);
        } else if (c == ' ') {
            out.push_back('+');
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out.push_back('%');
            out.push_back(hex[byte >> 4]);
            out.push_back(hex[byte & 0x0F]);
        }
    }
}

}  // namespace

void append_text(SecretString& out, std::string_view text) {
    for (const char c : text) {
        out.push_back(c);
    }
}

std::string form_encode(std::string_view value) {
    std::string out;
    form_encode_into(out, value);
    return out;
}

void append_escaped(SecretString& out, std::string_view value, Escaping escaping) {
    switch (escaping) {
        case Escaping::none: append_text(out, value); break;
        case Escaping::form: form_encode_into(out, value); break;
        case Escaping::json: append_json_escaped(out, value); break;
    }
}

std::string check_template(std::string_view text, TemplateUse use) {
    bool has_code = false;
    bool has_message = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '{') {
            continue;
        }
        const auto name = placeholder_at(text, i);
        if (!name) {
            continue;
        }
        const Placeholder* placeholder = find_placeholder(*name);
        if (placeholder == nullptr ||
            (placeholder->http_body_only && use != TemplateUse::http_body)) {
            return "unknown placeholder {" + std::string(*name) + "}; known: {to} {to_digits} " +
                   "{code} {user} {host} {minutes}" +
                   (use == TemplateUse::http_body ? " {message}" : "");
        }
        has_code = has_code || *name == "code";
        has_message = has_message || *name == "message";
        i += name->size() + 1;
    }
    if (use == TemplateUse::message_text && !has_code) {
        return "must contain {code}";
    }
    if (use == TemplateUse::http_body && !has_code && !has_message) {
        return "must contain {message} or {code}";
    }
    if (use == TemplateUse::subject && text.find('\n') != std::string_view::npos) {
        return "must be one line";
    }
    return {};
}

SecretString render_template(std::string_view text, const TemplateValues& values,
                             Escaping escaping) {
    SecretString out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == '{') {
            if (const auto name = placeholder_at(text, i)) {
                if (const Placeholder* placeholder = find_placeholder(*name)) {
                    append_escaped(out, values.*(placeholder->value), escaping);
                    i += name->size() + 2;
                    continue;
                }
            }
        }
        out.push_back(text[i]);
        ++i;
    }
    return out;
}

std::string decode_line_escapes(std::string_view text, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out.push_back(text[i]);
            continue;
        }
        const char next = i + 1 < text.size() ? text[i + 1] : '\0';
        if (next == 'n') {
            out.push_back('\n');
        } else if (next == '\\') {
            out.push_back('\\');
        } else {
            return "a backslash must start \\n (line break) or \\\\ (backslash)";
        }
        ++i;
    }
    return {};
}

}  // namespace otpgate::core
