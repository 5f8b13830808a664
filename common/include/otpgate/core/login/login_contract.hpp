// What a login flow needs from whoever runs it, and what it answers: the
// PAM module, the otpgate command and its helper supply these, and both
// flows (login_session.hpp, delivered_code_login.hpp) take them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "otpgate/core/delivery/message.hpp"
#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/primitives/secret.hpp"
#include "otpgate/core/storage/storage.hpp"
#include "otpgate/core/system/clock.hpp"
#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

class Conversation {
public:
    virtual ~Conversation() = default;
    // Asks with echo off. nullopt when the conversation failed or the
    // application gave no answer.
    virtual std::optional<SecretString> ask_hidden(std::string_view prompt) = 0;
    virtual void show_error(std::string_view message) = 0;
};

enum class LoginOutcome {
    success,              // a valid, unused code was given
    denied,               // wrong or replayed codes, unenrolled, refused files
    not_applicable,       // unenrolled and nullok: let the rest of the stack decide
    conversation_failed,  // the application could not ask
    unavailable,          // state or enrollment could not be read or written
};

std::string_view to_string(LoginOutcome outcome);

using SenderFactory = std::function<Result<std::unique_ptr<MessageSender>>(Channel)>;

// What a login needs from its surroundings; tests pass their own clock.
struct LoginServices {
    Conversation& conversation;
    Logger& logger;
    const Clock& clock;
    RandomSource& random;
    Storage& storage;                  // enrollments and login state (open_storage.hpp)
    SenderFactory make_sender;         // for SMS and email codes
    std::string host_name;             // {host} in messages
    CheckPrimitives check_primitives;  // what checking a typed code does
};

// Where a login comes from, as the application told PAM. The otpgate
// command and its helper leave both empty: no policy skips their checks.
struct LoginContext {
    std::string service;      // PAM_SERVICE
    std::string remote_host;  // PAM_RHOST; empty for local logins
};

}  // namespace otpgate::core
