// The factory: from the configuration to a ready sender, with every check
// that needs more than one key, and credentials read only when the chosen
// backend needs one.
#include <unistd.h>

#include "otpgate/core/delivery/delivery_config.hpp"
#include "otpgate/core/delivery/generic_http_sms.hpp"
#include "otpgate/core/delivery/message.hpp"
#include "otpgate/core/delivery/message_text.hpp"
#include "otpgate/core/delivery/outbox_sender.hpp"
#include "otpgate/core/delivery/program_sender.hpp"
#include "otpgate/core/delivery/smtp_email.hpp"
#include "otpgate/core/delivery/twilio_sms.hpp"
#include "otpgate/core/primitives/text.hpp"
#include "otpgate/core/system/credentials.hpp"
#include "otpgate/core/system/host_name.hpp"
#include "otpgate/core/transport/curl_library.hpp"

namespace otpgate::core {
namespace {

using SenderResult = Result<std::unique_ptr<MessageSender>>;

template <typename T, typename... Args>
SenderResult make(Args&&... args) {
    return std::unique_ptr<MessageSender>(std::make_unique<T>(std::forward<Args>(args)...));
}

Error incomplete(std::string problem) {
    return make_error(ErrorKind::invalid_input, std::move(problem));
}

Result<SecretString> credential(const DeliveryConfig& config, std::string_view key) {
    auto credentials = load_credentials(config.credentials_file);
    if (!credentials) {
        return credentials.error();
    }
    const SecretString* value = credentials->find(key);
    if (value == nullptr) {
        return make_error(ErrorKind::invalid_input, "credentials file " +
                                                        config.credentials_file.string() +
                                                        " does not set " + std::string(key));
    }
    return *value;
}

// SMS over the single-message limit are split and billed as several.
void warn_about_sms_length(const DeliveryConfig& config, Logger& logger) {
    OutgoingMessage sample;
    sample.to = "+447700900123";
    sample.user = "user";
    sample.host = host_name();
    sample.code = SecretString("123456");
    sample.valid_minutes = 15;
    const std::pair<MessageKind, std::string_view> templates[] = {
        {MessageKind::login_code, "sms_template"},
        {MessageKind::verification_code, "sms_verify_template"},
        {MessageKind::change_code, "sms_change_template"}};
    for (const auto& [kind, key] : templates) {
        sample.kind = kind;
        const SmsSize size = sms_size(compose_sms_text(config, sample).view());
        if (size.units > size.single_sms_limit()) {
            logger.warning(std::string(key) + " makes messages of about " +
                           std::to_string(size.units) +
                           (size.gsm7 ? " GSM characters" : " UCS-2 characters") + ", over the " +
                           std::to_string(size.single_sms_limit()) +
                           " of one SMS: they will be split and billed as several");
        }
    }
}

SenderResult make_sms_sender(const DeliveryConfig& config, Logger& logger) {
    switch (config.sms_backend) {
        case SmsBackend::none:
            return make_error(ErrorKind::unavailable, "no SMS backend is configured (sms_backend)");
        case SmsBackend::twilio: {
            if (auto problem = check_twilio_settings(config); !problem.empty()) {
                return incomplete(problem);
            }
            if (auto loaded = curl_library(); !loaded) {
                return loaded.error();
            }
            auto token = credential(config, "twilio_auth_token");
            if (!token) {
                return token.error();
            }
            return make<TwilioSmsSender>(config, std::move(token.value()), logger);
        }
        case SmsBackend::generic: {
            if (auto problem = check_generic_http_settings(config); !problem.empty()) {
                return incomplete(problem);
            }
            if (auto loaded = curl_library(); !loaded) {
                return loaded.error();
            }
            std::optional<SecretString> secret;
            if (config.http_auth != HttpAuth::none) {
                auto value =
                    credential(config, config.http_auth == HttpAuth::basic ? "http_password"
                                                                           : "http_bearer_token");
                if (!value) {
                    return value.error();
                }
                secret = std::move(value.value());
            }
            return make<GenericHttpSmsSender>(config, std::move(secret), logger);
        }
        case SmsBackend::file:
            if (config.sms_outbox.empty()) {
                return incomplete("sms_backend = file needs sms_outbox");
            }
            return make<OutboxSender>(config, Channel::sms, config.sms_outbox, logger);
        case SmsBackend::command:
            if (config.sms_command.empty()) {
                return incomplete("sms_backend = command needs sms_command");
            }
            return make<ProgramSender>(config, Channel::sms, ProgramSender::Style::command,
                                       config.sms_command, logger);
    }
    return incomplete("unknown sms_backend");
}

SenderResult make_email_sender(const DeliveryConfig& config, Logger& logger) {
    switch (config.email_backend) {
        case EmailBackend::none:
            return make_error(ErrorKind::unavailable,
                              "no email backend is configured (email_backend)");
        case EmailBackend::smtp: {
            if (auto problem = check_smtp_settings(config); !problem.empty()) {
                return incomplete(problem);
            }
            auto from = parse_mail_address(config.email_from);
            if (!from) {
                return incomplete("email_from is not a valid address");
            }
            if (auto loaded = curl_library(); !loaded) {
                return loaded.error();
            }
            std::optional<SecretString> password;
            if (!config.smtp_username.empty()) {
                auto value = credential(config, "smtp_password");
                if (!value) {
                    return value.error();
                }
                password = std::move(value.value());
            }
            return make<SmtpEmailSender>(config, std::move(*from), std::move(password), logger);
        }
        case EmailBackend::sendmail:
            return make<ProgramSender>(config, Channel::email, ProgramSender::Style::sendmail,
                                       std::vector<std::string>{config.sendmail_path}, logger);
        case EmailBackend::file:
            if (config.email_outbox.empty()) {
                return incomplete("email_backend = file needs email_outbox");
            }
            return make<OutboxSender>(config, Channel::email, config.email_outbox, logger);
        case EmailBackend::command:
            if (config.email_command.empty()) {
                return incomplete("email_backend = command needs email_command");
            }
            return make<ProgramSender>(config, Channel::email, ProgramSender::Style::command,
                                       config.email_command, logger);
    }
    return incomplete("unknown email_backend");
}

}  // namespace

Result<std::unique_ptr<MessageSender>> make_message_sender(const DeliveryConfig& config,
                                                           Channel channel, Logger& logger) {
    if (channel == Channel::sms) {
        auto sender = make_sms_sender(config, logger);
        if (sender) {
            warn_about_sms_length(config, logger);
        }
        return sender;
    }
    return make_email_sender(config, logger);
}

}  // namespace otpgate::core
