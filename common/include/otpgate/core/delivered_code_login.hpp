// The login dialogue of users enrolled with SMS or email: send a fresh
// code to the verified destination, then ask for it, naming the masked
// destination in the prompt itself (sshd shows PAM info messages late or
// never in keyboard-interactive).
#pragma once

#include <string>

#include "otpgate/core/config.hpp"
#include "otpgate/core/enrollment.hpp"
#include "otpgate/core/login_session.hpp"
#include "otpgate/core/recorded_check.hpp"

namespace otpgate::core {

// `recorder` keeps the lockout and the last success in the user's state.
LoginOutcome run_delivered_code_login(const std::string& user_name, const Enrollment& enrollment,
                                      const Config& config, LoginServices& services,
                                      AttemptRecorder& recorder);

}  // namespace otpgate::core
