// Email over SMTP with libcurl: smtp:// with STARTTLS required (unless
// smtp_starttls = none, allowed only for a relay on this host), or smtps://
// (TLS from the first byte); AUTH when smtp_username is set.
#pragma once

#include <optional>

#include "otpgate/core/delivery/delivery_config.hpp"
#include "otpgate/core/delivery/email_format.hpp"
#include "otpgate/core/delivery/message.hpp"
#include "otpgate/core/primitives/secret.hpp"
#include "otpgate/core/system/logger.hpp"
#include "otpgate/core/transport/curl_transfer.hpp"

namespace otpgate::core {

class SmtpEmailSender final : public MessageSender {
public:
    SmtpEmailSender(const DeliveryConfig& config, MailAddress from,
                    std::optional<SecretString> password, Logger& logger);
    DeliveryResult send(const OutgoingMessage& message) override;

private:
    DeliveryConfig m_config;
    TransferSettings m_transfer;
    MailAddress m_from;
    std::optional<SecretString> m_password;
    Logger& m_logger;
};

// Empty when the smtp settings work together, else the problem.
std::string check_smtp_settings(const DeliveryConfig& config);

}  // namespace otpgate::core
