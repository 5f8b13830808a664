// Message templates (sms_template, email_*, http_body): check_template,
// render_template with each escaping, decode_line_escapes, sms_size, and
// the generic gateway's JSON body check. Input: a selector byte, then the
// template and the values (to, code, user, host, message) separated by NUL.
// Invariants: an accepted message text renders with its code in it; a
// value escaped for JSON is a valid JSON string and for a form decodes
// back to itself; text without placeholders renders unchanged; the line
// escapes the config file uses decode to what was encoded.
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/delivery/generic_http_sms.hpp"
#include "otpgate/core/delivery/message_template.hpp"
#include "otpgate/core/delivery/message_text.hpp"
#include "otpgate/core/transport/json_text.hpp"

using namespace otpgate;

namespace {

std::string form_decode(std::string_view text) {
    std::string out;
    const auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'A' + 10; };
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out.push_back(' ');
        } else if (text[i] == '%') {
            FUZZ_CHECK(i + 2 < text.size());
            out.push_back(static_cast<char>(nibble(text[i + 1]) * 16 + nibble(text[i + 2])));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

std::string line_escaped(std::string_view text) {
    std::string out;
    for (const char c : text) {
        out += c == '\\' ? "\\\\" : c == '\n' ? "\\n" : std::string(1, c);
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0 || size > 8192) {
        return 0;
    }
    const std::uint8_t selector = data[0];
    auto parts = fuzz::split(fuzz::as_text(data + 1, size - 1), '\0');
    parts.resize(6);
    const std::string_view text = parts[0];
    core::TemplateValues values;
    values.to = parts[1];
    values.to_digits = parts[1].substr(parts[1].empty() ? 0 : 1);
    values.code = parts[2].empty() ? "123456" : parts[2];
    values.user = parts[3];
    values.host = parts[4];
    values.message = parts[5];
    values.minutes = "5";

    static constexpr core::TemplateUse uses[] = {
        core::TemplateUse::message_text, core::TemplateUse::subject, core::TemplateUse::http_body};
    const core::TemplateUse use = uses[selector % 3];
    const std::string problem = core::check_template(text, use);
    const core::SecretString plain = core::render_template(text, values, core::Escaping::none);
    (void)core::render_template(text, values, core::Escaping::form);
    (void)core::render_template(text, values, core::Escaping::json);
    (void)core::sms_size(plain.view());
    (void)core::sms_size(text);
    if (problem.empty() && use == core::TemplateUse::message_text) {
        FUZZ_CHECK(plain.view().find(values.code) != std::string_view::npos);
    }
    if (problem.empty() && use == core::TemplateUse::subject) {
        FUZZ_CHECK(text.find('\n') == std::string_view::npos);
    }
    if (text.find('{') == std::string_view::npos) {
        FUZZ_CHECK(plain.view() == text);
    }

    // Escaping, on every value.
    for (const auto value : parts) {
        core::SecretString json;
        json.push_back('"');
        core::append_escaped(json, value, core::Escaping::json);
        json.push_back('"');
        FUZZ_CHECK(core::is_valid_json(json.view()));
        const std::string form = core::form_encode(value);
        FUZZ_CHECK(form.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789*-._%+") == std::string::npos);
        FUZZ_CHECK(form_decode(form) == value);
        std::string decoded;
        FUZZ_CHECK(core::decode_line_escapes(line_escaped(value), decoded).empty());
        FUZZ_CHECK(decoded == value);
    }
    std::string decoded;
    (void)core::decode_line_escapes(text, decoded);

    // The generic gateway: a JSON body template checked as the config does.
    if (use == core::TemplateUse::http_body && problem.empty()) {
        core::DeliveryConfig config;
        config.http_url = "https://sms.example.com/send";
        config.http_body = std::string(text);
        config.http_body_type =
            (selector & 0x80) != 0 ? core::HttpBodyType::json : core::HttpBodyType::form;
        (void)core::check_generic_http_settings(config);
        core::OutgoingMessage message;
        message.to = std::string(values.to);
        message.user = std::string(values.user);
        message.host = std::string(values.host);
        message.code = core::SecretString(values.code);
        message.valid_minutes = 5;
        (void)core::render_http_body(config, message);
    }
    return 0;
}
