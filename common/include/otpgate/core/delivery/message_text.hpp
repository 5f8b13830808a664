// The words of a message: which template a message kind uses, filled in
// with the message's values. Shared by every backend, so an SMS reads the
// same whether it goes through Twilio, a gateway, a program or the outbox.
#pragma once

#include <string>
#include <string_view>

#include "otpgate/core/delivery/delivery_config.hpp"
#include "otpgate/core/delivery/message.hpp"
#include "otpgate/core/delivery/message_template.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

std::string_view channel_name(Channel channel);        // "sms", "email"
std::string_view message_kind_name(MessageKind kind);  // "login_code", ...

// The values of a message for render_template (views into `message` and
// `minutes_text`, which must outlive the result).
TemplateValues template_values(const OutgoingMessage& message, const std::string& minutes_text);

// The SMS text: sms_template, sms_verify_template, sms_change_template, or
// the notice text.
SecretString compose_sms_text(const DeliveryConfig& config, const OutgoingMessage& message);

struct EmailText {
    SecretString subject;  // may hold the code if the administrator put {code} there
    SecretString body;
};
EmailText compose_email_text(const DeliveryConfig& config, const OutgoingMessage& message);

// How an SMS text will be counted by the networks: GSM 03.38 7-bit
// characters (extension characters count twice) if every character has
// one, else UCS-2 code units.
struct SmsSize {
    std::size_t units = 0;
    bool gsm7 = true;
    [[nodiscard]] std::size_t single_sms_limit() const { return gsm7 ? 160 : 70; }
};
SmsSize sms_size(std::string_view utf8_text);

}  // namespace otpgate::core
