// The files of a fuzzed login (login_case.hpp) written into the sandbox,
// and what the harness knows of them: the enrollment whose right codes it
// can type, and its backup codes in plain text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "login_case.hpp"
#include "login_sandbox.hpp"
#include "otpgate/core/enrollment/enrollment.hpp"

namespace otpgate::fuzz {

struct LoginWorld {
    // The enrollment the module will find, when the harness can tell: it
    // wrote a valid one, or the input's bytes happen to parse.
    std::optional<core::Enrollment> enrollment;
    std::vector<std::string> backup_codes;  // plain, when the harness made them
    // The file breaks a rule the module enforces (readable by group): no
    // code may pass, however right.
    bool refused = false;
};

LoginWorld build_login_world(const LoginCase& login, const LoginSandbox& sandbox);

}  // namespace otpgate::fuzz
