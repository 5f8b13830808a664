// SMS through Twilio's Programmable Messaging API (Message resource):
//   POST {twilio_api_url}/2010-04-01/Accounts/{AccountSid}/Messages.json
//   Authorization: Basic base64(AccountSid:AuthToken)
//   Content-Type: application/x-www-form-urlencoded
//   To=+44...&From=+1... (or MessagingServiceSid=MG...)&Body=...
// Twilio answers 201 Created with the new message; any 2xx counts as sent.
#pragma once

#include "otpgate/core/delivery/delivery_config.hpp"
#include "otpgate/core/delivery/message.hpp"
#include "otpgate/core/primitives/secret.hpp"
#include "otpgate/core/system/logger.hpp"
#include "otpgate/core/transport/curl_transfer.hpp"

namespace otpgate::core {

class TwilioSmsSender final : public MessageSender {
public:
    TwilioSmsSender(const DeliveryConfig& config, SecretString auth_token, Logger& logger);
    DeliveryResult send(const OutgoingMessage& message) override;

private:
    DeliveryConfig m_config;
    TransferSettings m_transfer;
    SecretString m_auth_token;
    Logger& m_logger;
};

// Empty when the twilio_* settings are complete and consistent, else what
// is missing (exactly one of twilio_from and twilio_messaging_service_sid).
std::string check_twilio_settings(const DeliveryConfig& config);

// Twilio's numeric error code from an error response body (e.g. 21211), or
// 0; the body itself is never shown (it may echo the message).
long twilio_error_code(std::string_view body);

}  // namespace otpgate::core
