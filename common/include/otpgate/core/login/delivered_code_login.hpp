// The login dialogue of users enrolled with SMS or email: send a fresh
// code to the verified destination, then ask for it, naming the masked
// destination in the prompt itself (sshd shows PAM info messages late or
// never in keyboard-interactive).
#pragma once

#include <string>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/login/login_contract.hpp"
#include "otpgate/core/login/recorded_check.hpp"

namespace otpgate::core {

enum class DeliveryLock {
    open,    // the user may get codes
    locked,  // locked after wrong codes: nothing is sent or checked
};

// `recorder` keeps the lockout and the last success in the user's state.
// A locked user goes through the same dialogue (prompt, resend, notes,
// help line) as anyone of their method, but no code is sent: the dialogue
// must not tell who is locked, and a lock must not cost messages.
LoginOutcome run_delivered_code_login(const std::string& user_name, const Enrollment& enrollment,
                                      const Config& config, LoginServices& services,
                                      AttemptRecorder& recorder,
                                      DeliveryLock lock = DeliveryLock::open);

}  // namespace otpgate::core
