#include "otpgate/core/delivery/twilio_sms.hpp"

#include <chrono>

#include "otpgate/core/delivery/message_template.hpp"
#include "otpgate/core/delivery/message_text.hpp"
#include "otpgate/core/delivery/sender_transfer.hpp"
#include "otpgate/core/transport/https_client.hpp"

namespace otpgate::core {
namespace {

void append_field(SecretString& body, std::string_view name, std::string_view value) {
    if (!body.empty()) {
        body.push_back('&');
    }
    append_text(body, name);
    body.push_back('=');
    append_escaped(body, value, Escaping::form);
}

std::string messages_url(const DeliveryConfig& config) {
    std::string base = config.twilio_api_url;
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    return base + "/2010-04-01/Accounts/" + config.twilio_account_sid + "/Messages.json";
}

}  // namespace

std::string check_twilio_settings(const DeliveryConfig& config) {
    if (config.twilio_account_sid.empty()) {
        return "sms_backend = twilio needs twilio_account_sid";
    }
    if (config.twilio_from.empty() == config.twilio_messaging_service_sid.empty()) {
        return "sms_backend = twilio needs exactly one of twilio_from and "
               "twilio_messaging_service_sid";
    }
    return {};
}

long twilio_error_code(std::string_view body) {
    constexpr std::string_view key = "\"code\"";
    const auto at = body.find(key);
    if (at == std::string_view::npos) {
        return 0;
    }
    std::size_t i = at + key.size();
    while (i < body.size() && (body[i] == ' ' || body[i] == ':')) {
        ++i;
    }
    long code = 0;
    std::size_t digits = 0;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9' && digits < 9) {
        code = code * 10 + (body[i] - '0');
        ++i;
        ++digits;
    }
    return code;
}

TwilioSmsSender::TwilioSmsSender(const DeliveryConfig& config, SecretString auth_token,
                                 Logger& logger)
    : m_config(config),
      m_transfer(transfer_settings(config)),
      m_auth_token(std::move(auth_token)),
      m_logger(logger) {}

DeliveryResult TwilioSmsSender::send(const OutgoingMessage& message) {
    if (message.channel != Channel::sms) {
        return {false, "the twilio backend only sends SMS"};
    }
    const SecretString text = compose_sms_text(m_config, message);
    SecretString body;
    append_field(body, "To", message.to);
    if (!m_config.twilio_messaging_service_sid.empty()) {
        append_field(body, "MessagingServiceSid", m_config.twilio_messaging_service_sid);
    } else {
        append_field(body, "From", m_config.twilio_from);
    }
    append_field(body, "Body", text.view());

    HttpRequest request;
    request.url = messages_url(m_config);
    request.method = HttpMethod::post;
    request.content_type = "application/x-www-form-urlencoded";
    request.body = body.view();
    request.auth = HttpAuth::basic;
    request.username = m_config.twilio_account_sid;
    request.secret = m_auth_token.view();

    const auto start = std::chrono::steady_clock::now();
    const HttpOutcome outcome = perform_http_request(request, m_transfer);
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (!outcome.answered) {
        m_logger.debug("twilio: " + outcome.failure);
        return {false, outcome.failure};
    }
    DeliveryResult result = judge_http_status(outcome.status);
    if (!result.delivered) {
        if (const long code = twilio_error_code(outcome.body); code != 0) {
            result.detail += " (Twilio error " + std::to_string(code) + ")";
        }
    }
    m_logger.debug("twilio: " + result.detail + " after " + std::to_string(elapsed.count()) +
                   " ms");
    return result;
}

}  // namespace otpgate::core
