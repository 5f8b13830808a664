#include "otpgate/core/delivery/generic_http_sms.hpp"

#include <cctype>

#include "otpgate/core/delivery/message_template.hpp"
#include "otpgate/core/delivery/message_text.hpp"
#include "otpgate/core/delivery/sender_transfer.hpp"
#include "otpgate/core/transport/https_client.hpp"
#include "otpgate/core/transport/json_text.hpp"

namespace otpgate::core {
namespace {

bool same_name(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

const char* content_type(HttpBodyType type) {
    return type == HttpBodyType::json ? "application/json" : "application/x-www-form-urlencoded";
}

}  // namespace

SecretString render_http_body(const DeliveryConfig& config, const OutgoingMessage& message) {
    const SecretString text = compose_sms_text(config, message);
    const std::string minutes = std::to_string(message.valid_minutes);
    TemplateValues values = template_values(message, minutes);
    values.message = text.view();
    const Escaping escaping =
        config.http_body_type == HttpBodyType::json ? Escaping::json : Escaping::form;
    return render_template(config.http_body, values, escaping);
}

std::string check_generic_http_settings(const DeliveryConfig& config) {
    if (config.http_url.empty()) {
        return "sms_backend = generic needs http_url";
    }
    if (config.http_auth == HttpAuth::basic && config.http_username.empty()) {
        return "http_auth = basic needs http_username";
    }
    for (const auto& header : config.http_headers) {
        if (config.http_auth != HttpAuth::none && same_name(header.name, "Authorization")) {
            return "http_headers must not set Authorization when http_auth is basic or bearer";
        }
    }
    if (config.http_body_type == HttpBodyType::json) {
        // Render a sample with every character that needs escaping, so a
        // placeholder outside quotes shows up now and not at the first login.
        OutgoingMessage sample;
        sample.to = "+447700900123";
        sample.user = "user \"name\"";
        sample.host = "host\\name";
        sample.code = SecretString("123456");
        sample.valid_minutes = 5;
        const SecretString body = render_http_body(config, sample);
        if (!is_valid_json(body.view())) {
            return "http_body is not valid JSON once filled in (placeholders for text belong "
                   "inside quotes: \"message\":\"{message}\")";
        }
    }
    return {};
}

GenericHttpSmsSender::GenericHttpSmsSender(const DeliveryConfig& config,
                                           std::optional<SecretString> secret, Logger& logger)
    : m_config(config),
      m_transfer(transfer_settings(config)),
      m_secret(std::move(secret)),
      m_logger(logger) {}

DeliveryResult GenericHttpSmsSender::send(const OutgoingMessage& message) {
    if (message.channel != Channel::sms) {
        return {false, "the generic HTTP backend only sends SMS"};
    }
    const SecretString body = render_http_body(m_config, message);
    HttpRequest request;
    request.url = m_config.http_url;
    request.method = m_config.http_method;
    request.content_type = content_type(m_config.http_body_type);
    request.body = body.view();
    for (const auto& header : m_config.http_headers) {
        request.extra_headers.push_back(header.name + ": " + header.value);
    }
    request.auth = m_config.http_auth;
    request.username = m_config.http_username;
    if (m_secret) {
        request.secret = m_secret->view();
    }
    const HttpOutcome outcome = perform_http_request(request, m_transfer);
    if (!outcome.answered) {
        m_logger.debug("sms gateway: " + outcome.failure);
        return {false, outcome.failure};
    }
    DeliveryResult result = judge_http_status(outcome.status);
    if (result.delivered && !m_config.http_success_contains.empty() &&
        outcome.body.find(m_config.http_success_contains) == std::string::npos) {
        result = {false, result.detail +
                             " without the configured success text "
                             "(http_success_contains) in its response"};
    }
    m_logger.debug("sms gateway: " + result.detail);
    return result;
}

}  // namespace otpgate::core
