// SMS through any HTTP gateway: http_url, http_method (POST or PUT), a body
// template (form or JSON, each value escaped for the body type), extra
// headers, basic or bearer auth, success = 2xx plus, if configured, a text
// that must appear in the response body.
#pragma once

#include <optional>

#include "otpgate/core/delivery/delivery_config.hpp"
#include "otpgate/core/delivery/message.hpp"
#include "otpgate/core/primitives/secret.hpp"
#include "otpgate/core/system/logger.hpp"
#include "otpgate/core/transport/curl_transfer.hpp"

namespace otpgate::core {

class GenericHttpSmsSender final : public MessageSender {
public:
    // `secret`: http_password for basic auth, http_bearer_token for bearer.
    GenericHttpSmsSender(const DeliveryConfig& config, std::optional<SecretString> secret,
                         Logger& logger);
    DeliveryResult send(const OutgoingMessage& message) override;

private:
    DeliveryConfig m_config;
    TransferSettings m_transfer;
    std::optional<SecretString> m_secret;
    Logger& m_logger;
};

// Empty when the http_* settings work together, else the problem: a URL is
// set, a JSON body renders to valid JSON, basic auth has a user name, no
// Authorization header next to http_auth.
std::string check_generic_http_settings(const DeliveryConfig& config);

// The request body for `message` (exposed for tests and the example config).
SecretString render_http_body(const DeliveryConfig& config, const OutgoingMessage& message);

}  // namespace otpgate::core
