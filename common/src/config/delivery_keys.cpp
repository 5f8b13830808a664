// The keys of the message delivery backends (delivery_config.hpp). Each
// value is checked here, alone, so a bad one is reported with file:line;
// how keys combine is checked when a sender is made (message_sender.cpp).
#include <array>
#include <utility>
#include <vector>

#include "config_setters.hpp"
#include "otpgate/core/config/config.hpp"
#include "otpgate/core/delivery/email_format.hpp"
#include "otpgate/core/delivery/message_template.hpp"
#include "otpgate/core/delivery/program_sender.hpp"
#include "otpgate/core/primitives/text.hpp"
#include "otpgate/core/system/safe_text.hpp"
#include "otpgate/core/transport/delivery_url.hpp"

namespace otpgate::core {
namespace {

using V = std::string_view;

template <typename E, std::size_t N>
using Choices = std::array<std::pair<V, E>, N>;

template <typename E, std::size_t N>
std::string set_choice(E& field, V value, const Choices<E, N>& choices) {
    for (const auto& [name, option] : choices) {
        if (value == name) {
            field = option;
            return {};
        }
    }
    std::string expected = "expected ";
    for (std::size_t i = 0; i < N; ++i) {
        expected += (i == 0 ? "" : i + 1 == N ? " or " : ", ");
        expected += choices[i].first;
    }
    return expected;
}

constexpr Choices<SmsBackend, 5> sms_backends = {{{"none", SmsBackend::none},
                                                  {"twilio", SmsBackend::twilio},
                                                  {"generic", SmsBackend::generic},
                                                  {"file", SmsBackend::file},
                                                  {"command", SmsBackend::command}}};
constexpr Choices<EmailBackend, 5> email_backends = {{{"none", EmailBackend::none},
                                                      {"smtp", EmailBackend::smtp},
                                                      {"sendmail", EmailBackend::sendmail},
                                                      {"file", EmailBackend::file},
                                                      {"command", EmailBackend::command}}};
constexpr Choices<HttpMethod, 2> http_methods = {
    {{"POST", HttpMethod::post}, {"PUT", HttpMethod::put}}};
constexpr Choices<HttpBodyType, 2> http_body_types = {
    {{"form", HttpBodyType::form}, {"json", HttpBodyType::json}}};
constexpr Choices<HttpAuth, 3> http_auths = {
    {{"none", HttpAuth::none}, {"basic", HttpAuth::basic}, {"bearer", HttpAuth::bearer}}};
constexpr Choices<SmtpStartTls, 2> smtp_starttls_modes = {
    {{"required", SmtpStartTls::required}, {"none", SmtpStartTls::none}}};

std::string set_template(std::string& field, V value, TemplateUse use, std::size_t max_size) {
    if (value.size() > max_size || has_control_characters(value)) {
        return "must be at most " + std::to_string(max_size) + " printable characters";
    }
    std::string decoded;
    if (use == TemplateUse::subject) {
        decoded = std::string(value);
    } else if (auto problem = decode_line_escapes(value, decoded); !problem.empty()) {
        return problem;
    }
    if (auto problem = check_template(decoded, use); !problem.empty()) {
        return problem;
    }
    field = std::move(decoded);
    return {};
}

std::string check_absolute_path(V value) {
    if (value.empty() || value.front() != '/' || value.size() > 4096 ||
        has_control_characters(value)) {
        return "expected an absolute path";
    }
    return {};
}

std::string set_path(std::string& field, V value, bool allow_empty) {
    if (!(allow_empty && value.empty())) {
        if (auto problem = check_absolute_path(value); !problem.empty()) {
            return allow_empty ? problem + " or nothing" : problem;
        }
    }
    field = std::string(value);
    return {};
}

std::string set_url(std::string& field, V value, std::string (*check)(V), bool allow_empty) {
    if (!(allow_empty && value.empty())) {
        if (auto problem = check(value); !problem.empty()) {
            return problem;
        }
    }
    field = std::string(value);
    return {};
}

bool is_hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Twilio SIDs: a two-letter prefix and 32 hex digits ("AC…", "MG…").
std::string set_twilio_sid(std::string& field, V value, V prefix) {
    bool ok = value.empty() || (value.size() == 34 && value.substr(0, 2) == prefix);
    for (std::size_t i = 2; ok && !value.empty() && i < value.size(); ++i) {
        ok = is_hex_digit(value[i]);
    }
    if (!ok) {
        return "expected " + std::string(prefix) + " followed by 32 hex digits";
    }
    field = std::string(value);
    return {};
}

// A sending number: E.164 of any length, short codes of some countries
// included (a destination must be at least 8 digits: is_e164).
bool is_sender_number(V value) {
    if (value.size() < 3 || value.size() > 16 || value[0] != '+' || value[1] < '1' ||
        value[1] > '9') {
        return false;
    }
    for (const char c : value.substr(1)) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

// Alphanumeric sender IDs: up to 11 letters, digits and spaces, one letter at least.
bool is_alphanumeric_sender(V value) {
    bool has_letter = false;
    for (const char c : value) {
        const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        has_letter = has_letter || letter;
        if (!letter && !(c >= '0' && c <= '9') && c != ' ') {
            return false;
        }
    }
    return has_letter && !value.empty() && value.size() <= 11;
}

std::string set_twilio_from(Config& config, V value) {
    if (!value.empty() && !is_sender_number(value) && !is_alphanumeric_sender(value)) {
        return "expected a number in E.164 form (+14155550100) or an alphanumeric sender ID";
    }
    config.delivery.twilio_from = std::string(value);
    return {};
}

bool is_token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           V("!#$%&'*+-.^_`|~").find(c) != V::npos;
}

bool is_reserved_header(V name) {
    const std::string lower = ascii_lowercase(name);
    return lower == "content-type" || lower == "content-length" || lower == "host" ||
           lower == "transfer-encoding" || lower == "expect" || lower == "connection";
}

// `Name: value | Name: value`; '|' separates headers.
std::string set_http_headers(Config& config, V value) {
    std::vector<HttpHeader> headers;
    while (!value.empty()) {
        const auto bar = value.find('|');
        const V item = trim_blanks(value.substr(0, bar));
        value = bar == V::npos ? V{} : value.substr(bar + 1);
        const auto colon = item.find(':');
        if (colon == V::npos || colon == 0) {
            return "expected 'Name: value' headers separated by '|'";
        }
        const V name = item.substr(0, colon);
        const V header_value = trim_blanks(item.substr(colon + 1));
        for (const char c : name) {
            if (!is_token_char(c)) {
                return "bad header name '" + one_line(name, 64) + "'";
            }
        }
        for (const char c : header_value) {
            if (c < 0x20 || c > 0x7e) {
                return "header values must be printable ASCII";
            }
        }
        if (is_reserved_header(name)) {
            return "header " + std::string(name) + " is set by otpgate itself";
        }
        headers.push_back({std::string(name), std::string(header_value)});
    }
    config.delivery.http_headers = std::move(headers);
    return {};
}

std::string set_http_username(Config& config, V value) {
    if (value.size() > 256 || has_control_characters(value) || value.find(':') != V::npos) {
        return "must be at most 256 printable characters without ':'";
    }
    config.delivery.http_username = std::string(value);
    return {};
}

std::string set_credentials_file(Config& config, V value) {
    if (auto problem = check_absolute_path(value); !problem.empty()) {
        return problem;
    }
    config.delivery.credentials_file = std::string(value);
    return {};
}

std::string set_email_from(Config& config, V value) {
    if (!value.empty() && !parse_mail_address(value)) {
        return "expected an address (otpgate@example.com) or a name and an address "
               "(otpgate <otpgate@example.com>)";
    }
    config.delivery.email_from = std::string(value);
    return {};
}

std::string set_command(std::vector<std::string>& field, V value) {
    if (value.empty()) {
        field.clear();
        return {};
    }
    if (has_control_characters(value) || value.size() > 1024) {
        return "must be at most 1024 printable characters";
    }
    std::string problem;
    auto words = split_command(value, problem);
    if (!problem.empty()) {
        return problem;
    }
    field = std::move(words);
    return {};
}

constexpr auto message_text = TemplateUse::message_text;
constexpr auto subject = TemplateUse::subject;

constexpr std::array<KeySetter, 38> delivery_keys = {{
    {"credentials_file", &set_credentials_file},
    {"delivery_connect_timeout_ms",
     [](Config& c, V v) { return set_unsigned(c.delivery.connect_timeout_ms, v, 100, 30000); }},
    {"delivery_timeout_ms",
     [](Config& c, V v) { return set_unsigned(c.delivery.timeout_ms, v, 100, 30000); }},
    {"email_backend",
     [](Config& c, V v) { return set_choice(c.delivery.email_backend, v, email_backends); }},
    {"email_change_subject",
     [](Config& c, V v) { return set_template(c.delivery.email_change_subject, v, subject, 200); }},
    {"email_change_template",
     [](Config& c, V v) {
         return set_template(c.delivery.email_change_template, v, message_text, 4000);
     }},
    {"email_command", [](Config& c, V v) { return set_command(c.delivery.email_command, v); }},
    {"email_from", &set_email_from},
    {"email_notice_subject",
     [](Config& c, V v) { return set_template(c.delivery.email_notice_subject, v, subject, 200); }},
    {"email_outbox", [](Config& c, V v) { return set_path(c.delivery.email_outbox, v, true); }},
    {"email_subject",
     [](Config& c, V v) { return set_template(c.delivery.email_subject, v, subject, 200); }},
    {"email_template",
     [](Config& c, V v) { return set_template(c.delivery.email_template, v, message_text, 4000); }},
    {"email_verify_subject",
     [](Config& c, V v) { return set_template(c.delivery.email_verify_subject, v, subject, 200); }},
    {"email_verify_template",
     [](Config& c, V v) {
         return set_template(c.delivery.email_verify_template, v, message_text, 4000);
     }},
    {"http_auth", [](Config& c, V v) { return set_choice(c.delivery.http_auth, v, http_auths); }},
    {"http_body",
     [](Config& c, V v) {
         return set_template(c.delivery.http_body, v, TemplateUse::http_body, 2000);
     }},
    {"http_body_type",
     [](Config& c, V v) { return set_choice(c.delivery.http_body_type, v, http_body_types); }},
    {"http_headers", &set_http_headers},
    {"http_method",
     [](Config& c, V v) { return set_choice(c.delivery.http_method, v, http_methods); }},
    {"http_success_contains",
     [](Config& c, V v) { return set_text(c.delivery.http_success_contains, v, true); }},
    {"http_url",
     [](Config& c, V v) { return set_url(c.delivery.http_url, v, &check_https_url, true); }},
    {"http_username", &set_http_username},
    {"sendmail_path", [](Config& c, V v) { return set_path(c.delivery.sendmail_path, v, false); }},
    {"sms_backend",
     [](Config& c, V v) { return set_choice(c.delivery.sms_backend, v, sms_backends); }},
    {"sms_change_template",
     [](Config& c, V v) {
         return set_template(c.delivery.sms_change_template, v, message_text, 480);
     }},
    {"sms_command", [](Config& c, V v) { return set_command(c.delivery.sms_command, v); }},
    {"sms_outbox", [](Config& c, V v) { return set_path(c.delivery.sms_outbox, v, true); }},
    {"sms_template",
     [](Config& c, V v) { return set_template(c.delivery.sms_template, v, message_text, 480); }},
    {"sms_verify_template",
     [](Config& c, V v) {
         return set_template(c.delivery.sms_verify_template, v, message_text, 480);
     }},
    {"smtp_starttls",
     [](Config& c, V v) { return set_choice(c.delivery.smtp_starttls, v, smtp_starttls_modes); }},
    {"smtp_url",
     [](Config& c, V v) { return set_url(c.delivery.smtp_url, v, &check_smtp_url, true); }},
    {"smtp_username", [](Config& c, V v) { return set_text(c.delivery.smtp_username, v, true); }},
    {"tls_ca_file", [](Config& c, V v) { return set_path(c.delivery.tls_ca_file, v, true); }},
    {"tls_ca_path", [](Config& c, V v) { return set_path(c.delivery.tls_ca_path, v, true); }},
    {"twilio_account_sid",
     [](Config& c, V v) { return set_twilio_sid(c.delivery.twilio_account_sid, v, "AC"); }},
    {"twilio_api_url",
     [](Config& c, V v) { return set_url(c.delivery.twilio_api_url, v, &check_https_url, false); }},
    {"twilio_from", &set_twilio_from},
    {"twilio_messaging_service_sid",
     [](Config& c,
        V v) { return set_twilio_sid(c.delivery.twilio_messaging_service_sid, v, "MG"); }},
}};
static_assert(sorted_and_unique(delivery_keys));

}  // namespace

std::span<const KeySetter> delivery_key_setters() {
    return delivery_keys;
}

}  // namespace otpgate::core
