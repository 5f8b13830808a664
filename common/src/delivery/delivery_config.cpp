// The keys of the message delivery backends. Each value is checked here,
// alone, so a bad one is reported with file:line; how keys combine is
// checked when a sender is made (message_sender.cpp).
#include "otpgate/core/delivery/delivery_config.hpp"

#include <utility>
#include <vector>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/config/config_setters.hpp"
#include "otpgate/core/transport/delivery_url.hpp"
#include "otpgate/core/delivery/email_format.hpp"
#include "otpgate/core/delivery/message_template.hpp"
#include "otpgate/core/delivery/program_sender.hpp"
#include "otpgate/core/system/safe_text.hpp"
#include "otpgate/core/primitives/text.hpp"

namespace otpgate::core {
namespace {

template <typename T>
auto field(T DeliveryConfig::*member) {
    return [member](Config& config) -> T& { return config.delivery.*member; };
}

template <typename E>
Setter choice(E DeliveryConfig::*member, std::vector<std::pair<std::string_view, E>> choices) {
    std::string expected = "expected ";
    for (std::size_t i = 0; i < choices.size(); ++i) {
        expected += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ");
        expected += choices[i].first;
    }
    return [member, choices = std::move(choices), expected](Config& config,
                                                            std::string_view value) -> std::string {
        for (const auto& [name, option] : choices) {
            if (value == name) {
                config.delivery.*member = option;
                return {};
            }
        }
        return expected;
    };
}

Setter message_template(std::string DeliveryConfig::*member, TemplateUse use,
                        std::size_t max_size) {
    return [member, use, max_size](Config& config, std::string_view value) -> std::string {
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
        config.delivery.*member = std::move(decoded);
        return {};
    };
}

std::string check_absolute_path(std::string_view value) {
    if (value.empty() || value.front() != '/' || value.size() > 4096 ||
        has_control_characters(value)) {
        return "expected an absolute path";
    }
    return {};
}

Setter path(std::string DeliveryConfig::*member, bool allow_empty) {
    return [member, allow_empty](Config& config, std::string_view value) -> std::string {
        if (!(allow_empty && value.empty())) {
            if (auto problem = check_absolute_path(value); !problem.empty()) {
                return allow_empty ? problem + " or nothing" : problem;
            }
        }
        config.delivery.*member = std::string(value);
        return {};
    };
}

Setter url(std::string DeliveryConfig::*member, std::string (*check)(std::string_view),
           bool allow_empty) {
    return [member, check, allow_empty](Config& config, std::string_view value) -> std::string {
        if (!(allow_empty && value.empty())) {
            if (auto problem = check(value); !problem.empty()) {
                return problem;
            }
        }
        config.delivery.*member = std::string(value);
        return {};
    };
}

bool is_hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Twilio SIDs: a two-letter prefix and 32 hex digits ("AC…", "MG…").
Setter twilio_sid(std::string DeliveryConfig::*member, std::string_view prefix) {
    return [member, prefix](Config& config, std::string_view value) -> std::string {
        bool ok = value.empty() || (value.size() == 34 && value.substr(0, 2) == prefix);
        for (std::size_t i = 2; ok && !value.empty() && i < value.size(); ++i) {
            ok = is_hex_digit(value[i]);
        }
        if (!ok) {
            return "expected " + std::string(prefix) + " followed by 32 hex digits";
        }
        config.delivery.*member = std::string(value);
        return {};
    };
}

// A sending number: E.164 of any length, short codes of some countries
// included (a destination must be at least 8 digits: is_e164).
bool is_sender_number(std::string_view value) {
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
bool is_alphanumeric_sender(std::string_view value) {
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

bool is_token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_reserved_header(std::string_view name) {
    const std::string lower = ascii_lowercase(name);
    return lower == "content-type" || lower == "content-length" || lower == "host" ||
           lower == "transfer-encoding" || lower == "expect" || lower == "connection";
}

// `Name: value | Name: value`; '|' separates headers.
std::string set_http_headers(Config& config, std::string_view value) {
    std::vector<HttpHeader> headers;
    while (!value.empty()) {
        const auto bar = value.find('|');
        const std::string_view item = trim_blanks(value.substr(0, bar));
        value = bar == std::string_view::npos ? std::string_view{} : value.substr(bar + 1);
        const auto colon = item.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return "expected 'Name: value' headers separated by '|'";
        }
        const std::string_view name = item.substr(0, colon);
        const std::string_view header_value = trim_blanks(item.substr(colon + 1));
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

Setter command(std::vector<std::string> DeliveryConfig::*member) {
    return [member](Config& config, std::string_view value) -> std::string {
        if (value.empty()) {
            (config.delivery.*member).clear();
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
        config.delivery.*member = std::move(words);
        return {};
    };
}

}  // namespace

void add_delivery_settings(SetterTable& table) {
    const auto add = [&table](std::string_view key, Setter setter) {
        table.emplace(key, std::move(setter));
    };
    add("sms_backend",
        choice(&DeliveryConfig::sms_backend, std::vector<std::pair<std::string_view, SmsBackend>>{
                                                 {"none", SmsBackend::none},
                                                 {"twilio", SmsBackend::twilio},
                                                 {"generic", SmsBackend::generic},
                                                 {"file", SmsBackend::file},
                                                 {"command", SmsBackend::command}}));
    add("email_backend", choice(&DeliveryConfig::email_backend,
                                std::vector<std::pair<std::string_view, EmailBackend>>{
                                    {"none", EmailBackend::none},
                                    {"smtp", EmailBackend::smtp},
                                    {"sendmail", EmailBackend::sendmail},
                                    {"file", EmailBackend::file},
                                    {"command", EmailBackend::command}}));

    add("sms_template",
        message_template(&DeliveryConfig::sms_template, TemplateUse::message_text, 480));
    add("sms_verify_template",
        message_template(&DeliveryConfig::sms_verify_template, TemplateUse::message_text, 480));
    add("email_subject",
        message_template(&DeliveryConfig::email_subject, TemplateUse::subject, 200));
    add("email_template",
        message_template(&DeliveryConfig::email_template, TemplateUse::message_text, 4000));
    add("email_verify_subject",
        message_template(&DeliveryConfig::email_verify_subject, TemplateUse::subject, 200));
    add("email_verify_template",
        message_template(&DeliveryConfig::email_verify_template, TemplateUse::message_text, 4000));
    add("sms_change_template",
        message_template(&DeliveryConfig::sms_change_template, TemplateUse::message_text, 480));
    add("email_change_subject",
        message_template(&DeliveryConfig::email_change_subject, TemplateUse::subject, 200));
    add("email_change_template",
        message_template(&DeliveryConfig::email_change_template, TemplateUse::message_text, 4000));
    add("email_notice_subject",
        message_template(&DeliveryConfig::email_notice_subject, TemplateUse::subject, 200));

    add("credentials_file", [](Config& config, std::string_view value) -> std::string {
        if (auto problem = check_absolute_path(value); !problem.empty()) {
            return problem;
        }
        config.delivery.credentials_file = std::string(value);
        return {};
    });
    add("delivery_timeout_ms", unsigned_setter(field(&DeliveryConfig::timeout_ms), 100, 30000));
    add("delivery_connect_timeout_ms",
        unsigned_setter(field(&DeliveryConfig::connect_timeout_ms), 100, 30000));
    add("tls_ca_file", path(&DeliveryConfig::tls_ca_file, true));
    add("tls_ca_path", path(&DeliveryConfig::tls_ca_path, true));

    add("twilio_account_sid", twilio_sid(&DeliveryConfig::twilio_account_sid, "AC"));
    add("twilio_messaging_service_sid",
        twilio_sid(&DeliveryConfig::twilio_messaging_service_sid, "MG"));
    add("twilio_from", [](Config& config, std::string_view value) -> std::string {
        if (!value.empty() && !is_sender_number(value) && !is_alphanumeric_sender(value)) {
            return "expected a number in E.164 form (+14155550100) or an alphanumeric sender ID";
        }
        config.delivery.twilio_from = std::string(value);
        return {};
    });
    add("twilio_api_url", url(&DeliveryConfig::twilio_api_url, &check_https_url, false));

    add("http_url", url(&DeliveryConfig::http_url, &check_https_url, true));
    add("http_method", choice(&DeliveryConfig::http_method,
                              std::vector<std::pair<std::string_view, HttpMethod>>{
                                  {"POST", HttpMethod::post}, {"PUT", HttpMethod::put}}));
    add("http_body_type", choice(&DeliveryConfig::http_body_type,
                                 std::vector<std::pair<std::string_view, HttpBodyType>>{
                                     {"form", HttpBodyType::form}, {"json", HttpBodyType::json}}));
    add("http_body", message_template(&DeliveryConfig::http_body, TemplateUse::http_body, 2000));
    add("http_headers", &set_http_headers);
    add("http_auth",
        choice(&DeliveryConfig::http_auth,
               std::vector<std::pair<std::string_view, HttpAuth>>{{"none", HttpAuth::none},
                                                                  {"basic", HttpAuth::basic},
                                                                  {"bearer", HttpAuth::bearer}}));
    add("http_username", [](Config& config, std::string_view value) -> std::string {
        if (value.size() > 256 || has_control_characters(value) ||
            value.find(':') != std::string_view::npos) {
            return "must be at most 256 printable characters without ':'";
        }
        config.delivery.http_username = std::string(value);
        return {};
    });
    add("http_success_contains", text_setter(field(&DeliveryConfig::http_success_contains), true));

    add("smtp_url", url(&DeliveryConfig::smtp_url, &check_smtp_url, true));
    add("smtp_starttls",
        choice(&DeliveryConfig::smtp_starttls,
               std::vector<std::pair<std::string_view, SmtpStartTls>>{
                   {"required", SmtpStartTls::required}, {"none", SmtpStartTls::none}}));
    add("smtp_username", text_setter(field(&DeliveryConfig::smtp_username), true));
    add("email_from", [](Config& config, std::string_view value) -> std::string {
        if (!value.empty() && !parse_mail_address(value)) {
            return "expected an address (otpgate@example.com) or a name and an address "
                   "(otpgate <otpgate@example.com>)";
        }
        config.delivery.email_from = std::string(value);
        return {};
    });
    add("sendmail_path", path(&DeliveryConfig::sendmail_path, false));
    add("sms_outbox", path(&DeliveryConfig::sms_outbox, true));
    add("email_outbox", path(&DeliveryConfig::email_outbox, true));
    add("sms_command", command(&DeliveryConfig::sms_command));
    add("email_command", command(&DeliveryConfig::email_command));
}

}  // namespace otpgate::core
