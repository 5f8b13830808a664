// The `file` backend: each message is appended to an outbox file as one
// JSON object on one line (the demo reads codes from it; a host without a
// provider can have another program pick messages up):
//
//   {"time":"2026-12-01T09:05:00Z","channel":"sms","kind":"login_code",
//    "to":"+447700900123","user":"alice","host":"srv1","code":"123456",
//    "minutes":5,"subject":"","text":"123456 is your srv1 login code. ..."}
//
// "subject" is empty for SMS; "code" is empty for notices. The file holds
// live codes: it is created 0600, must stay a regular file with one link,
// owned by the caller (or root), without group-write or other bits.
// Writers take an flock and fsync each record; readers may take a shared
// flock to see only whole records.
#pragma once

#include <filesystem>

#include "otpgate/core/delivery/delivery_config.hpp"
#include "otpgate/core/delivery/message.hpp"
#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

class OutboxSender final : public MessageSender {
public:
    OutboxSender(const DeliveryConfig& config, Channel channel, std::filesystem::path outbox,
                 Logger& logger);
    DeliveryResult send(const OutgoingMessage& message) override;

private:
    DeliveryConfig m_config;
    Channel m_channel;
    std::filesystem::path m_outbox;
    Logger& m_logger;
};

// The record for `message` (one line, ending in '\n'), holding the code.
SecretString outbox_record(const DeliveryConfig& config, const OutgoingMessage& message,
                           std::time_t now);

}  // namespace otpgate::core
