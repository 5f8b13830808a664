// The second-factor dialogue of one login, independent of PAM: the module
// supplies a Conversation (login_contract.hpp) and maps the outcome to a
// PAM return code. TOTP and unenrolled users are asked here; users of
// delivered codes in delivered_code_login.hpp.
#pragma once

#include <string>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/login/login_contract.hpp"
#include "otpgate/core/login/login_dialogue.hpp"

namespace otpgate::core {

// Before asking: an exempt remote host, a user outside `enforce` who has
// not enrolled, or a remembered host make it not_applicable (PAM_IGNORE);
// a locked user is asked as usual and every code refused.
// For proving possession outside a login (a change made with the otpgate
// command or otpgate-verify): whatever the file says, a delivery failure
// never counts as proof (failmode secure), having no enrollment proves
// nothing (nullok off), and a code sent is a change_code, with its own text.
Config proof_config(Config config);

LoginOutcome run_login(const std::string& user_name, const Config& config, LoginServices& services,
                       const LoginContext& context = {});

// The same with the system's randomness and the configured senders, in
// `storage`, or in the configured one (open_storage.hpp).
LoginOutcome run_login(const std::string& user_name, const Config& config, Storage& storage,
                       Conversation& conversation, Logger& logger, const Clock& clock,
                       const LoginContext& context = {});
LoginOutcome run_login(const std::string& user_name, const Config& config,
                       Conversation& conversation, Logger& logger, const Clock& clock,
                       const LoginContext& context = {});

}  // namespace otpgate::core
