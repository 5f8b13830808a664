// Messages handed to a local program (child_process.hpp rules: no shell,
// minimal environment, killed at delivery_timeout_ms; exit status 0 means
// sent):
//   sendmail:  SENDMAIL_PATH -i -- RECIPIENT, the whole RFC 5322 message on
//              standard input (LF line endings, as local submission expects).
//   command:   PROGRAM [FIXED ARGS...] DESTINATION; standard input is the SMS
//              text plus a newline (sms_command) or the whole email
//              message as for sendmail (email_command).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "otpgate/core/delivery/delivery_config.hpp"
#include "otpgate/core/delivery/email_format.hpp"
#include "otpgate/core/delivery/message.hpp"
#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

class ProgramSender final : public MessageSender {
public:
    enum class Style { sendmail, command };
    // `argv_prefix`: the program and its fixed arguments; the destination
    // is appended (after "-i --" for sendmail).
    ProgramSender(const DeliveryConfig& config, Channel channel, Style style,
                  std::vector<std::string> argv_prefix, Logger& logger);
    DeliveryResult send(const OutgoingMessage& message) override;

private:
    DeliveryConfig m_config;
    Channel m_channel;
    Style m_style;
    std::vector<std::string> m_argv_prefix;
    std::optional<MailAddress> m_from;
    Logger& m_logger;
};

// "/usr/bin/prog --flag value" split on blanks; the first word must be an
// absolute path. Empty vector and `problem` set on error.
std::vector<std::string> split_command(std::string_view text, std::string& problem);

}  // namespace otpgate::core
