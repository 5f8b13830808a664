// A message for a person (a code or a notice) and what sends it.
#pragma once

#include <memory>
#include <string>

#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/primitives/secret.hpp"
#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

struct DeliveryConfig;

// A code is sent for one of three purposes, each with its own text: to
// log in, to verify a new destination, or to confirm a change to the
// second factor (proving the current one first). A notice carries no code.
enum class MessageKind { login_code, verification_code, change_code, notice };

struct OutgoingMessage {
    Channel channel = Channel::sms;
    MessageKind kind = MessageKind::login_code;
    std::string to;              // E.164 "+447700900123" or "alice@example.com", already validated
    std::string user;            // login name -> {user}
    std::string host;            // host name -> {host}
    SecretString code;           // digits -> {code}; empty for notices
    unsigned valid_minutes = 0;  // -> {minutes}
    std::string notice_text;     // the body of a notice; never a code
};

struct DeliveryResult {
    bool delivered = false;
    // For logs and the user, e.g. "gateway answered HTTP 503". Never the
    // code, the message text or a credential.
    std::string detail;
};

class MessageSender {
public:
    virtual ~MessageSender() = default;
    virtual DeliveryResult send(const OutgoingMessage& message) = 0;
};

// The sender configured for `channel`; an error when none is configured or
// its credentials cannot be read (e.g. an unprivileged screen locker).
Result<std::unique_ptr<MessageSender>> make_message_sender(const DeliveryConfig& config,
                                                           Channel channel, Logger& logger);

}  // namespace otpgate::core
