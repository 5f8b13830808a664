// Exit codes of the otpgate command, documented in `otpgate --help` and
// otpgate(1). Scripts branch on them, so they never change meaning.
#pragma once

#include <string>
#include <string_view>

#include "otpgate/core/primitives/result.hpp"

namespace otpgate::cli {

enum class ExitCode : int {
    ok = 0,
    not_verified = 1,  // the code was wrong, or none was given
    usage = 2,         // bad command line
    not_enrolled = 3,
    not_permitted = 4,  // acting for another user without root; a refused file
    config = 5,         // the configuration file is missing or has errors
    storage = 6,        // an enrollment or state file cannot be read or written
    not_delivered = 7,  // an SMS or email code could not be sent
    internal = 70,      // a bug or a resource failure (EX_SOFTWARE)
};

// The table shown at the end of `otpgate --help`.
std::string_view exit_code_table();

// Why a command stops early: one line for stderr and the code to exit with.
struct Failure {
    ExitCode code;
    std::string message;
};

// Prints "otpgate: error: MESSAGE" on stderr (nothing for an empty
// message) and returns the code.
ExitCode report(const Failure& failure);

// Store errors as exit codes. `what` names the thing being read or
// written, e.g. "the enrollment of user alice".
Failure storage_failure(const core::Error& error, std::string_view what);

}  // namespace otpgate::cli
