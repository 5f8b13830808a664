// Running the set-uid otpgate-verify helper for an ordinary user: the only
// way such a user gets a code sent to them or a code recorded in the
// root-owned state. The helper talks to the person directly (it inherits
// the terminal); this side only starts it and passes on its verdict.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "exit_code.hpp"
#include "otpgate/core/config/config.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::cli {

// Whether config.verify_helper names an installed helper: a regular file
// owned by root with the set-uid bit.
bool verify_helper_installed(const core::Config& config);

// Runs `verify_helper ARGUMENTS...` with an empty environment and waits.
// `input`, when given, is its standard input (a code handed over, through a
// pipe); otherwise it reads the person at this terminal. nullopt when it
// succeeded; otherwise its exit code, with an empty message when the helper
// already said why.
std::optional<Failure> run_verify_helper(const core::Config& config,
                                         const std::vector<std::string>& arguments,
                                         const core::SecretString* input = nullptr);

}  // namespace otpgate::cli
