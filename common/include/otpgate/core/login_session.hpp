// The second-factor dialogue of one login, independent of PAM: the module
// supplies a Conversation and maps the outcome to a PAM return code.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <functional>
#include <memory>

#include "otpgate/core/clock.hpp"
#include "otpgate/core/code_check.hpp"
#include "otpgate/core/config.hpp"
#include "otpgate/core/logger.hpp"
#include "otpgate/core/message.hpp"
#include "otpgate/core/random.hpp"
#include "otpgate/core/secret.hpp"

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
    success,             // a valid, unused code was given
    denied,              // wrong or replayed codes, unenrolled, refused files
    not_applicable,      // unenrolled and nullok: let the rest of the stack decide
    conversation_failed, // the application could not ask
    unavailable,         // state or enrollment could not be read or written
};

std::string_view to_string(LoginOutcome outcome);

// Strips what people type between digits: spaces, dashes, dots, tabs.
// Returns nullopt when anything else than digits remains.
std::optional<SecretString> normalize_typed_code(std::string_view typed);

// What the prompt after a refused answer starts with, in every dialogue:
// "Wrong code. " (or that a sent code expired), and on the last try the
// help line as well. Wrong, replayed and unchecked (locked, not enrolled)
// answers all read the same.
std::string wrong_code_note(const Config& config, bool last_try, bool expired = false);

using SenderFactory = std::function<Result<std::unique_ptr<MessageSender>>(Channel)>;

// What a login needs from its surroundings; tests pass their own clock.
struct LoginServices {
    Conversation& conversation;
    Logger& logger;
    const Clock& clock;
    RandomSource& random;
    SenderFactory make_sender;  // for SMS and email codes
    std::string host_name;      // {host} in messages
    CheckPrimitives check_primitives;  // what checking a typed code does
};

// Where a login comes from, as the application told PAM. The otpgate
// command and its helper leave both empty: no policy skips their checks.
struct LoginContext {
    std::string service;      // PAM_SERVICE
    std::string remote_host;  // PAM_RHOST; empty for local logins
};

// Before asking: an exempt remote host, a user outside `enforce` who has
// not enrolled, or a remembered host make it not_applicable (PAM_IGNORE);
// a locked user is asked as usual and every code refused.
// For proving possession outside a login (a change made with the otpgate
// command or otpgate-verify): whatever the file says, a delivery failure
// never counts as proof (failmode secure), having no enrollment proves
// nothing (nullok off), and a code sent is a change_code, with its own text.
Config proof_config(Config config);

LoginOutcome run_login(const std::string& user_name, const Config& config,
                       LoginServices& services, const LoginContext& context = {});

// The same with the system's randomness and the configured senders.
LoginOutcome run_login(const std::string& user_name, const Config& config,
                       Conversation& conversation, Logger& logger, const Clock& clock,
                       const LoginContext& context = {});

}  // namespace otpgate::core
